"""What the internal index was built from, so a search can tell it is current without reading.

Reading, validating and indexing every postmortem before each `pmkb search` took seconds at a
thousand incidents. Instead, whoever writes the internal index (the build's index worker,
`pmkb search` itself) records beside it, in `sources.json`, every source file's size,
modification time and content hash, what each postmortem yielded (an incident id and the
hash of its search document, or nothing), and a digest of everything the whole knowledge base
shares: the settings, the side files (`_roles.yml`, … any top-level `_*.yml`) and the code
that turns files into search documents. A search then only lists the source folder and
compares (`SourceSnapshot.listing`); only when something differs does it read the files
that changed (`refresh.py`). The listing is the one part of a search that grows with the
library (a `stat` per file), so it keeps to the least Python it can: names in plain lists,
sizes and times packed in arrays, dictionaries built only when something changed.

Never wrong, by construction:
- A snapshot is taken *before* any file is read: a file that changes after that has another
  size or time than recorded, and is read again next time.
- A file modified within `RACY_NS` of being read is recorded without its time (git's "racily
  clean" entries): a second edit within the file system's clock resolution would otherwise
  keep the first edit's time and size and go unnoticed. The next search hashes it again.
- The manifest names the index state it describes (`SearchIndex.state()`); an index written
  by anyone else since (or rebuilt, or deleted) no longer matches it, and everything is read.
- Writers hold `sources.lock` from updating the index until the manifest is written, so two
  writers never pair one's index with the other's manifest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import functools
import hashlib
import itertools
import json
import os
import tempfile
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISDIR, S_ISLNK, S_ISREG
from typing import TYPE_CHECKING, Any

from ..core.fingerprint import package_fingerprint
from ..core.settings import Settings
from .cache_folder import SCHEMA_VERSION, SearchCacheError
from .documents import SearchDocument

if TYPE_CHECKING:
    from ..core.model import Incident

#: What `core.loader.discover_postmortem_files` takes for a postmortem file, kept here so that
#: listing the folder does not import the YAML reader (the test of this module compares them).
POSTMORTEM_SUFFIXES = (".md", ".yaml", ".yml")

MANIFEST_FILE = "sources.json"
LOCK_FILE = "sources.lock"
#: Bump when the manifest's layout or what a digest covers changes.
MANIFEST_VERSION = 2
#: A file modified this recently when it was read is checked by content next time.
RACY_NS = 2_000_000_000
#: The time recorded for such a file: it matches no file's real time.
UNSETTLED = -1

#: (size, modification time in ns) of one file.
Stat = tuple[int, int]


@dataclass(frozen=True)
class SourceFile:
    """One postmortem file as last read: its stat, its text's hash and what it yielded."""

    size: int
    mtime_ns: int
    #: sha256 of the text as parsed; None when unknown (recorded by a build) or unreadable.
    sha256: str | None = None
    #: The incident id the file yields, or None when it yields none (errors).
    incident_id: str | None = None
    #: The content hash of that incident's search document.
    document_hash: str | None = None
    #: False when the outcome is unknown (a build recorded a skipped file): read it again.
    known: bool = True
    #: Whether the incident names evidence files, whose presence decides its validity.
    evidence: bool = False

    @property
    def stat(self) -> Stat:
        return self.size, self.mtime_ns

    def to_json(self) -> list[Any]:
        return [
            self.size,
            self.mtime_ns,
            self.sha256,
            self.incident_id,
            self.document_hash,
            self.known,
            self.evidence,
        ]

    @classmethod
    def from_json(cls, value: list[Any]) -> SourceFile:
        size, mtime_ns, sha256, incident_id, document_hash, known, evidence = value
        return cls(
            int(size),
            int(mtime_ns),
            _text_or_none(sha256),
            _text_or_none(incident_id),
            _text_or_none(document_hash),
            bool(known),
            bool(evidence),
        )


@dataclass(frozen=True)
class FoundFiles:
    """Files as a listing found them, in listing order: each folder's names sorted, the files
    below a folder where its name sorts (`a/z.md` before `a-b.md`, unlike plain text order).

    Their relative paths, and their sizes and modification times packed two numbers a file:
    a tuple and a dictionary entry for each of 5,000 files took a third of the listing.
    """

    paths: list[str] = dataclasses.field(default_factory=list)
    stats: array[int] = dataclasses.field(default_factory=lambda: array("q"))

    @classmethod
    def of(cls, files: dict[str, Stat]) -> FoundFiles:
        """The files of a manifest (or a snapshot) as a listing finds them."""
        paths = sorted(files, key=_in_listing_order)
        return cls(paths, array("q", itertools.chain.from_iterable(map(files.__getitem__, paths))))

    def by_path(self) -> dict[str, Stat]:
        """Relative path → stat, in discovery order (the paths sorted as text)."""
        numbers = self.stats
        stats = zip(numbers[::2], numbers[1::2], strict=True)
        return dict(sorted(zip(self.paths, stats, strict=True)))


def _in_listing_order(path: str) -> str:
    """The path with its `/`s below every character a name can hold: sorted as text, such
    paths sort as their parts would, each folder's names in turn."""
    return path.replace("/", "\0")


@dataclass(frozen=True)
class Listed:
    """All a search compares with the manifest's header: what every document depends on
    (`SourceSnapshot.inputs`) and the listing of the files (`SourceSnapshot.listing`)."""

    inputs: str
    listing: str


@dataclass(frozen=True)
class SourceSnapshot:
    """The source folder as it stood before anything in it was read."""

    source_dir: Path
    #: Every postmortem file.
    found_postmortems: FoundFiles
    #: Every other file (evidence, side files, templates).
    found_others: FoundFiles
    #: Digest of every input all documents share: settings, side files, code.
    inputs: str
    #: When the snapshot was taken (`time.time_ns()`), for the racy-entry rule.
    taken_ns: int

    @functools.cached_property
    def listing(self) -> str:
        return listing_digest(self.found_postmortems, self.found_others)

    @property
    def listed(self) -> Listed:
        return Listed(self.inputs, self.listing)

    @functools.cached_property
    def postmortems(self) -> dict[str, Stat]:
        """Relative POSIX path → stat of every postmortem file, in discovery order."""
        return self.found_postmortems.by_path()

    @functools.cached_property
    def others(self) -> dict[str, Stat]:
        """Relative path → stat of every other file."""
        return self.found_others.by_path()

    def settled(self, stat: Stat) -> Stat:
        """The stat to record for a file read after this snapshot was taken."""
        return _settled(stat, self.taken_ns)

    def manifest(
        self, incidents: Iterable[Incident], documents: Iterable[SearchDocument]
    ) -> Manifest:
        """The manifest of a build that read this folder into `incidents` (and `documents`).

        A build keeps no hash of the text it read, so a file whose time changes is parsed
        again rather than compared; a skipped file's outcome (errors, or a duplicate id) is
        not known, so the next search reads it.
        """
        from ..core.loader import display_name

        valid = {incident.source: incident for incident in incidents}
        hashes = {document.id: document.content_hash for document in documents}
        # `display_name` of each file, its folder part worked out once (a path object per
        # file took a quarter of a second at 5,000 files).
        folder = display_name(self.source_dir / "-", self.source_dir)[:-1]
        files = {}
        for relative, stat in self.postmortems.items():
            size, mtime_ns = self.settled(stat)
            display = os.fsencode(folder + relative).decode("utf-8", "backslashreplace")
            incident = valid.get(display)
            files[relative] = (
                SourceFile(size, mtime_ns, known=False)
                if incident is None
                else SourceFile(
                    size,
                    mtime_ns,
                    incident_id=incident.id,
                    document_hash=hashes.get(incident.id),
                    evidence=has_evidence_files(incident),
                )
            )
        return Manifest(self.inputs, None, files, dict(self.others))


@dataclass(frozen=True)
class ManifestHeader:
    """The manifest's first line: all a search reads when nothing changed."""

    inputs: str
    #: `SearchIndex.state()` right after the index was written; None until then.
    index_state: str | None
    #: `listing_digest` of the files as recorded.
    listing: str

    def describes(self, listed: Listed, index_state: str | None) -> bool:
        """Whether nothing changed: the same inputs, the same files, the same index."""
        return index_state is not None and (self.inputs, self.index_state, self.listing) == (
            listed.inputs,
            index_state,
            listed.listing,
        )


@dataclass(frozen=True)
class Manifest:
    """What the index holds, file by file; see the module docstring."""

    inputs: str
    index_state: str | None
    #: Relative path → every postmortem file, in discovery order.
    files: dict[str, SourceFile]
    #: Relative path → stat of every other file.
    others: dict[str, Stat]

    @property
    def header(self) -> ManifestHeader:
        files = FoundFiles.of({path: entry.stat for path, entry in self.files.items()})
        listing = listing_digest(files, FoundFiles.of(self.others))
        return ManifestHeader(self.inputs, self.index_state, listing)

    def for_index(self, index_state: str | None) -> Manifest:
        return dataclasses.replace(self, index_state=index_state)


def has_evidence_files(incident: Incident) -> bool:
    return any(evidence.file for evidence in incident.evidence)


def snapshot_sources(settings: Settings) -> SourceSnapshot:
    """List the source folder (sizes and times, no file read but the small side files)."""
    taken_ns = time.time_ns()
    postmortems, others = FoundFiles(), FoundFiles()
    source_dir = settings.source_dir
    try:
        skip = os.stat(settings.cache_dir)
        cache = (skip.st_dev, skip.st_ino)
    except OSError:
        cache = None
    with contextlib.suppress(OSError):  # no folder: no files (the build reports it)
        folder = os.open(source_dir, _DIRECTORY)
        try:
            _list_files(folder, "", True, cache, postmortems, others)
        finally:
            os.close(folder)
    return SourceSnapshot(
        source_dir, postmortems, others, _inputs_digest(settings, source_dir, others), taken_ns
    )


_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def _list_files(
    folder: int,
    prefix: str,
    incidents_below: bool,
    cache: tuple[int, int] | None,
    postmortems: FoundFiles,
    others: FoundFiles,
) -> None:
    """Every file below the open `folder`, in listing order (`FoundFiles`), split as
    `discover_postmortem_files` does: no part of a postmortem's path starts with `_`
    (`incidents_below` is False under such a folder), and its suffix is one of
    `POSTMORTEM_SUFFIXES`.

    Names starting with `.` are left out altogether (version control), and so is the cache
    folder (`cache`: its device and inode); folders reached through a symbolic link are not
    entered, as discovery does not, and a link to a file counts as that file. This runs
    before every search: one `stat` per file, relative to its open folder (no path to resolve
    from the root), and little else (plain names, not `os.scandir` entries, to sort).
    """
    names = os.listdir(folder)
    names.sort()
    for name in names:
        if name.startswith("."):
            continue
        try:
            status = os.lstat(name, dir_fd=folder)
            if S_ISDIR(status.st_mode):
                if (status.st_dev, status.st_ino) != cache:
                    below = os.open(name, _DIRECTORY, dir_fd=folder)
                    try:
                        _list_files(
                            below,
                            f"{prefix}{name}/",
                            incidents_below and not name.startswith("_"),
                            cache,
                            postmortems,
                            others,
                        )
                    finally:
                        os.close(below)
                continue
            if S_ISLNK(status.st_mode):
                status = os.stat(name, dir_fd=folder)
        except OSError:
            continue  # gone since it was listed, a dangling link, a folder that cannot be read
        if not S_ISREG(status.st_mode):
            continue
        is_postmortem = (
            incidents_below and not name.startswith("_") and name.endswith(POSTMORTEM_SUFFIXES)
        )
        found = postmortems if is_postmortem else others
        found.paths.append(prefix + name)
        found.stats.append(status.st_size)
        found.stats.append(status.st_mtime_ns)


def _inputs_digest(settings: Settings, source_dir: Path, others: FoundFiles) -> str:
    """Everything every document depends on besides its own file.

    The settings (but the build date, which no document shows), the top-level side files by
    content (`_roles.yml` resolves handles in every file; a side file added later may matter
    as much), this package's code and the index schema.
    """
    digest = hashlib.blake2b(digest_size=16)
    settings_text = repr(dataclasses.replace(settings, build_date=dt.date.min))
    digest.update(
        f"{MANIFEST_VERSION}\0{SCHEMA_VERSION}\0{settings_text}\0".encode(
            "utf-8", "surrogateescape"
        )
    )
    for relative in others.paths:
        if (
            "/" not in relative
            and relative.startswith("_")
            and relative.endswith((".yml", ".yaml"))
        ):
            try:
                content = (source_dir / relative).read_bytes()
            except OSError:
                content = b"\0unreadable"
            digest.update(relative.encode("utf-8", "surrogateescape") + b"\0" + content + b"\0")
    digest.update(package_fingerprint().encode())
    return digest.hexdigest()


def listing_digest(postmortems: FoundFiles, others: FoundFiles) -> str:
    """A digest of every path with its stat, in listing order: the paths joined, the numbers
    packed (formatting 5,000 lines of text took longer than listing the folder)."""
    digest = hashlib.blake2b(digest_size=16)
    for found in (postmortems, others):
        digest.update("\n".join(found.paths).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(found.stats.tobytes())
    return digest.hexdigest()


def _settled(stat: Stat, read_ns: int) -> Stat:
    size, mtime_ns = stat
    return (size, UNSETTLED) if read_ns - mtime_ns < RACY_NS else stat


# Reading and writing


def read_manifest_header(directory: Path) -> ManifestHeader | None:
    """The first line of the manifest in `directory`; None when there is none usable."""
    try:
        with (directory / MANIFEST_FILE).open(encoding="utf-8") as handle:
            return _header(json.loads(handle.readline()))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def read_manifest(directory: Path) -> Manifest | None:
    """The whole manifest in `directory`; None when there is none, or it is damaged."""
    try:
        with (directory / MANIFEST_FILE).open(encoding="utf-8") as handle:
            header = _header(json.loads(handle.readline()))
            body = json.loads(handle.read())
        manifest = Manifest(
            header.inputs,
            header.index_state,
            {path: SourceFile.from_json(value) for path, value in body["files"].items()},
            {path: (int(size), int(mtime)) for path, (size, mtime) in body["others"].items()},
        )
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return manifest if manifest.header == header else None


def _header(value: dict[str, Any]) -> ManifestHeader:
    if value["version"] != MANIFEST_VERSION:
        raise ValueError("another manifest version")
    return ManifestHeader(
        str(value["inputs"]), _text_or_none(value["index"]), str(value["listing"])
    )


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Replace the manifest in one step (a reader sees the old one or the new one)."""
    header = manifest.header
    first_line = {
        "version": MANIFEST_VERSION,
        "inputs": header.inputs,
        "index": header.index_state,
        "listing": header.listing,
    }
    body = {
        "files": {path: entry.to_json() for path, entry in manifest.files.items()},
        "others": {path: list(stat) for path, stat in manifest.others.items()},
    }
    text = json.dumps(first_line) + "\n" + json.dumps(body)
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=".sources-", dir=directory)
    except FileNotFoundError:
        return  # the folder was deleted, and the index with it: the next search reads all
    except OSError as error:
        raise SearchCacheError(directory, error) from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, directory / MANIFEST_FILE)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise SearchCacheError(directory, error) from None


@contextlib.contextmanager
def update_lock(directory: Path, timeout: float | None) -> Iterator[bool]:
    """Hold the index's update lock: True once held, False after `timeout` seconds without.

    None waits as long as it takes. The operating system releases the lock of a process
    that dies, so a killed build never leaves it held.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise SearchCacheError(directory, error) from None
    try:
        yield _acquire(descriptor, timeout)
    finally:
        os.close(descriptor)  # releases the lock


def _acquire(descriptor: int, timeout: float | None) -> bool:
    if timeout is None:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        return True
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)
