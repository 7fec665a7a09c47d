"""`pmkb new`, `pmkb check`, `pmkb build` and `pmkb search` on a copy of a knowledge base."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from postmortem_kb.cli.main import main
from postmortem_kb.core.knowledge_base import load_knowledge_base
from postmortem_kb.core.settings import Settings
from postmortem_kb.search import index as search_index
from site_builder import REPO_ROOT, copy_kb, write_small_kb
from test_loading import front


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example knowledge base, as the current directory."""
    root = copy_kb(REPO_ROOT, tmp_path / "kb")
    monkeypatch.chdir(root)
    return root


def assert_not_built(site: Path, incident_id: str) -> None:
    """The incident is not published: on the internal site its address shows only why (a
    page of its problems, never a 404), and the public site has nothing there."""
    page = site / "incidents" / incident_id / "index.html"
    if site.name == "site-public":
        assert not page.parent.exists()
    else:
        assert "This postmortem could not be built" in page.read_text(encoding="utf-8")
    listed = json.loads((site / "incidents.json").read_text(encoding="utf-8"))["incidents"]
    assert incident_id not in [incident["id"] for incident in listed]


def test_new_writes_a_valid_file_from_the_template(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["new", "Checkout: 502s after deploy!", "--severity", "sev2",
                 "--service", "checkout", "--tag", "Deployment", "--date", "2026-11-20"])
    assert code == 0
    path = kb / "postmortems" / "2026-11-20-checkout-502s-after-deploy.md"
    assert f"Created {path.relative_to(kb)}" in capsys.readouterr().out or path.exists()
    loaded = load_knowledge_base(Settings(source_dir=kb / "postmortems"))
    incident = loaded.by_id()["2026-11-20-checkout-502s-after-deploy"]
    assert (incident.title, incident.severity, incident.services, incident.tags) == (
        "Checkout: 502s after deploy!", "SEV-2", ("checkout",), ("deployment",))
    assert incident.date == dt.date(2026, 11, 20) and incident.status == "draft"
    assert not [p for p in loaded.problems.items if "2026-11-20" in p.file]


def test_new_refuses_to_overwrite(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["new", "Same title", "--date", "2026-11-20"]
    assert main(args) == 0
    path = kb / "postmortems" / "2026-11-20-same-title.md"
    path.write_text("edited", encoding="utf-8")
    assert main(args) == 1
    assert "already exists" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "edited"


def test_new_rejects_an_unknown_severity(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "X", "--severity", "SEV-7"]) == 1
    assert "--severity: 'SEV-7' is not on the scale" in capsys.readouterr().err


def test_new_rejects_a_date_that_is_not_one(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "X", "--date", "2024-13-01"]) == 1
    assert "--date: '2024-13-01' is not a date; expected YYYY-MM-DD" in capsys.readouterr().err


def test_check_passes_on_the_example_kb(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The example passes its own gate: no errors. Its warnings are `process/` ones (old
    drafts, overdue follow-ups), which only ever warn, so `--strict` fails on them."""
    assert main(["check"]) == 0
    assert " 0 error(s), " in capsys.readouterr().out
    assert main(["check", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {problem["rule"].split("/")[0] for problem in report["problems"]} == {"process"}
    assert main(["check", "--strict"]) == 1


def test_check_names_file_line_and_field_and_fails(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (kb / "postmortems" / "broken.md").write_text(front("severity: SEV-1\n"), encoding="utf-8")
    (kb / "postmortems" / "warned.md").write_text(front("tags: [capcity]\n"), encoding="utf-8")
    assert main(["check"]) == 1
    captured = capsys.readouterr()
    assert "error: postmortems/broken.md:5: severity: duplicate key" in captured.err
    assert "Not published because of errors: postmortems/broken.md" in captured.out


def test_check_strict_fails_on_warnings_only(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (kb / "postmortems" / "warned.md").write_text(front("tags: [capcity]\n"), encoding="utf-8")
    assert main(["check"]) == 0
    assert main(["check", "--strict"]) == 1
    assert "did you mean `capacity`" in capsys.readouterr().err


def test_build_both_publishes_two_sites(kb: Path) -> None:
    assert main(["build", "--audience", "both", "--strict"]) == 0
    assert (kb / "site" / "incidents" / "2017-01-31-dashboard-data-loss" / "index.html").exists()
    public = kb / "site-public" / "incidents"
    assert (public / "2017-01-31-dashboard-data-loss" / "index.html").exists()
    assert not (public / "2025-10-07-duplicate-push-notifications").exists()  # a draft


def test_plain_build_warns_and_publishes_valid_incidents(kb: Path) -> None:
    (kb / "postmortems" / "broken.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    assert main(["build", "--strict"]) == 1
    assert not (kb / "site").exists()  # strict failure published nothing
    assert main(["build"]) == 0
    assert (kb / "site" / "incidents" / "2017-01-31-dashboard-data-loss" / "index.html").exists()
    assert_not_built(kb / "site", "broken")


# Bad input on the command line and in the cache: one line naming the problem, no traceback


def index_pointer(kb: Path) -> dict[str, object]:
    pointer = kb / ".cache" / "pmkb" / "internal" / search_index.POINTER_FILE
    loaded: dict[str, object] = json.loads(pointer.read_text(encoding="utf-8"))
    return loaded


def test_odd_queries_are_answered_and_never_rebuild_the_index(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "certificate", "--json"]) == 0
    built = index_pointer(kb)
    for query in ["date:2024", "url:x", "title:", '"unbalanced (quote', "a) OR (", "*"]:
        assert main(["search", query]) == 0, query
        assert main(["search", query, "--json"]) == 0, query
    assert index_pointer(kb) == built
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "Search index" not in captured.err


def test_a_field_the_index_does_not_know_is_searched_as_words(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "certificate", "--json"]) == 0
    as_words = capsys.readouterr().out
    assert main(["search", "content_hash:certificate", "--json"]) == 0
    found = [result["id"] for result in json.loads(capsys.readouterr().out)]
    assert found == [result["id"] for result in json.loads(as_words)] != []


def test_a_query_too_long_is_refused_in_one_line(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "word " * 1000]) == 1
    assert capsys.readouterr().err == (
        "pmkb: the query is 5,000 characters long; expected at most 1,000: the words that "
        "matter\n"
    )


@pytest.mark.parametrize("limit", ["0", "-1", "ten", "9" * 5000])
def test_a_limit_that_is_not_a_positive_number_is_a_usage_error(
    kb: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["search", "certificate", "--limit", limit])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "pmkb search: error: argument --limit: expected a whole number from 1 to 999999999"
    )


def test_search_with_a_file_where_the_cache_folder_should_be_says_what_to_do(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (kb / ".cache").mkdir()
    (kb / ".cache" / "pmkb").write_text("", encoding="utf-8")
    assert main(["search", "certificate"]) == 1
    folder = kb / ".cache" / "pmkb" / "internal"
    assert capsys.readouterr().err == (
        f"pmkb: {folder}: cannot hold the search index (NotADirectoryError: Not a directory); "
        "make it a folder you can write, or set the `cache_dir` option to one\n"
    )


def test_search_with_an_unwritable_cache_says_what_to_do(
    kb: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests run as root, so the folder is made unwritable where the index writes to it."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(search_index.Path, "mkdir", refuse)
    assert main(["search", "certificate"]) == 1
    folder = kb / ".cache" / "pmkb" / "internal"
    assert capsys.readouterr().err == (
        f"pmkb: {folder}: cannot hold the search index (PermissionError: Permission denied); "
        "make it a folder you can write, or set the `cache_dir` option to one\n"
    )


def test_build_with_an_unusable_cache_warns_in_one_line_and_publishes(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (kb / ".cache").mkdir()
    (kb / ".cache" / "pmkb").write_text("", encoding="utf-8")
    assert main(["build"]) == 0
    assert (kb / "site" / "incidents" / "2017-01-31-dashboard-data-loss" / "index.html").exists()
    (warning,) = [line for line in capsys.readouterr().err.splitlines()
                  if line.startswith("WARNING")]
    folder = kb / ".cache" / "pmkb" / "internal"
    assert warning == (
        f"WARNING - postmortem_kb: Search index (internal): {folder} was not updated: "
        "NotADirectoryError: Not a directory; make it a folder you can write, or set the "
        "`cache_dir` option to one. The site is not affected; `pmkb search` or the next build "
        "updates the index once the cause is fixed"
    )


# Dates at the ends of the calendar: built, or a problem naming file, line and field

EDGE_INCIDENT = """\
---
id: {id}
title: Edge {id}
date: {date}
severity: SEV-2
status: published
tags: [dns]
services: [edge]
impact:
  started: {started}
  resolved: {resolved}
drafted: {date}
published: {date}
timeline:
  - {{at: {date}, event: the day, public: true}}
  - {{at: "{clock}", event: later that day, public: true}}
follow_ups:
  - {{action: Add an alert, owner: "@ann", due: {date}, public: true}}
public:
  summary: Resolution failed for some customers.
---
Narrative.
"""


def edge_incident(incident_id: str, date: str, started: str, resolved: str, clock: str) -> str:
    return EDGE_INCIDENT.format(id=incident_id, date=date, started=started, resolved=resolved,
                                clock=clock)


def small_kb_for_both_audiences(root: Path, postmortems: dict[str, str]) -> Path:
    """A small KB whose naive timestamps take a zone 14 hours ahead of UTC."""
    write_small_kb(root, "Edges", postmortems)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        '{build_date: "2024-06-01",', '{build_date: "2024-06-01", timezone: Pacific/Kiritimati,'
    ), encoding="utf-8")
    (root / "mkdocs.public.yml").write_text(
        "INHERIT: mkdocs.yml\nsite_dir: site-public\nsite_url: https://status.example.org/\n"
        "plugins:\n  postmortems:\n    audience: public\n", encoding="utf-8")
    return root


def test_build_both_with_dates_at_the_ends_of_the_calendar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    kb = small_kb_for_both_audiences(tmp_path / "kb", {
        "earliest.md": edge_incident("earliest", "1900-01-01", "1900-01-01T00:00:00",
                                     "1900-01-01T01:00:00-14:00", "00:30"),
        "latest.md": edge_incident("latest", "9998-12-31", "9998-12-31T23:00:00",
                                   "9998-12-31T23:59:59-12:00", "23:59"),
        "year-one.md": edge_incident("year-one", "0001-01-01", "0001-01-01T00:00:00",
                                     "0001-01-01T01:00:00", "00:30"),
        "year-9999.md": edge_incident("year-9999", "9999-12-31", "9999-12-31T23:00:00",
                                      "9999-12-31T23:59:59-12:00", "23:59"),
        "offset-overflow.md": edge_incident("offset-overflow", "2024-01-01",
                                            "0001-01-01T00:00:00+14:00",
                                            "9999-12-31T23:59:59-14:00", "10:00"),
    })
    monkeypatch.chdir(kb)
    assert main(["build", "--audience", "both"]) == 0
    for site in ("site", "site-public"):
        for incident_id in ("earliest", "latest"):
            assert (kb / site / "incidents" / incident_id / "index.html").exists()
        for incident_id in ("year-one", "year-9999", "offset-overflow"):
            assert_not_built(kb / site, incident_id)
    feed = (kb / "site-public" / "feed.xml").read_text(encoding="utf-8")
    assert "9998" in feed and "1900" in feed
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for problem in (
        "postmortems/year-one.md:4: date: '0001-01-01' is outside the dates a postmortem can "
        "have; expected a date from 1900-01-01 to 9998-12-31",
        "postmortems/year-9999.md:4: date: '9999-12-31' is outside the dates",
        "postmortems/offset-overflow.md:10: impact.started: '0001-01-01T00:00:00+14:00' is "
        "outside the dates",
        "postmortems/offset-overflow.md:11: impact.resolved: '9999-12-31T23:59:59-14:00' is "
        "outside the dates",
    ):
        assert problem in err


def test_insights_of_a_kb_whose_newest_incident_is_at_the_start_of_the_calendar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The monthly trend stepped back two years from the newest incident: from year 1 that
    overflowed, taking the whole build down. From the earliest date allowed it does not (the
    trends now end at the build date; the yearly one starts at the oldest incident)."""
    kb = small_kb_for_both_audiences(tmp_path / "kb", {
        "year-one.md": edge_incident("year-one", "0001-01-01", "0001-01-01T00:00:00",
                                     "0001-01-01T01:00:00", "00:30"),
    })
    monkeypatch.chdir(kb)
    assert main(["build", "--audience", "both"]) == 0
    assert "postmortems/year-one.md:4: date: '0001-01-01' is outside" in capsys.readouterr().err
    assert_not_built(kb / "site", "year-one")

    (kb / "postmortems" / "year-one.md").unlink()
    (kb / "postmortems" / "earliest.md").write_text(edge_incident(
        "earliest", "1900-01-01", "1900-01-01T00:00:00", "1900-01-01T01:00:00", "00:30"
    ), encoding="utf-8")
    assert main(["build", "--audience", "both"]) == 0
    assert "<td>1900</td>" in (kb / "site" / "insights" / "index.html").read_text(encoding="utf-8")
    assert (kb / "site-public" / "incidents" / "earliest" / "index.html").exists()
