"""Read postmortem files into search documents one file at a time, for `refresh.py`.

Each file is read as `load_knowledge_base` reads it (the text checks, the YAML, validation
against the settings and `_roles.yml`), and of several files with one id the first in
discovery order is the one indexed, so the documents are those a full load would give
(`tests/test_search_refresh.py` compares them with `project_audience`). What each file
yielded is kept as the manifest's `SourceFile`s.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..core.loader import LoadProblem, display_name, parse_postmortem, read_text_file
from ..core.model import Incident
from ..core.problems import Problems
from ..core.settings import Settings
from ..core.side_files import load_roles
from ..core.validate import validate_postmortem
from .documents import SearchDocument, document_from_incident
from .index import SearchIndexError
from .manifest import Manifest, SourceFile, SourceSnapshot, has_evidence_files


@dataclass
class SourceReader:
    """The postmortem files of one snapshot, read as few times as possible."""

    settings: Settings
    snapshot: SourceSnapshot
    #: Relative path → what the file is now.
    files: dict[str, SourceFile] = field(default_factory=dict)
    #: Relative path → the search document of the file parsed in this run (None: no incident).
    parsed: dict[str, SearchDocument | None] = field(default_factory=dict)
    _roles: dict[str, str] | None = None

    def manifest(self) -> Manifest:
        return Manifest(self.snapshot.inputs, None, dict(self.files), dict(self.snapshot.others))

    def read_everything(self) -> list[SearchDocument]:
        """Every file read and parsed; the documents of the first file with each id."""
        self.files, self.parsed = {}, {}
        for relative in self.snapshot.postmortems:
            self.files[relative] = self._read(relative)
        return [self._document(relative, id_) for id_, relative in winners(self.files).items()]

    def read_changes(self, recorded: Manifest) -> tuple[list[SearchDocument], list[str]]:
        """Read what changed since `recorded`; the documents to re-index, the ids to drop."""
        others_changed = recorded.others != self.snapshot.others
        for relative, stat in self.snapshot.postmortems.items():
            before = recorded.files.get(relative)
            if before is None or not before.known:
                self.files[relative] = self._read(relative)
            elif others_changed and (before.incident_id is None or before.evidence):
                self.files[relative] = self._read(relative)  # its text may be the same
            elif before.stat != stat:
                self.files[relative] = self._read(relative, unless_text_of=before)
            else:
                self.files[relative] = before
        indexed = winners(recorded.files)
        wanted = winners(self.files)
        removed = sorted(indexed.keys() - wanted.keys())
        changed = []
        for incident_id, relative in wanted.items():
            was = indexed.get(incident_id)
            now = self.files[relative].document_hash
            if was is None or recorded.files[was].document_hash != now:
                changed.append(self._document(relative, incident_id))
        return changed, removed

    def _read(self, relative: str, unless_text_of: SourceFile | None = None) -> SourceFile:
        """The file as it is now; not parsed again when its text is `unless_text_of`'s."""
        path = self.snapshot.source_dir / relative
        display = display_name(path, self.snapshot.source_dir)
        try:
            status = path.stat()  # before reading: a later change shows as another time
        except OSError:
            return SourceFile(-1, -1)  # gone since it was listed: gone next time too
        size, mtime_ns = self.snapshot.settled((status.st_size, status.st_mtime_ns))
        try:
            text = read_text_file(path, display)
        except LoadProblem:
            self.parsed[relative] = None
            return SourceFile(size, mtime_ns)
        sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        before = unless_text_of
        if before is not None and before.sha256 == sha256:
            return SourceFile(
                size,
                mtime_ns,
                sha256,
                before.incident_id,
                before.document_hash,
                evidence=before.evidence,
            )
        incident = self._incident(path, display, text)
        if incident is None:
            self.parsed[relative] = None
            return SourceFile(size, mtime_ns, sha256)
        document = self.parsed[relative] = document_from_incident(incident)
        return SourceFile(
            size,
            mtime_ns,
            sha256,
            incident.id,
            document.content_hash,
            evidence=has_evidence_files(incident),
        )

    def _incident(self, path: Path, display: str, text: str) -> Incident | None:
        if self._roles is None:
            self._roles, _ = load_roles(self.settings, Problems())
        try:
            raw = parse_postmortem(path, display, text)
        except LoadProblem:
            return None
        incident, _ = validate_postmortem(raw, self.settings, self._roles)
        return incident

    def _document(self, relative: str, incident_id: str) -> SearchDocument:
        """The search document of the file that yields `incident_id`, parsed if need be."""
        if relative not in self.parsed:  # unchanged, and now first with its id
            self.files[relative] = self._read(relative)
        document = self.parsed.get(relative)
        if document is None or document.id != incident_id:
            # Changed since it was listed: the caller reads everything instead.
            raise SearchIndexError(f"{relative}: changed while the index was updated")
        return document


def winners(files: dict[str, SourceFile]) -> dict[str, str]:
    """Incident id → the first file (in discovery order) that yields it: the one indexed."""
    winners: dict[str, str] = {}
    for relative, entry in files.items():
        if entry.incident_id is not None and entry.known:
            winners.setdefault(entry.incident_id, relative)
    return winners
