"""Keep an audience's whoosh index current and answer questions from it.

The build and `pmkb search` both go through here. The index lives in
`<cache_dir>/<audience>/`, never in the site, and holds only that audience's search
documents. `SearchIndex.update` re-indexes only what changed and rebuilds a damaged index,
so a search never fails because of the cache's contents. A cache folder that cannot hold an
index (`SearchCacheError`) is for the user to fix: `pmkb search` says so in one line, and a
build warns and publishes the site anyway.

A build does not wait for the index: `start_index_update` runs `update_index` in a worker
process while MkDocs renders pages, and the build collects its stats at the end. A build of
the internal site hands over the manifest of the files it read (`manifest.py`) too, written
beside the index, so that the next `pmkb search` knows the index is current without reading
the library (`refresh.py`).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.settings import Settings
from .cache_folder import CACHE_ADVICE, SearchCacheError
from .documents import SearchDocument
from .index import (
    IndexStats,
    SearchIndex,
    SearchIndexError,
    SearchRequest,
    SearchResult,
    Suggestions,
)
from .listing_aside import ListingAside
from .manifest import Manifest, update_lock, write_manifest
from .refresh import is_current, rebuild_index, update_from_sources

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

#: How much nicer than the build the index worker is (`os.nice`): at 10 it gets about a tenth
#: of a core the build keeps busy, and all of one the build leaves idle.
LOWER_PRIORITY = 10


@dataclass(frozen=True)
class SearchAnswer:
    results: list[SearchResult]
    #: Spelling corrections and nearby tags, only when nothing matched.
    suggestions: Suggestions | None = None


def index_dir(settings: Settings) -> Path:
    return settings.cache_dir / settings.audience


def update_index(
    settings: Settings, documents: list[SearchDocument], sources: Manifest | None = None
) -> IndexStats:
    """Bring the audience's index in line with `documents`; return what changed.

    With the manifest of the files the documents were read from, record it beside the index,
    under the update lock so that no other writer's index is paired with it.
    """
    with SearchIndex(index_dir(settings)) as index:
        if sources is None:
            return index.update(documents)
        with update_lock(index.directory, None):
            stats = index.update(documents)
            write_manifest(index.directory, sources.for_index(index.state()))
        return stats


class IndexUpdateError(Exception):
    """An index update in a worker process failed; the message says where and what to do."""


class IndexUpdate:
    """`update_index` running in a worker process; `wait()` for its stats, or `cancel()` it.

    Whoosh analyses every new or changed document (a few ms each, seconds for a library of
    thousands), while MkDocs renders pages on one core. The build starts the update as soon
    as it knows the search documents, so both run at once. The worker is started with
    "spawn", never "fork": `mkdocs serve` runs threads, and a forked copy of a threaded
    process can deadlock on a lock another thread held. Nor does it start a thread of its
    own: the build forks page workers after this (`site/workers.py`), which it does only from
    a process with a single thread. The documents go over in a file only this user may read,
    which the worker deletes once read; the worker starts in a fraction of a second, and a
    pipe would make the build wait for that or need a thread to write to it.

    The worker runs at a lower priority (`os.nice`): the site comes first, and whoosh gets
    what a core has left while the build does one thing at a time (planning between its
    worker phases, MkDocs building the pages one by one), which is enough at every size.
    """

    def __init__(
        self, settings: Settings, documents: list[SearchDocument], sources: Manifest | None
    ) -> None:
        # Imported here: `pmkb search` imports this module and never starts a worker.
        import multiprocessing

        self.directory = index_dir(settings)
        self._outcome: IndexStats | str | None = None
        self._process: BaseProcess | None = None
        try:
            self._handoff = _hand_over((documents, sources), settings.audience)
        except (OSError, pickle.PicklingError) as error:
            self._outcome = f"the documents could not be handed to the index worker ({error})"
            return
        context = multiprocessing.get_context("spawn")
        self._connection, worker_end = context.Pipe()
        # Daemonic: should the build die without waiting or cancelling, exiting stops it too.
        self._process = context.Process(
            target=_update_index_in_worker, args=(settings, self._handoff, worker_end),
            name=f"pmkb-index-{settings.audience}", daemon=True,
        )
        self._process.start()
        worker_end.close()  # the worker holds it now; its exit then shows here as EOF

    def wait(self) -> IndexStats:
        """Block until the worker is done; its stats, or `IndexUpdateError` saying why not."""
        if self._outcome is None:
            assert self._process is not None
            try:
                self._outcome = self._connection.recv()
            except (EOFError, ConnectionResetError):
                # The worker died without a word (killed, out of memory).
                self._process.join()
                self._outcome = _worker_death(self._process.exitcode)
            self._finish()
        if isinstance(self._outcome, IndexStats):
            return self._outcome
        raise IndexUpdateError(
            f"{self.directory} was not updated: {self._outcome}. The site is not affected; "
            "`pmkb search` or the next build updates the index once the cause is fixed"
        )

    def cancel(self) -> None:
        """Stop the worker if it still runs.

        The index stays usable: an update cut short leaves either a generation nothing
        points to yet or files that fail their checksums, and the next update repairs that.
        """
        if self._outcome is None:
            assert self._process is not None  # no outcome yet: the worker was started
            self._outcome = "the update was cancelled"
            self._process.terminate()
            self._finish()

    def _finish(self) -> None:
        assert self._process is not None
        self._process.join()
        self._process.close()
        self._connection.close()
        with contextlib.suppress(OSError):  # the worker stopped before it read the file
            os.unlink(self._handoff)


def start_index_update(
    settings: Settings, documents: list[SearchDocument], sources: Manifest | None = None
) -> IndexUpdate:
    """Start bringing the audience's index in line with `documents` in a worker process;
    with `sources`, the manifest of the files they were read from (see `update_index`)."""
    return IndexUpdate(settings, documents, sources)


def _hand_over(work: tuple[list[SearchDocument], Manifest | None], audience: str) -> str:
    """The path of a new file (readable by this user alone) holding `work`."""
    handle, path = tempfile.mkstemp(prefix=f"pmkb-index-{audience}-", suffix=".pickle")
    try:
        with os.fdopen(handle, "wb") as file:
            pickle.dump(work, file, pickle.HIGHEST_PROTOCOL)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _update_index_in_worker(settings: Settings, handoff: str, connection: Connection) -> None:
    """The worker process: send back the stats, or the error in words (not a traceback)."""
    import traceback

    # Ctrl-C reaches the whole process group; it is the build's to handle, and stopping the
    # build stops this daemonic worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):  # no `nice` on Windows
        os.nice(LOWER_PRIORITY)
    with open(handoff, "rb") as file:
        documents, sources = pickle.load(file)
    os.unlink(handoff)
    result: IndexStats | str
    try:
        result = update_index(settings, documents, sources)
    except SearchCacheError as error:
        # `wait()` names the folder; this says what went wrong there and what to do.
        result = f"{error.reason}; {CACHE_ADVICE}"
    except Exception as error:
        result = "".join(traceback.format_exception_only(error)).strip()
    connection.send(result)
    connection.close()


def _worker_death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0 and -exitcode in signal.valid_signals():
        return f"the index worker process was killed by {signal.Signals(-exitcode).name}"
    return f"the index worker process stopped with exit code {exitcode}"


def search_library(
    settings: Settings, request: SearchRequest, listing: ListingAside | None = None
) -> SearchAnswer:
    """Bring the internal index in step with the files, then answer `request` from it.

    The index is asked while a child lists the folder (`listing`, else one started here:
    `listing_aside.py`), and its answer stands when the manifest shows no file changed and
    nobody wrote to the index meanwhile (`refresh.py`): nothing is read. Otherwise the
    changed files are read, a missing index built, and the index asked again. An index
    damaged or removed between the update and the search is rebuilt once and asked again;
    should that fail too, the `SearchIndexError` names the folder. A folder that cannot
    hold an index raises `SearchCacheError`.

    The internal audience only: the files hold internal text, and the public index is
    written by a public build once its leak guard has passed (`search_built_index`).
    """
    if settings.is_public:
        raise ValueError("the public index is written only by a public build; answer from it "
                         "with search_built_index")
    started = contextlib.nullcontext(listing) if listing else ListingAside(settings)
    with SearchIndex(index_dir(settings)) as index, started as listing:
        state = index.state()
        with contextlib.suppress(SearchIndexError):  # none, or damaged: updated below
            answer = _answer(index, request)
            if is_current(index, listing.listed(), state):
                return answer
        index.close()  # what it opened may be gone once it is updated
        update_from_sources(settings, index)
        try:
            return _answer(index, request)
        except SearchIndexError:
            rebuild_index(settings, index, reason="the index was damaged during the search")
        try:
            return _answer(index, request)
        except SearchIndexError as error:
            raise SearchIndexError(
                f"{index.directory}: {error}, again right after a rebuild; is another program "
                "changing that folder? Run the search again once it is left alone"
            ) from None


def search_built_index(settings: Settings, request: SearchRequest) -> SearchAnswer:
    """Answer `request` from the index as the last build left it, without updating it.

    For the public audience: its index is written only after a build's leak guard passed, so
    it holds nothing a guard has not seen. No index yet is a `SearchIndexError` saying how to
    make one.
    """
    with SearchIndex(index_dir(settings)) as index:
        if not index.exists():
            raise SearchIndexError(
                f"{index.directory}: no {settings.audience} search index yet; build the"
                f" {settings.audience} site first (pmkb build --audience {settings.audience})"
            )
        return _answer(index, request)


def _answer(index: SearchIndex, request: SearchRequest) -> SearchAnswer:
    results = index.search(request)
    if results:
        return SearchAnswer(results)
    return SearchAnswer(results, index.suggest(request))
