"""How much of a corpus of postmortems `pmkb import` carries over: documents, timeline rows and
action items, as shares.

    .venv/bin/python benchmarks/import_corpus.py [FOLDER …] [--map COLUMN=FIELD …]

Without a folder it reads the test corpus (tests/fixtures/import_corpus, its German
spreadsheet with the `--map` it needs). Each folder is imported with `--dry-run` into an
empty knowledge base in a temporary folder, so nothing is written anywhere; the per-document
report is printed, then the shares.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from import_support import FIXTURES, GERMAN_MAP, write_import_kb  # noqa: E402
from postmortem_kb.cli.main import main  # noqa: E402
from postmortem_kb.importers.report import DocumentReport, Totals, share  # noqa: E402


def dry_run(kb: Path, paths: list[str], mapping: list[str]) -> list[dict[str, object]]:
    previous, out = Path.cwd(), io.StringIO()
    os.chdir(kb)
    try:
        with redirect_stdout(out):
            main(["import", "--json", "--dry-run", *paths, *(f"--map={m}" for m in mapping)])
    finally:
        os.chdir(previous)
    documents: list[dict[str, object]] = json.loads(out.getvalue())["documents"]
    return documents


def main_benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*")
    parser.add_argument("--map", action="append", default=[])
    args = parser.parse_args()
    folders = args.folders or [str(FIXTURES)]
    mapping = args.map if args.folders else GERMAN_MAP
    with tempfile.TemporaryDirectory() as scratch:
        kb = write_import_kb(Path(scratch) / "kb")
        documents = dry_run(kb, folders, mapping)
    reports = [DocumentReport(**document) for document in documents]  # type: ignore[arg-type]
    for report in reports:
        print(
            f"{report.outcome:>16}  timeline {report.timeline_carried:>3}/"
            f"{report.timeline_found:<3} actions {report.actions_carried:>3}/"
            f"{report.actions_found:<3} {report.source.rsplit('/', 1)[-1]}"
            + (f"  ({report.reason})" if report.reason else "")
        )
    totals = Totals.of(reports)
    print(f"\ndocuments carried over: {share(totals.carried, totals.documents)}")
    print(f"timeline rows carried over: {share(totals.timeline_carried, totals.timeline_found)}")
    print(f"action items carried over: {share(totals.actions_carried, totals.actions_found)}")


if __name__ == "__main__":
    main_benchmark()
