"""Review meetings and approvals: the `review` block, the public approval gating the public
build, `pmkb approve` editing only that block, `pmkb agenda` and the `reviews/` page."""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path

import pytest

from postmortem_kb.cli.main import load_settings, main
from postmortem_kb.core import urls
from postmortem_kb.core.knowledge_base import load_knowledge_base
from postmortem_kb.core.settings import Settings
from postmortem_kb.public.approval import (
    AWAITING_APPROVAL,
    CHANGED_SINCE_APPROVAL,
    public_fingerprint,
)
from postmortem_kb.site.agenda import render_agenda
from postmortem_kb.site.plan import plan_site, project_audience
from site_builder import build_site, write_small_kb

ROLES = '"@ann": checkout lead\n"@bob": developer on-call\n"@cat": communications lead\n'
RICH = """---
id: rich
title: Checkout errors
date: 2024-05-01
severity: SEV-2
status: published
owner: "@ann"
commander: "@bob"
# a comment that must survive
timeline:
  - at: 2024-05-01T10:00:00Z
    event: Errors start; @cat posts on the status page
    public: true
  - at: "10:20"
    event: Roll back the release
    kind: decision
contributors: [A release without a canary]
unknowns: [Why the alert stayed silent]
follow_ups:
  - action: Add an alert on checkout errors
    owner: "@ann"
    due: 2024-07-01
    public: true
  - action: Write a runbook
public:
  summary: Checkout failed for some customers.   # trailing comment
---
Body.
"""
SPARSE = "---\nid: sparse\ntitle: Slow search\ndate: 2024-05-20\nseverity: SEV-4\n---\nBody.\n"


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_small_kb(tmp_path / "kb", "Reviews", {"rich.md": RICH, "sparse.md": SPARSE})
    (root / "postmortems" / "_roles.yml").write_text(ROLES, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        '{build_date: "2024-06-01",', '{build_date: "2024-06-01", require_public_approval: true,'
    ), encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def settings(audience: str = "internal") -> Settings:
    return dataclasses.replace(load_settings("internal"), audience=audience)


def rich_file(kb: Path) -> Path:
    return kb / "postmortems" / "rich.md"


def edit(kb: Path, old: str, new: str) -> None:
    text = rich_file(kb).read_text(encoding="utf-8")
    assert old in text
    rich_file(kb).write_text(text.replace(old, new), encoding="utf-8")


def approve(*args: str) -> int:
    return main(["approve", *args])


class TestPublicApprovalGate:
    def test_without_approval_the_incident_is_held_back_and_says_why(self, kb: Path) -> None:
        view = project_audience(settings("public"))
        assert view.public == {}
        assert view.not_public["rich"] == AWAITING_APPROVAL
        relaxed = dataclasses.replace(settings("public"), require_public_approval=False)
        assert set(project_audience(relaxed).public) == {"rich"}

    def test_an_approval_publishes_it(self, kb: Path) -> None:
        assert approve("rich", "--public", "--by", "@cat") == 0
        assert set(project_audience(settings("public")).public) == {"rich"}

    def test_changed_public_text_is_held_back_again(self, kb: Path) -> None:
        assert approve("rich", "--public", "--by", "@cat") == 0
        edit(kb, "Checkout failed for some customers.", "Checkout failed for many customers.")
        view = project_audience(settings("public"))
        assert view.not_public["rich"] == CHANGED_SINCE_APPROVAL
        assert "public text changed since approval" in plan_site(settings()).pages[
            urls.incident_uri("rich")].markdown

    @pytest.mark.parametrize(("old", "new"), [
        ("Errors start; @cat posts", "Errors start; @cat posts"),  # control: nothing changed
        ("    due: 2024-07-01\n", "    due: 2024-09-30\n    status: done\n"),
        ('"@cat": communications lead', '"@cat": head of communications'),
        ("    kind: decision\n", "    kind: action\n"),
    ])
    def test_status_due_dates_roles_and_private_text_do_not_invalidate(
        self, kb: Path, old: str, new: str
    ) -> None:
        assert approve("rich", "--public", "--by", "@cat") == 0
        if "@cat" in old and "lead" in old:
            roles = kb / "postmortems" / "_roles.yml"
            roles.write_text(roles.read_text(encoding="utf-8").replace(old, new), "utf-8")
        else:
            edit(kb, old, new)
        assert set(project_audience(settings("public")).public) == {"rich"}

    def test_a_public_timeline_entry_or_follow_up_changed_needs_a_new_approval(
        self, kb: Path
    ) -> None:
        incident = load_knowledge_base(settings()).by_id()["rich"]
        entry, follow_up = incident.timeline[0], incident.follow_ups[0]
        changed = [
            dataclasses.replace(incident, timeline=(
                dataclasses.replace(entry, event="Other words"), *incident.timeline[1:])),
            dataclasses.replace(incident, follow_ups=(
                dataclasses.replace(follow_up, action="Other words"), *incident.follow_ups[1:])),
            dataclasses.replace(incident, timeline=(
                entry, dataclasses.replace(incident.timeline[1], public=True))),
        ]
        fingerprint = public_fingerprint(incident)
        assert fingerprint.startswith("v1:")
        assert [public_fingerprint(other) != fingerprint for other in changed] == [True] * 3

    def test_a_public_build_names_each_held_back_incident(self, kb: Path) -> None:
        site = build_site(kb / "mkdocs.yml", kb.parent / "public", audience="public")
        assert ("INFO: postmortem_kb: public site: held back rich (postmortems/rich.md): "
                "awaiting public approval") in site.logs
        assert not (kb.parent / "public" / "incidents" / "rich").exists()
        assert approve("rich", "--public", "--by", "@cat") == 0
        again = build_site(kb / "mkdocs.yml", kb.parent / "public2", audience="public")
        assert not [line for line in again.logs if "held back" in line]
        assert (kb.parent / "public2" / "incidents" / "rich" / "index.html").is_file()


class TestApprove:
    def changed_lines(self, before: str, after: str) -> list[str]:
        """The lines `after` has that `before` has not; fails if any line was removed."""
        matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines())
        added = []
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            assert tag in ("insert", "replace"), (tag, before.splitlines()[i1:i2])
            added += after.splitlines()[j1:j2]
        return added

    def test_inserts_the_block_and_keeps_every_other_byte(
        self, kb: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        before = rich_file(kb).read_bytes()
        assert approve("rich", "--by", "@ann") == 0
        after = rich_file(kb).read_bytes()
        block = b'review:\n  approved_by: "@ann"\n  approved_on: 2024-06-01\n'
        assert after.replace(block, b"") == before
        assert after.index(block) < after.index(b"---\nBody.")
        assert "Recorded the approval of rich by @ann on 2024-06-01" in capsys.readouterr().out

    def test_replaces_keys_inside_an_existing_block_and_keeps_the_rest(self, kb: Path) -> None:
        edit(kb, "public:\n", 'review:  # the meeting\n  meeting: 2024-05-03\n'
             '  attendees:\n    - "@bob"\n  approved_by: "@bob"   # first approver\n'
             "  approved_on: 2024-05-04\n\n# public text below\npublic:\n")
        before = rich_file(kb).read_text(encoding="utf-8")
        assert approve("rich", "--by", "@ann") == 0
        assert approve("rich", "--public", "--by", "@cat") == 0
        after = rich_file(kb).read_text(encoding="utf-8")
        incident = load_knowledge_base(settings()).by_id()["rich"]
        assert self.changed_lines(before, after) == [
            '  approved_by: "@ann"', "  approved_on: 2024-06-01", '  public_approved_by: "@cat"',
            "  public_approved_on: 2024-06-01",
            f'  public_fingerprint: "{public_fingerprint(incident)}"',
        ]
        assert incident.review.attendees == ("@bob",)

    def test_keeps_crlf_line_endings_of_a_yaml_file(self, kb: Path) -> None:
        yaml_file = kb / "postmortems" / "crlf.yaml"
        yaml_file.write_bytes(b"id: crlf\r\ntitle: T\r\ndate: 2024-05-02\r\nseverity: SEV-3\r\n")
        before = yaml_file.read_bytes()
        assert approve("crlf", "--by", "@bob") == 0
        assert yaml_file.read_bytes() == before + (
            b'review:\r\n  approved_by: "@bob"\r\n  approved_on: 2024-06-01\r\n')

    @pytest.mark.parametrize(("args", "setup", "expected"), [
        (["nope", "--by", "@ann"], None, "nope: no incident has this id"),
        (["richx", "--by", "@ann"], None, "did you mean `rich`?"),
        (["broken", "--by", "@ann"], ("broken.md", "---\ntitle: T\n---\n"),
         "postmortems/broken.md: has schema errors"),
        (["rich", "--by", "@ann"], ("rich.md", RICH.replace("some customers.", "<b>x</b>")),
         "postmortems/rich.md: 1 error(s) to fix before approving"),
        (["sparse", "--public", "--by", "@ann"], None,
         "sparse: its status is `draft`; a public approval is for a `published` incident"),
        (["rich", "--by", "@zed"], None, "--by @zed: has no role"),
    ])
    def test_refuses_in_one_line_and_leaves_the_file(
        self, kb: Path, capsys: pytest.CaptureFixture[str], args: list[str],
        setup: tuple[str, str] | None, expected: str,
    ) -> None:
        if setup is not None:
            (kb / "postmortems" / setup[0]).write_text(setup[1], encoding="utf-8")
        files = {path: path.read_bytes() for path in (kb / "postmortems").iterdir()}
        assert approve(*args) == 1
        error = capsys.readouterr().err
        assert expected in error and error.count("\n") == 1, error
        assert {path: path.read_bytes() for path in (kb / "postmortems").iterdir()} == files

    def test_refuses_an_approval_before_the_meeting(
        self, kb: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        edit(kb, "public:\n", "review:\n  meeting: 2024-06-20\npublic:\n")
        assert approve("rich", "--by", "@ann") == 1
        assert "is before the review meeting" in capsys.readouterr().err


class TestAgenda:
    def test_rich_incident(self, kb: Path) -> None:
        incident = load_knowledge_base(settings()).by_id()["rich"]
        agenda = render_agenda(incident, 45)
        for heading in ("## Invited", "## Pre-read", "## Agenda", "## 1. Blameless opening (5 min)",
                        "## 2. Timeline walk-through (10 min)", "## 4. Open questions (5 min)",
                        "## 5. Follow-ups to agree (10 min)", "## 6. Close and approval (5 min)"):
            assert heading in agenda
        assert "| 0:40-0:45 | 6. Close and approval | 5 |" in agenda
        assert "- **@bob** (developer on-call): incident commander" in agenda
        assert "- **@ann** (checkout lead): postmortem owner" in agenda
        assert "- **@cat** (communications lead): in the timeline" in agenda
        assert "**Decision point**: Roll back the release" in agenda
        assert "- Why the alert stayed silent" in agenda
        assert "Without an owner:\n\n- Write a runbook" in agenda
        assert "Without a due date:\n\n- Write a runbook" in agenda
        assert "`pmkb approve rich --public --by @handle`" in agenda

    def test_sparse_incident_lists_what_is_missing(
        self, kb: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["agenda", "sparse", "--minutes", "60"]) == 0
        agenda = capsys.readouterr().out
        assert "## 2. Timeline walk-through (15 min)" in agenda
        assert "No timeline written yet" in agenda
        assert "Nobody is named yet" in agenda
        assert "- Not written yet: `summary`, `impact.customer`" in agenda
        assert "No follow-ups written yet" in agenda
        assert "Without an owner" not in agenda

    def test_unknown_id(self, kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["agenda", "spars"]) == 1
        assert "did you mean `sparse`?" in capsys.readouterr().err


def test_reviews_page_lists_each_queue_with_age_and_owner(kb: Path) -> None:
    edit(kb, "public:\n", "review:\n  meeting: 2024-05-10\npublic:\n")
    (kb / "postmortems" / "waiting.md").write_text(
        SPARSE.replace("id: sparse", "id: waiting\nstatus: review\nowner: '@bob'"), "utf-8")
    page = plan_site(settings()).pages[urls.REVIEWS_URI].markdown
    sections = dict(part.split("\n", 1) for part in page.split("\n## ")[1:])
    meeting, approval = sections["Waiting for a review meeting"], sections["Waiting for approval"]
    assert "(../incidents/waiting/index.md) | 12 days | @bob | no meeting yet" in meeting
    assert "(../incidents/rich/index.md) | 31 days | @ann | meeting held on 2024-05-10" in approval
    assert "| awaiting public approval |" in sections["Waiting for public approval"]
    assert "still a draft 12 days after the incident" in sections[
        "Past the quality gate's deadlines"]


@pytest.mark.parametrize(("review", "line", "field", "message"), [
    ("  meeting: 2024-13-01\n", 26, "review.meeting", "is not a real date"),
    ("  meeting: 2024-04-01\n", 26, "review.meeting", "is before the incident"),
    ('  facilitator: "@zed"\n', 26, "review.facilitator", "'@zed' has no role"),
    ("  attendees: [ann]\n", 26, "review.attendees[0]", "is not a handle"),
    ('  meeting: 2024-05-10\n  approved_by: "@ann"\n  approved_on: 2024-05-09\n', 28,
     "review.approved_on", "is before the review meeting (2024-05-10)"),
    ('  approved_by: "@ann"\n', 26, "review.approved_by", "without `review.approved_on`"),
    ('  public_approved_by: "@cat"\n  public_approved_on: 2024-05-09\n', 26,
     "review.public_approved_by", "without `review.public_fingerprint`"),
    ("  public_fingerprint: abc\n", 26, "review.public_fingerprint", "is not a fingerprint"),
    ("  chair: x\n", 26, "review.chair", "unknown field"),
])
def test_bad_review_blocks_name_file_line_and_field(
    kb: Path, review: str, line: int, field: str, message: str
) -> None:
    edit(kb, "public:\n", f"review:\n{review}public:\n")
    problems = [problem for problem in load_knowledge_base(settings()).problems.errors
                if problem.field == field]
    assert problems, load_knowledge_base(settings()).problems.errors
    assert (problems[0].file, problems[0].line) == ("postmortems/rich.md", line)
    assert message in problems[0].message
