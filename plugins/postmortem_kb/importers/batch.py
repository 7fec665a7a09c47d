"""Import a batch of documents into a knowledge base's folder, never overwriting anything.

Each document is read by its type, converted, written as a file and checked by the same
validator `pmkb check` runs before it is written: a conversion that would not load is
reported, not written. Each file records `imported_from: {path, sha256}`; a document whose
hash an existing file records is skipped, so a re-run adds only what is new.

Ids: `YYYY-MM-DD-<title words>`, the file's name. One already taken by another incident of
the knowledge base, or by an earlier document of the same run, gets `-2`, `-3`, … and a
warning naming the file that holds it: both documents are kept, neither is overwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..core.loader import (
    MAX_FILE_BYTES,
    LoadProblem,
    discover_postmortem_files,
    normalised_text,
    parse_postmortem,
    read_postmortem,
)
from ..core.problems import Problems
from ..core.settings import Settings
from ..core.side_files import load_roles
from ..core.validate import validate_postmortem
from .document import SourceDocument, build_sections
from .headings import label_kind
from .html_reader import read_html
from .markdown_reader import read_markdown
from .people import People
from .recognise import ImportOptions, Recogniser
from .report import ALREADY_IMPORTED, IMPORTED, NOT_IMPORTED, WOULD_IMPORT, DocumentReport
from .spreadsheet import decode, read_spreadsheet
from .writer import postmortem_text

MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")
HTML_SUFFIXES = (".html", ".htm")
CSV_SUFFIXES = (".csv",)
DOCUMENT_SUFFIXES = MARKDOWN_SUFFIXES + HTML_SUFFIXES + CSV_SUFFIXES


@dataclass
class ImportRequest:
    paths: list[Path]
    #: The folder the files are written to (inside the knowledge base).
    into: Path
    settings: Settings
    options: ImportOptions
    #: `--map`: column name → field name.
    mapping: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    #: The folder paths are shown relative to (the knowledge base root).
    base: Path = field(default_factory=Path.cwd)


class _Library:
    """What the knowledge base holds already: ids, file names and imported hashes."""

    def __init__(self, request: ImportRequest) -> None:
        self.base = request.base
        self.ids: dict[str, str] = {}
        self.hashes: dict[str, str] = {}
        for folder in {request.settings.source_dir.resolve(), request.into.resolve()}:
            if folder.is_dir():
                for path in discover_postmortem_files(folder):
                    self._add_existing(path, folder)

    def _add_existing(self, path: Path, folder: Path) -> None:
        shown = self.show(path)
        try:
            data = read_postmortem(path, folder).data
        except LoadProblem:
            self.ids.setdefault(path.stem, shown)
            return
        written_id = data.get("id")
        self.ids.setdefault(written_id if isinstance(written_id, str) else path.stem, shown)
        source = data.get("imported_from")
        if isinstance(source, dict) and isinstance(source.get("sha256"), str):
            self.hashes.setdefault(source["sha256"], shown)

    def show(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.base.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def document_paths(paths: list[Path], into: Path) -> Iterator[Path]:
    """The documents named or found in the folders named, skipping the target folder."""
    target = into.resolve()
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in found.relative_to(path).parts)
                inside_target = target == found.resolve() or target in found.resolve().parents
                if (
                    found.is_file()
                    and found.suffix.lower() in DOCUMENT_SUFFIXES
                    and not (hidden or inside_target)
                ):
                    yield found
        else:
            yield path


def import_documents(request: ImportRequest) -> list[DocumentReport]:
    """Convert and write every document; one report per document (per spreadsheet row)."""
    library = _Library(request)
    problems = Problems()
    roles, names = load_roles(request.settings, problems)
    people = People(roles, names)
    reports: list[DocumentReport] = []
    for path in document_paths(request.paths, request.into):
        reports.extend(_import_file(path, request, library, people, roles))
    return reports


def _import_file(
    path: Path, request: ImportRequest, library: _Library, people: People, roles: dict[str, str]
) -> list[DocumentReport]:
    shown = library.show(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [DocumentReport(shown, reason=f"cannot be read: {exc.strerror or exc}")]
    suffix = path.suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        return [
            DocumentReport(
                shown,
                reason=f"a {suffix or 'file without a suffix'} is not a "
                "document we read; expected .md, .html, .htm or .csv",
            )
        ]
    if suffix in CSV_SUFFIXES:
        return _import_spreadsheet(shown, data, request, library, people, roles)
    report = DocumentReport(shown)
    digest = hashlib.sha256(data).hexdigest()
    if _already_imported(report, digest, library):
        return [report]
    document = _read_document(path.name, data, suffix, report)
    _convert_and_write(document, report, digest, request, library, people, roles)
    return [report]


def _read_document(name: str, data: bytes, suffix: str, report: DocumentReport) -> SourceDocument:
    text, note = decode(data)
    if note:
        report.assume(f"the file is {note}")
    text = normalised_text(text)
    if suffix in HTML_SUFFIXES:
        page = read_html(text)
        root = build_sections(page.blocks, _is_label_heading)
        return SourceDocument(name, root, title_hint=page.title, losses=page.losses)
    front_matter, blocks, problems = read_markdown(text)
    for problem in problems:
        report.warn(problem)
    return SourceDocument(
        name, build_sections(blocks, _is_label_heading), front_matter=front_matter
    )


def _is_label_heading(title: str) -> bool:
    return label_kind(title) is not None


def _import_spreadsheet(
    shown: str,
    data: bytes,
    request: ImportRequest,
    library: _Library,
    people: People,
    roles: dict[str, str],
) -> list[DocumentReport]:
    sheet = read_spreadsheet(data, shown, request.mapping)
    if not sheet.rows:
        return [DocumentReport(shown, reason="no rows under the header row")]
    reports = []
    for row in sheet.rows:
        report = DocumentReport(f"{shown}#row={row.number}")
        for note in sheet.notes:
            report.assume(f"spreadsheet {note}")
        for column in sheet.unknown_columns:
            report.warn(f"--map {column}=…: the spreadsheet has no column '{column}'")
        if not _already_imported(report, row.sha256, library):
            _convert_and_write(row.document, report, row.sha256, request, library, people, roles)
            if report.outcome == NOT_IMPORTED and report.reason and not request.mapping:
                report.reason += "; name the fields of its columns with --map COLUMN=FIELD"
        reports.append(report)
    return reports


def _already_imported(report: DocumentReport, digest: str, library: _Library) -> bool:
    earlier = library.hashes.get(digest)
    if earlier is None:
        return False
    report.outcome, report.target = ALREADY_IMPORTED, earlier
    report.reason = f"the same content was imported as {earlier}; skipped"
    return True


def _convert_and_write(
    document: SourceDocument,
    report: DocumentReport,
    digest: str,
    request: ImportRequest,
    library: _Library,
    people: People,
    roles: dict[str, str],
) -> None:
    converted = Recogniser(document, request.settings, people, request.options, report).convert()
    if converted is None:
        return
    path, incident_id = _free_path(converted.slug, request.into, library, report)
    fields = {**converted.fields, "imported_from": {"path": report.source, "sha256": digest}}
    text = postmortem_text(fields, converted.body)
    shown = library.show(path)
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        report.reason = (
            f"the postmortem would be {size:,} bytes; the loader reads at most "
            f"{MAX_FILE_BYTES:,}: split the document or shorten it"
        )
        return
    errors = _validation_errors(path, shown, text, request.settings, roles)
    if errors:
        report.reason = "the converted file would not be valid: " + "; ".join(errors[:3])
        return
    report.id, report.target = incident_id, shown
    library.ids[incident_id] = shown
    library.hashes[digest] = shown
    if request.dry_run:
        report.outcome = WOULD_IMPORT
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite
            handle.write(text)
    except OSError as exc:
        report.outcome, report.target = NOT_IMPORTED, None
        report.reason = f"{shown}: cannot be written ({exc.strerror or exc})"
        return
    report.outcome = IMPORTED


def _free_path(
    slug: str, into: Path, library: _Library, report: DocumentReport
) -> tuple[Path, str]:
    candidate, number = slug, 1
    while candidate in library.ids or (into / f"{candidate}.md").exists():
        number += 1
        candidate = f"{slug}-{number}"
    if candidate != slug:
        holder = library.ids.get(slug) or f"{into.name}/{slug}.md"
        report.warn(f"id '{slug}' is already the id of {holder}; written as '{candidate}'")
    return into / f"{candidate}.md", candidate


def _validation_errors(
    path: Path, shown: str, text: str, settings: Settings, roles: dict[str, str]
) -> list[str]:
    try:
        raw = parse_postmortem(path, shown, normalised_text(text))
    except LoadProblem as exc:
        return [str(exc.problem)]
    _, problems = validate_postmortem(raw, settings, roles)
    return [str(problem) for problem in problems.errors]
