"""The quality gate in the author's loop: `pmkb check` formats and exit status, and the
internal site showing findings (incident pages, `problems/`, the writing guide), while a site
build, `--strict` included, is never changed by them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from postmortem_kb.cli import main
from site_builder import build_site, write_small_kb

BLAMING_SEV1 = textwrap.dedent("""\
    ---
    id: db-failover
    title: Database failover
    date: 2024-05-30
    severity: SEV-1
    status: review
    summary: The engineer was careless and deleted the wrong directory.
    follow_ups:
      - action: Be more careful
    ---
    """)
BROKEN = "---\ntitle: Broken\ndate: 2024-05-30\nseverity: SEV-9\n---\n"


def kb_with(tmp_path: Path, files: dict[str, str], quality: bool) -> Path:
    root = write_small_kb(tmp_path / "kb", "Gate", files)
    if quality:
        config = root / "mkdocs.yml"
        config.write_text(
            config.read_text(encoding="utf-8").replace(
                '{build_date: "2024-06-01",', '{build_date: "2024-06-01", quality: {},'
            ),
            encoding="utf-8",
        )
    return root


def check(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.chdir(root)
    return main(["check", *args])


def test_json_lists_every_finding_with_rule_level_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = kb_with(tmp_path, {"db.md": BLAMING_SEV1}, quality=True)
    assert check(root, monkeypatch, "--format", "json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == 1
    by_rule = {(p["rule"], p["field"]): p for p in report["problems"]}
    blame = by_rule[("blameless/blame-word", "summary")]
    assert blame == {
        "file": "postmortems/db.md", "line": 7, "field": "summary",
        "rule": "blameless/blame-word", "level": "error", "message": blame["message"],
        "suggestion": blame["suggestion"],
    }  # fmt: skip
    assert "careless" in blame["message"] and blame["suggestion"]
    assert by_rule[("follow-up/vague", "follow_ups[0].action")]["level"] == "error"
    assert by_rule[("follow-up/owner", "follow_ups[0]")]["suggestion"] is None
    assert ("complete/impact-times", "impact") in by_rule


def test_without_a_quality_section_findings_only_warn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = kb_with(tmp_path, {"db.md": BLAMING_SEV1}, quality=False)
    assert check(root, monkeypatch) == 0
    assert " 0 error(s), " in capsys.readouterr().out
    assert check(root, monkeypatch, "--strict") == 1


def test_github_format_annotates_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = kb_with(tmp_path, {"db.md": BLAMING_SEV1}, quality=True)
    assert check(root, monkeypatch, "--format", "github") == 1
    lines = capsys.readouterr().out.splitlines()
    expected = "::error file=postmortems/db.md,line=7,title=blameless/blame-word summary::"
    assert any(line.startswith(expected) for line in lines), lines


def test_the_internal_site_shows_findings_and_never_404s_a_broken_file(tmp_path: Path) -> None:
    root = kb_with(tmp_path, {"db.md": BLAMING_SEV1, "broken-one.md": BROKEN}, quality=True)
    site = build_site(root / "mkdocs.yml", tmp_path / "site", strict=False)
    page = site.read("incidents/db-failover/index.html")
    assert "of the quality gate" in page and "blameless/blame-word" in page
    broken = site.read("incidents/broken-one/index.html")
    assert "This postmortem could not be built" in broken and "severity" in broken
    problems = site.read("problems/index.html")
    assert "blameless/blame-word" in problems and "postmortems/broken-one.md" in problems
    # Each file links to its page: the incident's, or the page of a file that was not built.
    assert 'href="../incidents/db-failover/"' in problems
    assert 'href="../incidents/broken-one/"' in problems
    guide = site.read("writing-a-good-postmortem/index.html")
    assert "complete/impact-times" in guide and "Before" in guide


def test_findings_are_not_build_warnings(tmp_path: Path) -> None:
    """A `--strict` build of a valid but incomplete, blaming postmortem still passes."""
    root = kb_with(tmp_path, {"db.md": BLAMING_SEV1}, quality=True)
    site = build_site(root / "mkdocs.yml", tmp_path / "site", strict=True)
    assert not [line for line in site.logs if line.startswith("WARNING")]
    assert (site.site_dir / "incidents" / "db-failover" / "index.html").exists()


def test_a_waiver_silences_its_rule_and_an_unknown_one_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    waived = BLAMING_SEV1.replace("---\n", "", 1).replace(
        "follow_ups:", "waive:\n  - {rule: blameless/blame-word, reason: Quoting the chat.}\n"
        "  - {rule: complete/analysys, reason: typo}\nfollow_ups:",
    )
    root = kb_with(tmp_path, {"db.md": "---\n" + waived}, quality=True)
    check(root, monkeypatch, "--format", "json")
    rules = {(p["rule"], p["field"]) for p in json.loads(capsys.readouterr().out)["problems"]}
    assert ("blameless/blame-word", "summary") not in rules
    assert ("schema/format", "waive[1].rule") in rules
