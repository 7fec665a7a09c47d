"""Full-text search over one audience's incidents: the only module that imports whoosh.

A `SearchIndex` lives in a cache directory outside the site (`.cache/pmkb/<audience>/`) and
holds only the `SearchDocument`s it is given, so a public index is built from public
documents alone. `update()` re-indexes only documents whose content hash changed and drops
vanished ones. The index is a cache and is treated as one: a missing, outdated (schema
version), corrupt or locked index is replaced by a clean rebuild, never a crash.

On disk, `index.json` names the current generation directory (`gen-*`), the schema
version it was built with and a checksum of each of its files. A rebuild always writes a
fresh generation and then switches the pointer, so a reader or a writer stuck on the old
generation is never pulled out from under itself.

Ranking: BM25F over stemmed text, with query-time boosts that put title, key learning and
summary (and tags, services and trigger as words) above the narrative text. Free words are
OR-ed, each matched word adding to the score; `tag:`, `service:`, `severity:`, `trigger:`,
`factor:` and `status:` terms are exact filters, AND-ed (a leading `-` excludes); `title:`,
`summary:`, `key_learning:` and `text:` search one ranked field. Any other `name:` is read as
plain words: the query parser only ever sees the ranked text fields, so a query can neither
reach a stored-only or date field (whoosh fails on those) nor be mistaken for index damage.

A query is turned into a whoosh query before the index is touched; only failures while
reading the index count as damage and trigger a rebuild. A cache folder that cannot be
written (not a folder, read-only, vanished) is a `SearchCacheError` naming the folder: a
rebuild cannot help there, the user has to.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import gc
import hashlib
import json
import os
import pickle
import re
import shutil
import struct
import tempfile
import warnings
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from .cache_folder import SCHEMA_VERSION, SearchCacheError
from .documents import FIELD_BOOSTS, STOP_WORDS, SearchDocument
from .whoosh_import import deferred_dependencies

# Without the modules whoosh imports for features never used here (40% of its import time).
with deferred_dependencies():
    from whoosh import analysis, fields, highlight, index, qparser, query, sorting
    from whoosh.filedb.filestore import FileStorage
    from whoosh.filedb.filetables import FileFormatError

POINTER_FILE = "index.json"
_GENERATION_PREFIX = "gen-"
_WRITE_LOCK = "MAIN_WRITELOCK"  # whoosh's lock file for the default index name

#: People ask questions: "certificates?" is a word and a question mark, never whoosh's
#: one-character wildcard (which would silently drop the word from the ranking).
_QUESTION_MARKS = re.compile(r"\?")
#: Characters no query means: control characters, and lone surrogates (undecodable bytes in
#: the command line), which whoosh could not even encode as a term.
_UNSEARCHABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: Longer queries are refused: whoosh's query parser takes time quadratic in a word's length
#: (100,000 characters took over a minute), and a question needs far fewer.
MAX_QUERY_CHARS = 1000
#: How many hits are re-ranked by coordination: limit times factor, at least the minimum.
_POOL_FACTOR, _MIN_POOL = 3, 20
#: Segments as separate files, not one compound file: a reader of a compound file copies every
#: part it opens into memory, a cost that grows with the library (15 ms of a 35 ms search at
#: 5,000 incidents), where separate files are read only where a query looks.
_COMPOUND = False
#: Where a snippet is taken from, most telling first (the title is shown anyway).
_SNIPPET_FIELDS = ("summary", "key_learning", "text")
_SNIPPET_CHARS = 200

#: Query prefixes that filter instead of ranking, and the index field each one reads.
FILTER_PREFIXES = {
    "tag": "tag",
    "tags": "tag",
    "service": "service",
    "services": "service",
    "severity": "severity",
    "sev": "severity",
    "trigger": "trigger",
    "factor": "factor",
    "factors": "factor",
    "status": "status",
}
_FILTER_TERM = re.compile(
    r"(?<!\S)(?P<exclude>-?)(?P<prefix>" + "|".join(FILTER_PREFIXES) + r'):(?P<value>"[^"]*"|\S+)',
    re.IGNORECASE,
)

# A damaged index can fail in whoosh's own checks or anywhere below them: unpickling the
# table of contents, unpacking a header, inflating a block, seeking past the end.
_DAMAGED_INDEX_ERRORS: tuple[type[BaseException], ...] = (
    index.IndexError,
    OSError,
    EOFError,
    pickle.UnpicklingError,
    struct.error,
    zlib.error,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    ImportError,
    OverflowError,
    MemoryError,
    # A file whose header is not whoosh's (overwritten), met by a search that trusted it.
    FileFormatError,
)

_T = TypeVar("_T")

# Marks around highlighted terms inside whoosh's output; documents never contain them
# (`markdown_to_words` replaces control characters).
_MARK_START = "\x02"
_MARK_END = "\x03"


class SearchIndexError(Exception):
    """The index cannot be searched (missing or unreadable); `update()` rebuilds it."""


class SearchQueryError(ValueError):
    """A request that cannot be searched as asked; the message says what is expected."""


@dataclass(frozen=True)
class IndexStats:
    """What one `update()` did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    #: True when the whole index was rebuilt from scratch; `reason` says why.
    rebuilt: bool = False
    reason: str | None = None

    def __str__(self) -> str:
        counts = (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged"
        )
        return f"rebuilt ({self.reason}): {counts}" if self.rebuilt else counts


@dataclass(frozen=True)
class SearchResult:
    """One ranked hit, ready to print or serialise."""

    id: str
    url: str
    title: str
    date: dt.date
    severity: str
    status: str
    tags: tuple[str, ...]
    services: tuple[str, ...]
    score: float
    #: Plain text around the matched terms (or the summary's opening when none matched).
    snippet: str
    #: (start, end) character spans of matched terms in `snippet`.
    highlights: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Suggestions:
    """What to offer when a query finds nothing."""

    #: The query with misspelt words and filter values corrected, when that finds something.
    corrected_query: str | None = None
    #: Tags spelt like the query's words or filter values.
    nearest_tags: tuple[str, ...] = ()
    #: The most used tags, to browse when nothing is near.
    popular_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedQuery:
    """A query split into ranked free text and exact filters."""

    text: str
    #: (index field, normalised value) pairs every hit must have.
    include: tuple[tuple[str, str], ...] = ()
    #: (index field, normalised value) pairs no hit may have.
    exclude: tuple[tuple[str, str], ...] = ()


def severity_key(severity: str) -> str:
    """Compare severities by letters and digits only: "SEV-1", "sev1" and "Sev 1" agree."""
    return re.sub(r"[^a-z0-9]", "", severity.lower())


def parse_query(text: str) -> ParsedQuery:
    """Split `tag:dns service:"auth api" -severity:sev4 cert expiry` into filters and words."""
    text = _UNSEARCHABLE.sub(" ", text)
    include: list[tuple[str, str]] = []
    exclude: list[tuple[str, str]] = []

    def take_filter(match: re.Match[str]) -> str:
        field_name = FILTER_PREFIXES[match["prefix"].lower()]
        value = _normalise_filter_value(field_name, match["value"].strip('"'))
        if value:
            (exclude if match["exclude"] else include).append((field_name, value))
        return " "

    free_text = _QUESTION_MARKS.sub(" ", _FILTER_TERM.sub(take_filter, text))
    return ParsedQuery(" ".join(free_text.split()), tuple(include), tuple(exclude))


def _normalise_filter_value(field_name: str, value: str) -> str:
    value = _UNSEARCHABLE.sub(" ", value).strip().lower()
    return severity_key(value) if field_name == "severity" else value


@dataclass(frozen=True)
class SearchRequest:
    """A question: free words and fielded terms, plus filters (the command line's options).

    One object carries the filters from the CLI through the service to the index, so adding
    a filter changes three ends of one type rather than four keyword lists.
    """

    query: str
    tags: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    severity: str | None = None
    since: dt.date | None = None
    limit: int = 10

    def __post_init__(self) -> None:
        # Refused here, before the index is touched: whoosh would fail on them only while
        # searching, where a failure looks like damage to the index.
        if len(self.query) > MAX_QUERY_CHARS:
            raise SearchQueryError(
                f"the query is {len(self.query):,} characters long; expected at most "
                f"{MAX_QUERY_CHARS:,}: the words that matter"
            )
        if self.limit < 1:
            raise SearchQueryError(f"the limit is {self.limit}; expected at least 1")


class SearchIndex:
    """The whoosh index of one audience's search documents, kept in `directory`.

    Use as a context manager or call `close()`; only searching holds files open.
    """

    def __init__(self, directory: Path, *, lock_timeout: float = 2.0) -> None:
        self.directory = Path(directory)
        #: How long `update()` waits for another writer before rebuilding elsewhere.
        self.lock_timeout = lock_timeout
        self._index: Any = None

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Forget the opened index (whoosh keeps no file open outside a search)."""
        self._index = None

    def exists(self) -> bool:
        """Whether a usable index is on disk (the CLI builds one when not)."""
        try:
            self._open()
        except SearchIndexError:
            return False
        return True

    # Writing

    def update(self, documents: Iterable[SearchDocument]) -> IndexStats:
        """Bring the index in line with `documents`: the complete set for this audience.

        New and changed documents (by content hash) are indexed, vanished ones removed,
        unchanged ones left alone. A missing, outdated, corrupt or locked index is rebuilt,
        and so is one whose documents mostly changed (a new version of the code, the
        settings): whoosh would keep every replaced document in its files, and its
        statistics, until segments merge, which makes every search read past them.
        """
        wanted = {document.id: document for document in documents}
        try:
            self._check_files()
            whoosh_index = self._open()
            stats = _guarded(lambda: self._apply_changes(whoosh_index, wanted))
            if stats is not None:
                return stats
            return self.rebuild(wanted.values(), reason="most documents changed")
        except SearchIndexError as error:
            return self.rebuild(wanted.values(), reason=str(error))
        except index.LockError:
            return self.rebuild(wanted.values(), reason="index locked by another writer")

    def rebuild(
        self, documents: Iterable[SearchDocument], *, reason: str = "rebuild requested"
    ) -> IndexStats:
        """Index `documents` into a fresh generation, switch to it, drop the old ones.

        Raises `SearchCacheError` when the folder cannot be written: the one failure a
        rebuild cannot get past.
        """
        self.close()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            generation = Path(tempfile.mkdtemp(prefix=_GENERATION_PREFIX, dir=self.directory))
            whoosh_index = index.create_in(str(generation), _schema())
            writer = whoosh_index.writer(limitmb=_REBUILD_LIMIT_MB, compound=_COMPOUND)
            count = 0
            for document in documents:
                writer.add_document(**_index_fields(document))
                count += 1
            writer.commit()
            self._write_pointer(generation.name)
            self._remove_old_generations(keep=generation.name)
        except OSError as error:
            raise SearchCacheError(self.directory, error) from None
        return IndexStats(added=count, rebuilt=True, reason=reason)

    def apply(self, changed: Sequence[SearchDocument], removed: Sequence[str]) -> IndexStats:
        """Re-index just the `changed` documents and drop the `removed` ids; leave the rest.

        For a caller that knows what changed without handing over every document (`pmkb
        search`, from its manifest of the source files). It cannot rebuild a missing,
        damaged or locked index, so it raises `SearchIndexError` for all three: the caller
        then updates from the complete set of documents.
        """
        try:
            self._check_files()
            whoosh_index = self._open()
            _guarded(lambda: self._write(whoosh_index, removed, changed, ()))
        except index.LockError:
            raise SearchIndexError("search index locked by another writer") from None
        return IndexStats(updated=len(changed), removed=len(removed))

    def intact(self) -> bool:
        """Whether every index file is there with the size it was written with.

        A cheap check for a search that writes nothing (a `stat` per file); the full
        checksums are compared before every write (`_check_files`), and damage a search
        meets inside a file is `SearchIndexError` all the same.
        """
        pointer = self._read_pointer()
        if pointer is None or not isinstance(pointer.get("files"), dict):
            return False
        generation = self.directory / pointer["generation"]
        try:
            return all(
                isinstance(recorded, list)
                and recorded
                and (generation / name).stat().st_size == recorded[0]
                for name, recorded in pointer["files"].items()
            )
        except OSError:
            return False

    def state(self) -> str | None:
        """A digest of the index as last written (its pointer file), or None without one.

        Every write rewrites the pointer with the checksums of the files it wrote, so equal
        digests mean nobody wrote to the index in between.
        """
        try:
            pointer = (self.directory / POINTER_FILE).read_bytes()
        except OSError:
            return None
        return hashlib.blake2b(pointer, digest_size=16).hexdigest()

    def _apply_changes(
        self, whoosh_index: Any, wanted: dict[str, SearchDocument]
    ) -> IndexStats | None:
        """Write what changed; None when most indexed documents would be replaced."""
        indexed = _indexed_hashes(whoosh_index)
        removed = sorted(indexed.keys() - wanted.keys())
        added = [doc for doc_id, doc in wanted.items() if doc_id not in indexed]
        updated = [
            doc
            for doc_id, doc in wanted.items()
            if doc_id in indexed and indexed[doc_id] != doc.content_hash
        ]
        unchanged = len(wanted) - len(added) - len(updated)
        if len(updated) + len(removed) > len(indexed) // 2 > 0:
            return None
        if removed or added or updated:
            self._write(whoosh_index, removed, updated, added)
        return IndexStats(
            added=len(added), updated=len(updated), removed=len(removed), unchanged=unchanged
        )

    def _write(
        self,
        whoosh_index: Any,
        removed: Iterable[str],
        updated: Iterable[SearchDocument],
        added: Iterable[SearchDocument],
    ) -> None:
        """Delete, replace and add documents in one commit, then point at the result."""
        writer = whoosh_index.writer(timeout=self.lock_timeout, delay=0.05, compound=_COMPOUND)
        try:
            for doc_id in removed:
                writer.delete_by_term("id", doc_id)
            for document in updated:
                writer.update_document(**_index_fields(document))
            for document in added:
                writer.add_document(**_index_fields(document))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        self.close()
        self._write_pointer(Path(whoosh_index.storage.folder).name)

    # Reading

    def search(self, request: SearchRequest) -> list[SearchResult]:
        """Ranked results for the request's query (fielded syntax allowed) within its filters.

        A query of filters only lists the matching incidents newest first (score 0).
        Raises `SearchIndexError` when there is no usable index.
        """
        parsed = _with_filters(parse_query(request.query), request)
        ranked = _ranked_query(parsed.text)  # before the index is read: never "damage"
        whoosh_index = self._open()

        def run() -> list[SearchResult]:
            with whoosh_index.searcher() as searcher:
                return _run_search(searcher, parsed, ranked, request.since, request.limit)

        return _guarded(run)

    def suggest(self, request: SearchRequest) -> Suggestions:
        """Spelling corrections and nearby tags for a request that found nothing."""
        parsed = _with_filters(parse_query(request.query), request)
        whoosh_index = self._open()

        def run() -> Suggestions:
            with whoosh_index.searcher() as searcher:
                corrected = _corrected_query(searcher, request.query)
                if corrected is not None:
                    retry = _with_filters(parse_query(corrected), request)
                    found = _run_search(
                        searcher, retry, _ranked_query(retry.text), request.since, 1
                    )
                    if not found:
                        corrected = None
                reader = searcher.reader()
                tag_names = [_text_of(term) for term in reader.lexicon("tag")]
                words = _query_words(parsed) + [v for f, v in parsed.include if f == "tag"]
                nearest = _nearest(words, tag_names)
                by_use = sorted(tag_names, key=lambda tag: (-reader.doc_frequency("tag", tag), tag))
            return Suggestions(corrected, tuple(nearest), tuple(by_use[:5]))

        return _guarded(run)

    def _open(self) -> Any:
        """The current whoosh index, or `SearchIndexError` saying why there is none."""
        if self._index is not None:
            return self._index
        pointer = self._read_pointer()
        if pointer is None:
            raise SearchIndexError(f"no search index in {self.directory}")
        if pointer.get("schema_version") != SCHEMA_VERSION:
            found = pointer.get("schema_version")
            raise SearchIndexError(f"search index schema {found!r} is not {SCHEMA_VERSION}")
        location = self.directory / pointer["generation"]
        whoosh_index = _guarded(lambda: index.open_dir(str(location)))
        if sorted(whoosh_index.schema.names()) != sorted(_schema().names()):
            raise SearchIndexError("search index fields differ from this version's schema")
        self._index = whoosh_index
        return whoosh_index

    def _read_pointer(self) -> dict[str, Any] | None:
        try:
            pointer = json.loads((self.directory / POINTER_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(pointer, dict):
            return None
        generation = pointer.get("generation")
        if not isinstance(generation, str) or not generation.startswith(_GENERATION_PREFIX):
            return None
        if "/" in generation or os.sep in generation:
            return None
        return pointer

    def _check_files(self) -> None:
        """Damage anywhere in the index files shows as a checksum that no longer matches.

        whoosh itself only notices damage in the parts a query happens to read, and may
        then answer wrongly instead of failing; a full rebuild is cheaper than either.
        """
        pointer = self._read_pointer()
        if pointer is None:
            return  # `_open` says why there is no index
        generation = self.directory / pointer["generation"]
        if pointer.get("files") != _file_checksums(generation):
            raise SearchIndexError("search index files changed since they were written")

    def _write_pointer(self, generation: str) -> None:
        content = json.dumps(
            {
                "schema_version": SCHEMA_VERSION,
                "generation": generation,
                "files": _file_checksums(self.directory / generation),
            }
        )
        descriptor, temporary = tempfile.mkstemp(prefix=".index-", dir=self.directory)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(temporary, self.directory / POINTER_FILE)

    def _remove_old_generations(self, keep: str) -> None:
        """Delete generations nobody is writing to; a locked one stays for its writer."""
        for entry in self.directory.iterdir():
            if not entry.name.startswith(_GENERATION_PREFIX) or entry.name == keep:
                continue
            if not entry.is_dir():
                continue
            lock = FileStorage(str(entry)).lock(_WRITE_LOCK)
            try:
                if not lock.acquire(blocking=False):
                    continue
            except OSError:
                pass  # no lock file can be made there: nobody can be writing either
            else:
                lock.release()
            shutil.rmtree(entry, ignore_errors=True)


def _guarded(action: Callable[[], _T]) -> _T:
    """Run whoosh code against an index that may be damaged; damage → `SearchIndexError`.

    whoosh leaves files open when it trips over a damaged file. They are closed here, with
    their ResourceWarning silenced, once the exception that keeps them alive is dropped.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return action()
        except _DAMAGED_INDEX_ERRORS as error:
            reason = f"search index unreadable: {error!r}"
        gc.collect()
    raise SearchIndexError(reason)


def _file_checksums(generation: Path) -> dict[str, list[int]]:
    """name → [size, CRC-32] of every index file (not whoosh's lock file, which changes)."""
    try:
        return {
            path.name: [path.stat().st_size, zlib.crc32(path.read_bytes())]
            for path in sorted(generation.iterdir())
            if path.name != _WRITE_LOCK and path.is_file()
        }
    except OSError:
        return {}  # unreadable or vanishing files: matches no recorded manifest


#: Memory whoosh may hold postings in before it sorts them in runs on disk and merges those:
#: a rebuild of 10,000 incidents took 41 s at 128 MB and 28 s at 512 MB (the worker's peak
#: 255 -> 661 MB, half the build's own). Smaller libraries never reach either.
_REBUILD_LIMIT_MB = 512


def _schema() -> Any:
    # Stems kept in a plain dict (`cachesize=-1`): whoosh's default bounded cache keeps its
    # books in Python on every word: 7% of the time an index of 1,000 incidents took.
    stemmed = analysis.StemmingAnalyzer(stoplist=STOP_WORDS, cachesize=-1)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        content_hash=fields.ID(sortable=True),
        url=fields.STORED(),
        title=fields.TEXT(analyzer=stemmed, stored=True),
        key_learning=fields.TEXT(analyzer=stemmed, stored=True),
        summary=fields.TEXT(analyzer=stemmed, stored=True),
        text=fields.TEXT(analyzer=stemmed, stored=True),
        # Tags, services, trigger and id as stemmed words, so "certificates" finds a tag
        # "certificate" and "third party" finds "third-party".
        keywords=fields.TEXT(analyzer=stemmed),
        # Unstemmed words of every field: the vocabulary spelling suggestions come from.
        vocabulary=fields.TEXT(
            analyzer=analysis.StandardAnalyzer(stoplist=STOP_WORDS), phrase=False
        ),
        tag=fields.KEYWORD(stored=True, commas=True, lowercase=True),
        service=fields.KEYWORD(stored=True, commas=True, lowercase=True),
        trigger=fields.KEYWORD(commas=True, lowercase=True),
        factor=fields.KEYWORD(commas=True, lowercase=True),
        severity=fields.KEYWORD(commas=True),
        severity_label=fields.STORED(),
        status=fields.ID(stored=True),
        date=fields.DATETIME(stored=True, sortable=True),
    )


def _index_fields(document: SearchDocument) -> dict[str, Any]:
    return {
        "id": document.id,
        "content_hash": document.content_hash,
        "url": document.url,
        "title": document.title,
        "key_learning": document.key_learning,
        "summary": document.summary,
        "text": document.text,
        "keywords": document.keywords,
        "vocabulary": _distinct_words(
            document.title, document.key_learning, document.summary, document.text,
            document.keywords,
        ),
        "tag": ",".join(document.tags),
        "service": ",".join(document.services),
        "trigger": document.trigger or "",
        "factor": ",".join(document.factors),
        "severity": ",".join(_severity_terms(document.severity)),
        "severity_label": document.severity,
        "status": document.status,
        "date": dt.datetime.combine(document.date, dt.time()),
    }


def _distinct_words(*texts: str) -> str:
    """Each word once: spelling only needs to know a word exists, and indexing it once per
    document instead of once per use keeps the vocabulary field cheap to build."""
    words = (word for text in texts for word in re.findall(r"[^\W_]+", text.lower()))
    return " ".join(dict.fromkeys(words))


def _severity_terms(severity: str) -> list[str]:
    """Index terms for a severity: "SEV-1" is found by `sev1`, `SEV-1` and `1`."""
    key = severity_key(severity)
    number = re.search(r"\d+$", key)
    return [key, number.group()] if number and number.group() != key else [key]


def _indexed_hashes(whoosh_index: Any) -> dict[str, str]:
    """id → content hash of every live document, read from columns (no stored text)."""
    if whoosh_index.is_empty():
        return {}  # written without a document: no segment, and a reader with no columns
    with whoosh_index.reader() as reader:
        ids = reader.column_reader("id")
        hashes = reader.column_reader("content_hash")
        return {ids[docnum]: hashes[docnum] for docnum in reader.all_doc_ids()}


def _with_filters(parsed: ParsedQuery, request: SearchRequest) -> ParsedQuery:
    """The parsed query plus the request's filters (from the command line's options)."""
    extra = [
        *(("tag", value) for value in request.tags),
        *(("service", value) for value in request.services),
        *(("severity", value) for value in filter(None, [request.severity])),
    ]
    include = [(name, _normalise_filter_value(name, value)) for name, value in extra]
    return ParsedQuery(parsed.text, parsed.include + tuple(include), parsed.exclude)


def _filter_term(field_name: str, value: str) -> Any:
    if value.endswith("*") and field_name in ("tag", "service", "factor"):
        return query.Prefix(field_name, value.rstrip("*"))
    return query.Term(field_name, value)


def _run_search(
    searcher: Any, parsed: ParsedQuery, ranked: Any, since: dt.date | None, limit: int
) -> list[SearchResult]:
    """Run `parsed` (its free text already turned into `ranked` by `_ranked_query`)."""
    filters = [_filter_term(name, value) for name, value in parsed.include]
    if since is not None:
        filters.append(query.DateRange("date", dt.datetime.combine(since, dt.time()), None))
    allow = query.And(filters) if filters else None
    mask = query.Or([_filter_term(name, value) for name, value in parsed.exclude])
    deny = mask if parsed.exclude else None

    if not parsed.text:
        newest_first = [sorting.FieldFacet("date", reverse=True), sorting.FieldFacet("id")]
        hits = searcher.search(
            query.Every(), filter=allow, mask=deny, limit=limit, sortedby=newest_first
        )
        return [_result(hit, 0.0) for hit in hits]

    if ranked is query.NullQuery:
        return []  # words, but none that can match anything (only operators, stop words)
    words = {_term_text(term) for _, term in ranked.iter_all_terms()}
    # Rank a wider pool, then reward incidents that match more of the question's words.
    pool = max(limit * _POOL_FACTOR, _MIN_POOL)
    hits = searcher.search(ranked, filter=allow, mask=deny, limit=pool, terms=True)
    hits.fragmenter = highlight.ContextFragmenter(maxchars=_SNIPPET_CHARS, surround=60)
    hits.formatter = _MarkingFormatter()
    scored = sorted(
        ((_coordinated(hit, words), hit) for hit in hits),
        key=lambda pair: (-pair[0], pair[1]["id"]),
    )
    return [_result(hit, score) for score, hit in scored[:limit]]


def _term_text(term: str | bytes) -> str:
    """Query terms are text, matched terms are bytes: compare them as text."""
    return term.decode("utf-8") if isinstance(term, bytes) else term


def _coordinated(hit: Any, words: set[str]) -> float:
    """The hit's score times the share of the query's words it matched (Lucene's coord).

    Whoosh flattens "any word in any field" into one OR, so one word in a boosted title
    would otherwise outrank an incident that matches most of a question in its text.
    """
    matched = {_term_text(term) for _, term in hit.matched_terms()} & words
    return round(float(hit.score) * len(matched) / max(len(words), 1), 6)


def _ranked_query(text: str) -> Any:
    """The ranked query for free text: any word may match, each one adds to the score.

    The parser knows only the ranked text fields, so `date:2024` or `url:x` are words (its
    fields plugin turns an unknown `name:` back into text) rather than a query on a date or
    stored-only field, which whoosh would fail on deep inside the search.
    """
    parser = qparser.MultifieldParser(
        list(FIELD_BOOSTS), _ranked_schema(), fieldboosts=FIELD_BOOSTS, group=qparser.OrGroup
    )
    try:
        ranked = parser.parse(text)
    except Exception:
        # whoosh's parser trips over some tangles of operators (`NOT\tAND x`, an IndexError
        # deep inside it). The query is then read as its words alone, lower-cased so that
        # none of them is an operator.
        ranked = parser.parse(" ".join(re.findall(r"[^\W_]+", text.lower())))
    return _with_skipping(ranked)


@functools.lru_cache(maxsize=1)
def _ranked_schema() -> Any:
    """The index schema cut down to the fields a query may name (see `_ranked_query`)."""
    full = _schema()
    return fields.Schema(**{name: full[name] for name in FIELD_BOOSTS})


def _with_skipping(node: Any) -> Any:
    """Make every OR use whoosh's tree of union matchers.

    Left to choose, whoosh scores every document matching any word (its "array" matcher)
    whenever a library is small enough; the tree can skip documents whose best possible
    score cannot reach the top results, which makes typical queries about twice as fast.
    """
    if isinstance(node, query.Or):
        node.matcher_type = query.Or.DEFAULT_MATCHER
    for child in node.children():
        _with_skipping(child)
    return node


def _result(hit: Any, score: float) -> SearchResult:
    snippet, spans = _snippet(hit) if score else (_opening(hit), ())
    return SearchResult(
        id=hit["id"],
        url=hit["url"],
        title=hit["title"],
        date=hit["date"].date(),
        severity=hit["severity_label"],
        status=hit["status"],
        tags=_split(hit.get("tag", "")),
        services=_split(hit.get("service", "")),
        score=score,
        snippet=snippet,
        highlights=spans,
    )


def _split(joined: str) -> tuple[str, ...]:
    return tuple(value for value in joined.split(",") if value)


def _snippet(hit: Any) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Highlighted context from the most telling field with a query term, else the opening."""
    for field_name in _SNIPPET_FIELDS:
        marked = hit.highlights(field_name, top=2)
        if marked:
            return _unmark(marked)
    return _opening(hit), ()


def _opening(hit: Any) -> str:
    text = " ".join((hit.get("summary") or hit.get("key_learning") or "").split())
    if len(text) <= _SNIPPET_CHARS:
        return text
    return text[:_SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def _unmark(marked: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Turn whoosh's marked fragments into plain text plus highlight spans."""
    text = " ".join(marked.split())
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    start = 0
    for char in text:
        if char == _MARK_START:
            start = length
        elif char == _MARK_END:
            spans.append((start, length))
        else:
            plain.append(char)
            length += 1
    return "".join(plain), tuple(spans)


class _MarkingFormatter(highlight.Formatter):
    """Wraps matched terms in control marks that `_unmark` turns into spans."""

    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"{_MARK_START}{highlight.get_text(text, token, replace)}{_MARK_END}"


def _text_of(term: bytes | str) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def _query_words(parsed: ParsedQuery) -> list[str]:
    return re.findall(r"[^\W_]{3,}", parsed.text.lower())


#: Longer "words" are not spell-checked: whoosh's Levenshtein automaton grows with the word
#: (one of 1,000 letters took seconds), and no word anyone types is that long.
_MAX_CORRECTED_WORD = 40
# A word to spell-check: letters only, and not a field name such as `title:`.
_WORD_NOT_FIELD = re.compile(r"\b[^\W\d_]+\b(?!:)")


def _corrected_query(searcher: Any, query_text: str) -> str | None:
    """The query with each unknown word or filter value replaced by its nearest known one."""
    corrector = searcher.corrector("vocabulary")
    reader = searcher.reader()
    known: dict[str, list[str]] = {}

    def known_values(field_name: str) -> list[str]:
        if field_name not in known:
            known[field_name] = [_text_of(term) for term in reader.lexicon(field_name)]
        return known[field_name]

    def fix_filter(match: re.Match[str]) -> str:
        field_name = FILTER_PREFIXES[match["prefix"].lower()]
        value = _normalise_filter_value(field_name, match["value"].strip('"'))
        if field_name not in ("tag", "service", "trigger", "factor") or value in known_values(
            field_name
        ):
            return match.group()
        closest = difflib.get_close_matches(value, known_values(field_name), n=1, cutoff=0.6)
        return f"{match['exclude']}{match['prefix']}:{closest[0]}" if closest else match.group()

    def fix_word(match: re.Match[str]) -> str:
        word = match.group()
        lowered = word.lower()
        if not 3 <= len(lowered) <= _MAX_CORRECTED_WORD or lowered in STOP_WORDS:
            return word
        if reader.frequency("vocabulary", lowered):
            return word
        # Closest first: whoosh ranks suggestions within a distance by frequency alone.
        for distance in range(1, 2 if len(lowered) <= 4 else 3):
            suggestions = corrector.suggest(lowered, limit=1, maxdist=distance)
            if suggestions:
                return str(suggestions[0])
        return word

    pieces: list[str] = []
    position = 0
    for match in _FILTER_TERM.finditer(query_text):
        pieces.append(_WORD_NOT_FIELD.sub(fix_word, query_text[position : match.start()]))
        pieces.append(fix_filter(match))
        position = match.end()
    pieces.append(_WORD_NOT_FIELD.sub(fix_word, query_text[position:]))
    corrected = "".join(pieces)
    return corrected if corrected != query_text else None


def _nearest(words: Iterable[str], candidates: Sequence[str], limit: int = 5) -> list[str]:
    """Candidates spelt like one of `words`, or sharing a stem-like prefix with one."""
    found: list[str] = []
    for word in words:
        close = difflib.get_close_matches(word, candidates, n=3, cutoff=0.6)
        prefixed = [c for c in candidates if len(word) >= 4 and word[:4] in c]
        found.extend(c for c in [*close, *prefixed] if c not in found)
    return found[:limit]
