"""The rendered incident page: golden Markdown for both audiences, and the built HTML.

Golden files live in tests/golden/; after an intended change to a template, regenerate them
with `PMKB_UPDATE_GOLDEN=1 ./dev.sh test -k golden` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest

from postmortem_kb.core.model import Evidence, Incident
from postmortem_kb.core.settings import Settings
from postmortem_kb.site.plan import evidence_files, evidence_links, plan_site
from site_builder import build_site
from test_loading import front

FIXTURE = Path(__file__).parent / "fixtures" / "golden_kb"
GOLDEN = Path(__file__).parent / "golden"


def golden_plan(audience: str):  # type: ignore[no-untyped-def]
    settings = Settings(
        source_dir=FIXTURE / "postmortems",
        audience=audience,
        public_tags=("dns",),
        build_date=dt.date(2024, 6, 1),
        ticket_url="https://tracker.example/browse/{ticket}",
    )
    return plan_site(settings)


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PMKB_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_incident_page_markdown_matches_golden(audience: str) -> None:
    plan = golden_plan(audience)
    assert plan.problems.items == []
    assert_golden(f"incident-{audience}.md", plan.pages["incidents/dns-outage/index.md"].resolved())


def test_internal_page_shows_every_section_and_marks_what_public_drops() -> None:
    page = golden_plan("internal").pages["incidents/dns-outage/index.md"].resolved()
    # The heading is the title alone: the header band has the date; the browser's title
    # keeps the configured pattern.
    assert "\n# DNS &lt;records&gt; vanished &amp; came back\n" in page
    assert 'title: "Postmortem: DNS \u2039records\u203a vanished & came back (2024-05-02)"' in page
    for heading in (
        "Summary",
        "Timeline",
        "Contributors",
        "Mitigators",
        "Risks",
        "Learnings",
        "Surprises",
        "What went well",
        "What went wrong",
        "Where we got lucky",
        "Five whys",
        "Evidence",
        "Follow-ups",
        "Links",
        "Narrative",
        "Public version",
    ):
        assert f"## {heading}" in page, heading
    assert ">edge|proxy</a>" in page  # a pipe in a value is just a character in HTML
    assert "Alert &lt;b&gt;fires&lt;/b&gt;" in page  # YAML values never become raw HTML
    assert '<span class="pmkb-internal">Pushed by the nightly job</span>' in page
    assert '!!! internal "Internal only"' in page
    assert "**Fig. 1.** Error rate graph" in page
    assert "### What happened" in page and "# not a heading" in page
    assert "incident commander (incident commander)" not in page
    assert "@ann (incident commander)" in page


def header_band(page: str) -> str:
    return page[page.index('<div class="pmkb-header">') : page.index("!!! tip")]


def test_the_header_band_says_what_each_duration_measures() -> None:
    page = golden_plan("internal").pages["incidents/dns-outage/index.md"].resolved()
    header = header_band(page)
    assert '<a class="pmkb-sev pmkb-sev-2" href="../../severity/sev-2/"' in header
    assert 'pmkb-status-published">Published</span>' in header
    assert '<span class="pmkb-window">10:00\u201312:00 UTC</span>' in header
    assert '<strong class="pmkb-duration">2 h 00 min</strong> from start to resolved' in header
    assert "4 min from start to detected" in header and "40 min from start to mitigated" in header
    # Services and commander are marked as facts the public site never shows.
    assert header.count('aria-label="internal only"') == 3  # services, commander, a tag
    # The other facts are in a closed block below the key learning.
    facts = page[page.index('<details class="abstract pmkb-more-facts">') :]
    assert page.index("!!! tip") < page.index("pmkb-more-facts")
    assert "<dt>Detected</dt><dd>2024-05-02 10:04 UTC</dd>" in facts
    assert "<dt>Trigger" in facts and "<dt>Trigger" not in header


def test_the_header_band_draws_phases_to_scale_and_lists_measures() -> None:
    header = header_band(golden_plan("internal").pages["incidents/dns-outage/index.md"].resolved())
    assert '<rect class="pmkb-phase-outage" x="0%" y="0" width="33.33%"' in header
    assert '<rect class="pmkb-phase-recovering" x="33.33%" y="0" width="66.67%"' in header
    assert "<strong>Outage</strong> 10:00\u201310:40 · 40 min · Lookups failed" in header
    assert '<span class="pmkb-measure-value">30%</span>' in header
    assert '<span class="pmkb-measure-value">1,200</span>' in header


def test_the_timeline_is_a_list_by_day_with_times_as_written() -> None:
    page = golden_plan("internal").pages["incidents/dns-outage/index.md"].resolved()
    timeline = page[page.index('<div class="pmkb-timeline">') : page.index("## Contributors")]
    assert [day for day in re.findall(r'<p class="pmkb-tl-date">([^<]+)', timeline)] == [
        "Thu 2 May 2024 ",
        "Fri 3 May 2024",
    ]
    assert ">~10:10<" in timeline  # approximate
    assert ">10:20\u201310:40<" in timeline  # a range
    assert '<span class="pmkb-tl-offset">T+0:04</span>' in timeline
    assert timeline.count("pmkb-tl-public") == 2  # what the public page shows is marked
    assert '<li class="pmkb-tl-entry pmkb-tl-decision">' in timeline
    assert ">All day<" in timeline
    assert "2024-05-02 10:04" not in timeline  # the day is the heading, not every row


def test_follow_ups_are_rows_with_status_owner_due_and_linked_tickets() -> None:
    page = golden_plan("internal").pages["incidents/dns-outage/index.md"].resolved()
    follow_ups = page[page.index('<ul class="pmkb-follow-ups">') : page.index("## Links")]
    assert "<table" not in follow_ups
    assert '<a href="https://tracker.example/browse/OPS-1">OPS-1</a>' in follow_ups
    assert '<span class="pmkb-owner-kind">team</span> dns' in follow_ups  # a team, not a person
    assert 'pmkb-fu-status-in-progress">In progress</span>' in follow_ups
    assert "<strong>overdue</strong> by 12 days" in follow_ups  # due 2024-05-20, built 06-01
    assert follow_ups.count('class="pmkb-overdue"') == 2  # the done one is never overdue
    assert '<span class="pmkb-fu-label">Check</span> A push of an empty zone' in follow_ups
    assert '<span class="pmkb-fu-label">Closed</span> 2024-05-10' in follow_ups


def test_tickets_are_plain_text_without_a_ticket_url() -> None:
    settings = Settings(source_dir=FIXTURE / "postmortems", build_date=dt.date(2024, 6, 1))
    page = plan_site(settings).pages["incidents/dns-outage/index.md"].resolved()
    assert '<span class="pmkb-fu-label">Ticket</span> OPS-1</li>' in page


def test_public_page_is_built_from_the_allowlist_only() -> None:
    page = golden_plan("public").pages["incidents/dns-outage/index.md"].resolved()
    assert "\n# DNS resolution failures\n" in page
    assert "incident commander led the response" in page  # @ann shown as her role
    for private in (
        "records&gt; vanished",
        "nightly job",
        "ns1",
        "@bob",
        "OPS-1",
        "Lower TTLs",
        "No dry run",
        "grafana",
        "monitoring",
        "edge",
        "support tickets",  # a measure not marked public
        "Recovering",  # a phase not marked public
        "Customers report errors",  # a timeline entry not marked public
        "team:dns",
        "Owner",
    ):
        assert private not in page, private
    assert "Add a zone dry run" in page and "Zone push removes records" in page
    assert "30%" in page and "Lookups failed" in page


def test_drafts_carry_a_banner(tmp_path: Path) -> None:
    source = tmp_path / "postmortems"
    source.mkdir()
    (source / "a.md").write_text(front("status: review\n"), encoding="utf-8")
    plan = plan_site(Settings(source_dir=source))
    page = plan.pages["incidents/a/index.md"].resolved()
    assert (
        '<p class="pmkb-header-note pmkb-header-note-review"><strong>In review: not final.' in page
    )
    assert "its status is `review`" in page


def test_templates_can_be_overridden_from_the_kb(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides" / "pmkb"
    overrides.mkdir(parents=True)
    (overrides / "incident.md.j2").write_text("# Custom {{ incident.title | inline }}\n")
    settings = Settings(source_dir=FIXTURE / "postmortems", public_tags=("dns",))
    plan = plan_site(settings, tmp_path / "overrides")
    page = plan.pages["incidents/dns-outage/index.md"].markdown
    assert page == "# Custom DNS &lt;records&gt; vanished &amp; came back\n"  # no front matter


def test_built_page_renders_tables_links_and_escapes(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURE, kb)
    site = build_site(kb / "mkdocs.yml", tmp_path / "site")
    assert site.warnings() == []
    html = site.read("incidents/dns-outage/index.html")
    # The theme prints titles unescaped: ours never carry a tag into <title>.
    assert "<title>Postmortem: DNS \u2039records\u203a vanished & came back (2024-05-02)" in html
    assert "<b>fires</b>" not in html and "<records>" not in html
    assert re.search(r'href="\.\./\.\./tags/dns/"', html)
    assert re.search(r'href="\.\./\.\./severity/sev-2/"', html)
    assert '<div class="admonition internal">' in html


def test_evidence_files_sharing_a_name_are_all_published(tmp_path: Path) -> None:
    folder = tmp_path / "postmortems"
    for sub in ("before", "after"):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "graph.png").write_bytes(sub.encode())
    incident = Incident(
        id="2024-01-01-disk", source="postmortems/2024-01-01-disk.md", title="Disk",
        date=dt.date(2024, 1, 1), severity="SEV-2",
        evidence=(Evidence("Before", file="before/graph.png"),
                  Evidence("After", file="after/graph.png"),
                  Evidence("Before, again", file="before/graph.png")),
    )  # fmt: skip
    assert evidence_links(incident) == {
        "before/graph.png": "evidence/graph.png",
        "after/graph.png": "evidence/graph-2.png",
    }
    files = evidence_files([incident], folder)
    assert {uri: path.read_bytes() for uri, path in files.items()} == {
        "incidents/2024-01-01-disk/evidence/graph.png": b"before",
        "incidents/2024-01-01-disk/evidence/graph-2.png": b"after",
    }


@pytest.mark.parametrize(
    ("summary", "shown"),
    [
        # The preview shows exactly this: nothing to add.
        ("Some API requests failed because DNS records were missing.", None),
        # The public site writes the handle as its role: the text as written says who.
        ("Some API requests failed. @ann led the response.", '??? internal "Public text'),
        # The public site drops a part: the text as written shows it, marked, open.
        ("Some API requests failed. [Zone push by the nightly job.]{.internal}",
         '???+ internal "Public text as written, with the parts the public site drops'),
    ],
)
def test_the_public_text_as_written_is_shown_when_the_preview_differs(
    tmp_path: Path, summary: str, shown: str | None
) -> None:
    source = tmp_path / "postmortems"
    shutil.copytree(FIXTURE / "postmortems", source)
    postmortem = source / "dns-outage.md"
    text = postmortem.read_text(encoding="utf-8")
    written = "  summary: Some API requests failed because DNS records were missing. @ann led " \
        "the response.\n"
    assert written in text
    postmortem.write_text(text.replace(written, f'  summary: "{summary}"\n'), encoding="utf-8")
    settings = Settings(source_dir=source, audience="internal", public_tags=("dns",),
                        build_date=dt.date(2024, 6, 1))
    page = plan_site(settings).pages["incidents/dns-outage/index.md"].resolved()
    assert '??? public "Public page preview: DNS resolution failures"' in page
    if shown is None:
        assert "Public text as written" not in page
    else:
        assert shown in page
        assert summary.split(" [")[0] in page[page.index(shown):]
