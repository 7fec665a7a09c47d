"""`pmkb import` on the test corpus: fields, timeline rows and action items carried over, the
report, `pmkb check` on the result, and re-runs that never overwrite or duplicate."""

from __future__ import annotations

import hashlib
import io
import json
import os
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from import_support import (
    FIXTURES,
    GERMAN_MAP,
    GERMAN_SPREADSHEET,
    corpus_documents,
    write_import_kb,
)
from postmortem_kb.cli.main import main
from postmortem_kb.core.loader import read_postmortem


def run_cli(kb: Path, *args: str) -> tuple[int, str]:
    """`pmkb ARGS` in the knowledge base folder: the exit status and what it printed."""
    previous = Path.cwd()
    os.chdir(kb)
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            code = main(list(args))
    finally:
        os.chdir(previous)
    return code, out.getvalue()


def imported_reports(kb: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code, out = run_cli(kb, "import", "--json", *args)
    return code, json.loads(out)


def front_matter(path: Path) -> dict[str, Any]:
    return read_postmortem(path, path.parent).data


def body(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("\n---\n", 1)[1].lstrip("\n")


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.md")}


def short(source: str) -> str:
    """`/…/import_corpus/x.csv#row=2` → `x.csv#row=2`."""
    return source.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The corpus imported once into a fresh knowledge base: the reports and the files, both
    by the name of the document they came from."""
    kb = write_import_kb(tmp_path_factory.mktemp("kb"))
    code, first = imported_reports(kb, *map(str, corpus_documents()))
    assert code == 0, json.dumps(first, indent=2)
    code, german = imported_reports(
        kb, str(FIXTURES / GERMAN_SPREADSHEET), *(f"--map={pair}" for pair in GERMAN_MAP)
    )
    assert code == 0, json.dumps(german, indent=2)
    documents = first["documents"] + german["documents"]
    files = {}
    for report in documents:
        path = kb / report["target"]
        files[short(report["source"])] = (path, front_matter(path))
    return {
        "kb": kb,
        "reports": {short(report["source"]): report for report in documents},
        "files": files,
        "totals": first["totals"],
    }


def test_every_document_is_carried_over_with_its_rows_and_actions(corpus: dict[str, Any]) -> None:
    reports = corpus["reports"]
    assert len(reports) == 15
    assert {report["outcome"] for report in reports.values()} == {"imported"}
    totals = corpus["totals"]
    assert totals["timeline_carried"] / totals["timeline_found"] >= 0.9
    assert totals["actions_carried"] == totals["actions_found"] == 37
    assert all(data["status"] == "draft" for _, data in corpus["files"].values())


def test_sre_book_document(corpus: dict[str, Any]) -> None:
    path, data = corpus["files"]["sre-book-shakespeare.md"]
    report = corpus["reports"]["sre-book-shakespeare.md"]
    assert data["title"] == "Shakespeare Sonnet++ Postmortem (incident #465)"
    assert data["date"] == "2015-10-21"
    assert data["summary"].startswith("Shakespeare Search down for 66 minutes")
    assert data["impact"]["customer"] == "Estimated 1.21B queries lost, no revenue impact."
    assert len(data["timeline"]) == report["timeline_found"] == 17
    assert data["timeline"][0]["at"] == "2015-10-21T14:51:00+00:00"
    assert data["timeline"][2]["event"].startswith("**OUTAGE BEGINS** \u2014 Search backends")
    assert len(data["follow_ups"]) == 9
    first = data["follow_ups"][0]
    assert (first["owner"], first["status"], first["type"]) == ("@jennifer", "done", "mitigate")
    assert data["follow_ups"][1]["ticket"] == "Bug 5554823"
    assert len(data["went_well"]) == 2 and len(data["went_wrong"]) == 2
    assert len(data["got_lucky"]) == 3
    text = body(path)
    for heading in ("## Trigger", "## Resolution", "## Detection", "## Supporting information"):
        assert heading in text
    assert "- **Authors:** jennifer, martym, agoogler" in text  # three people, one field
    assert any("severity SEV-4" in message for message in report["assumed"])


def test_sre_book_as_a_document_editor_exports_it(corpus: dict[str, Any]) -> None:
    path, data = corpus["files"]["sre-book-google-docs-export.html"]
    assert data["title"] == "Search cluster meltdown postmortem (incident #512)"
    assert data["date"] == "2016-02-03"
    assert [entry["at"] for entry in data["timeline"]] == [
        "2016-02-03T09:58:00+00:00",
        "10:02",
        "10:15",
        "10:40",
    ]
    assert data["timeline"][1] == {
        "at": "10:02",
        "event": "Prober pages on-call: empty result pages",
        "kind": "alert",
    }
    assert [f["status"] for f in data["follow_ups"]] == ["done", "open"]
    assert [len(data[name]) for name in ("went_well", "went_wrong", "got_lucky")] == [1, 2, 1]
    assert "## Trigger\n\nScheduled index push." in body(path)


def test_wiki_export(corpus: dict[str, Any]) -> None:
    path, data = corpus["files"]["confluence-export-checkout.html"]
    assert data["title"] == "Checkout errors after connection pool change"
    assert (data["date"], data["severity"], data["commander"]) == ("2024-03-12", "SEV-2", "@alex.d")
    assert data["services"] == ["checkout", "payments-db"]
    # "All times are in CET (UTC+1)." under the summary sets the zone of the timeline.
    assert data["timeline"][0]["at"] == "2024-03-12T14:02:00+01:00"
    assert len(data["timeline"]) == 5
    assert "(Who: PagerDuty)" in data["timeline"][1]["event"]
    assert [f["status"] for f in data["follow_ups"]] == ["done", "open", "open"]
    assert data["follow_ups"][1]["due"] == "2024-04-01"
    assert data["review"]["attendees"] == ["@alex.d", "@sam.o"]
    text = body(path)
    assert "Priya N." in text  # a name the roles do not know stays text
    assert "Created by" not in text and "Document generated" not in text  # page furniture


def test_team_template_with_stats_and_attendees(corpus: dict[str, Any]) -> None:
    path, data = corpus["files"]["team-template-adfs.md"]
    report = corpus["reports"]["team-template-adfs.md"]
    assert data["title"] == "ADFS Outage"  # the text under an "Incident Title" heading
    assert data["date"] == "2021-03-31"
    assert len(data["timeline"]) == 7
    assert len(data["contributors"]) == 3 and len(data["learnings"]) == 2
    assert len(data["follow_ups"]) == 3
    # 12:11 (first row) + 10 minutes to detect, + 1h 19m to recover
    assert data["impact"] == {
        "started": "2021-03-31T12:11+00:00",
        "detected": "2021-03-31T12:21+00:00",
        "resolved": "2021-03-31T13:30+00:00",
    }
    assert data["tags"] == ["authentication"]
    assert data["review"]["attendees"] == ["@rf"]  # "Atendees": misspelled, recognised
    assert "attendees kept as text (not in _roles.yml): PW, RR, AN, EC" in report["assumed"]
    assert "## Atendees" in body(path)


def test_reworded_headings_in_other_case_and_level(corpus: dict[str, Any]) -> None:
    _, data = corpus["files"]["reworded-headings.md"]
    assert data["title"] == "Checkout latency after cache eviction storm"
    assert (data["date"], data["severity"], data["commander"]) == ("2024-03-12", "SEV-2", "@alex.d")
    assert data["impact"]["customer"].startswith("Around 18% of checkout attempts")
    assert len(data["contributors"]) == 2  # "Root Casue"
    assert data["timeline"][0]["at"] == "2024-03-12T09:02:00+01:00"  # "#### Timline", CET
    assert len(data["went_wrong"]) == 1 and len(data["went_well"]) == 1
    jitter, limits, skip = data["follow_ups"]
    assert (jitter["status"], jitter["owner"], jitter["due"], jitter["ticket"]) == (
        "done",
        "@alex.d",
        "2024-03-20",
        "OPS-1201",
    )
    assert (limits["owner"], limits["due"]) == ("Sam", "2024-04-15")
    assert skip["status"] == "open"


def test_remediation_groups_give_status_and_priority(corpus: dict[str, Any]) -> None:
    path, data = corpus["files"]["postmortem-style-flags-outage.md"]
    assert (data["title"], data["date"]) == ("Feature Flags Service Outage", "2025-09-29")
    assert len(data["timeline"]) == 8
    assert [f["status"] for f in data["follow_ups"]] == [
        "done",
        "done",
        "in-progress",
        "in-progress",
        "open",
    ]
    assert data["follow_ups"][2]["priority"] == "Short-term Improvements"
    assert len(data["contributors"]) == 3
    text = body(path)
    assert "writer database load spike" in text and "Failed to create database pools" in text
    assert "The outage resulted from three compounding factors:" in text


def test_timeline_in_a_code_block_across_midnight(corpus: dict[str, Any]) -> None:
    _, data = corpus["files"]["timeline-in-code-block.md"]
    report = corpus["reports"]["timeline-in-code-block.md"]
    timeline = data["timeline"]
    assert timeline[0]["at"] == "2021-05-09T21:48:00+09:00"  # "Timeline (Japan time)"
    assert "many compact proof messages" in timeline[2]["event"]  # a wrapped line joined
    assert timeline[5]["event"].endswith("(until 2:00)")
    assert timeline[6]["at"] == "2021-05-10T02:18:00+09:00"
    assert "timeline: '02:18' after '23:20' read as the next day" in report["assumed"]
    assert len(data["learnings"]) == 3


def test_out_of_order_rows_stay_where_written_with_a_warning(corpus: dict[str, Any]) -> None:
    _, data = corpus["files"]["out-of-order-table.md"]
    report = corpus["reports"]["out-of-order-table.md"]
    ats = [entry["at"] for entry in data["timeline"]]
    assert ats == [
        "2022-11-08T02:00:00+00:00",
        "02:03",
        "02:04",
        "2022-11-08",
        "2022-11-08T02:30:00+00:00",
        "09:15",
    ]
    assert data["timeline"][3]["event"].startswith("01:58: (noted later)")
    assert any("'01:58' is before the row above it" in w for w in report["warnings"])
    assert [f["status"] for f in data["follow_ups"]] == ["done", "in-progress", "wont-do"]


def test_unreadable_values_are_reported_never_guessed(corpus: dict[str, Any]) -> None:
    path, data = corpus["files"]["2022-03-04-payment-webhooks.md"]
    report = corpus["reports"]["2022-03-04-payment-webhooks.md"]
    assert data["status"] == "draft" and data["severity"] == "SEV-4"
    assert "timeline" not in data and "due" not in data["follow_ups"][0]
    assert report["timeline_found"] == 3 and report["timeline_carried"] == 0
    needs = "\n".join(report["needs_human"])
    assert "severity 'High' is not on the scale" in needs
    assert "'03/04': day and month order unclear (3 April or 4 March)" in needs
    assert "'04/05/2022': day and month order unclear" in needs
    text = body(path)
    assert text.startswith('!!! warning "Imported: needs a human"')
    assert "- 03/04 14:51 | Queue depth alert for webhook workers" in text


def test_spreadsheets_with_bom_windows_1252_and_semicolons(corpus: dict[str, Any]) -> None:
    _, login = corpus["files"]["incidents-export.csv#row=1"]
    assert (login["title"], login["date"], login["severity"]) == (
        "Login page slow",
        "2024-01-15",
        "SEV-3",
    )
    assert [f["action"] for f in login["follow_ups"]] == [
        "Add memory alert on session store",
        "Raise session store memory",
    ]
    _, search = corpus["files"]["incidents-export.csv#row=2"]
    assert search["severity"] == "SEV-2"  # "sev2"
    path, payments = corpus["files"]["incidents-excel-cp1252.csv#row=1"]
    assert payments["title"] == "Zahlungsabbrüche bei Kartenzahlung"
    assert payments["services"] == ["payments"]
    assert payments["follow_ups"][0]["action"] == "Ablaufdaten überwachen"
    assert "Kunden in Österreich betroffen \u2013 ca. 12 %" in body(path)
    report = corpus["reports"]["incidents-excel-cp1252.csv#row=1"]
    assert "spreadsheet not UTF-8: read as Windows-1252" in report["assumed"]
    assert payments["imported_from"]["path"].endswith("incidents-excel-cp1252.csv#row=1")


def test_imported_files_pass_check_without_schema_errors(corpus: dict[str, Any]) -> None:
    code, out = run_cli(corpus["kb"], "check", "--format", "json")
    result = json.loads(out)
    assert result["files"] == 15
    schema = [p for p in result["problems"] if p["rule"].startswith("schema/")]
    assert schema == []
    assert code == 0  # drafts: quality findings are warnings


def test_a_rerun_skips_what_was_imported_and_overwrites_nothing(tmp_path: Path) -> None:
    kb = write_import_kb(tmp_path / "kb")
    documents = [str(FIXTURES / "team-template-adfs.md"), str(FIXTURES / "incidents-export.csv")]
    code, first = imported_reports(kb, *documents)
    assert code == 0 and len(first["documents"]) == 3
    written = snapshot(kb / "postmortems")
    code, again = imported_reports(kb, *documents)
    assert code == 0
    assert [r["outcome"] for r in again["documents"]] == ["already imported"] * 3
    assert [r["target"] for r in again["documents"]] == [r["target"] for r in first["documents"]]
    assert snapshot(kb / "postmortems") == written


def test_an_id_collision_gets_a_distinct_id_and_says_so(tmp_path: Path) -> None:
    kb = write_import_kb(tmp_path / "kb")
    original = FIXTURES / "team-template-adfs.md"
    edited = tmp_path / "adfs-edited.md"
    edited.write_text(original.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    imported_reports(kb, str(original))
    before = (kb / "postmortems" / "2021-03-31-adfs-outage.md").read_bytes()
    code, result = imported_reports(kb, str(edited))
    report = result["documents"][0]
    assert code == 0 and report["id"] == "2021-03-31-adfs-outage-2"
    assert report["warnings"] == [
        "id '2021-03-31-adfs-outage' is already the id of "
        "postmortems/2021-03-31-adfs-outage.md; written as "
        "'2021-03-31-adfs-outage-2'"
    ]
    assert (kb / "postmortems" / "2021-03-31-adfs-outage.md").read_bytes() == before


def test_dry_run_reports_in_text_and_writes_nothing(tmp_path: Path) -> None:
    kb = write_import_kb(tmp_path / "kb")
    code, out = run_cli(kb, "import", "--dry-run", str(FIXTURES / "sre-book-shakespeare.md"))
    assert code == 0
    assert (
        "→ postmortems/2015-10-21-shakespeare-sonnet-postmortem-incident-465.md: would "
        "import (draft)" in out
    )
    assert "  timeline: 17 of 17 row(s) carried over; action items: 9 of 9" in out
    assert "  kept as narrative: Trigger; Resolution; Detection; Supporting information" in out
    assert (
        "1 document(s): 1/1 (100%) would be carried over; timeline rows 17/17 (100%); "
        "action items 9/9 (100%)" in out
    )
    assert "Dry run: nothing was written." in out
    assert not list((kb / "postmortems").glob("*.md"))


def test_a_row_over_the_size_limit_is_reported(tmp_path: Path) -> None:
    kb = write_import_kb(tmp_path / "kb")
    sheet = tmp_path / "big.csv"
    sheet.write_text(
        f'Title,Date,Notes\nSmall one,2024-01-01,fine\nHuge one,2024-01-02,"{"x" * 1_100_000}"\n',
        encoding="utf-8",
    )
    code, result = imported_reports(kb, str(sheet))
    small, huge = result["documents"]
    assert code == 1
    assert small["outcome"] == "imported"
    assert huge["outcome"] == "not imported"
    assert "the loader reads at most 1,000,000" in huge["reason"]


def test_a_document_that_is_no_postmortem_is_not_imported(tmp_path: Path) -> None:
    kb = write_import_kb(tmp_path / "kb")
    readme = tmp_path / "README.md"
    readme.write_text("# Our postmortems\n\nOne file per incident. See CONTRIBUTING.\n", "utf-8")
    code, result = imported_reports(kb, str(readme))
    assert code == 1
    assert result["documents"][0]["outcome"] == "not imported"
    assert "no date that can be read" in result["documents"][0]["reason"]
