"""`pmkb import PATH… [--into DIR] [--dry-run] [--json]`: existing postmortems into files.

The options are checked here (a severity on the scale, `--map column=field` with a field we
know), the work is `importers.batch`'s, and the report goes to stdout as text or JSON. Exit
status 1 when any document could not be imported, so a script notices; documents skipped
because they were imported before are not failures.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.settings import Settings
from ..core.validate import severity_option
from ..importers.batch import ImportRequest, import_documents
from ..importers.recognise import MAP_TARGETS, ImportOptions
from ..importers.report import NOT_IMPORTED, format_json, format_text


class ImportCommandError(Exception):
    """A bad option; nothing was read or written."""


def default_settings(into: str | None) -> Settings:
    """Settings for a folder that is no knowledge base yet (no mkdocs.yml): the default
    severity scale and UTC, files written to `--into` (default `postmortems/`)."""
    return Settings(source_dir=Path(into or "postmortems").resolve())


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        severity = severity_option(args.default_severity, settings.severities)
    except ValueError as exc:
        raise ImportCommandError(f"--default-severity: {exc}") from None
    missing = [path for path in args.paths if not Path(path).exists()]
    if missing:
        raise ImportCommandError(f"{missing[0]}: not found; expected a document or a folder")
    request = ImportRequest(
        paths=[Path(path) for path in args.paths],
        into=Path(args.into) if args.into else settings.source_dir,
        settings=settings,
        options=ImportOptions(default_severity=severity, status=args.status),
        mapping=_mapping(args.map),
        dry_run=args.dry_run,
    )
    reports = import_documents(request)
    if not reports:
        raise ImportCommandError(
            "no documents found (.md, .html, .htm, .csv) in " + ", ".join(args.paths)
        )
    if args.json:
        print(format_json(reports, dry_run=args.dry_run))
    else:
        print(format_text(reports, dry_run=args.dry_run))
    return 1 if any(report.outcome == NOT_IMPORTED for report in reports) else 0


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, separator, target = pair.partition("=")
        if not separator or not column.strip():
            raise ImportCommandError(f"--map {pair}: expected COLUMN=FIELD")
        if target.strip() not in MAP_TARGETS:
            raise ImportCommandError(
                f"--map {pair}: '{target.strip()}' is not a field we map "
                f"to; expected one of {', '.join(MAP_TARGETS)}"
            )
        mapping[column.strip()] = target.strip()
    return mapping
