"""Keep an audience's whoosh index current and answer questions from it.

The build and `pmkb search` both go through here. The index lives in
`<cache_dir>/<audience>/`, never in the site, and holds only that audience's search
documents. `SearchIndex.update` re-indexes only what changed and rebuilds a damaged index,
so a search never fails because of the cache.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .search import IndexStats, SearchIndex, SearchIndexError, SearchResult, Suggestions
from .search_docs import SearchDocument
from .settings import Settings


@dataclass(frozen=True)
class SearchRequest:
    """A question: free words and fielded terms, plus filters from the command line."""

    query: str
    tags: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    severity: str | None = None
    since: dt.date | None = None
    limit: int = 10


@dataclass(frozen=True)
class SearchAnswer:
    results: list[SearchResult]
    #: Spelling corrections and nearby tags, only when nothing matched.
    suggestions: Suggestions | None = None


def index_dir(settings: Settings) -> Path:
    return settings.cache_dir / settings.audience


def update_index(settings: Settings, documents: list[SearchDocument]) -> IndexStats:
    """Bring the audience's index in line with `documents`; return what changed."""
    with SearchIndex(index_dir(settings)) as index:
        return index.update(documents)


def search_library(
    settings: Settings, documents: list[SearchDocument], request: SearchRequest
) -> SearchAnswer:
    """Update the index (building it when missing), then answer `request` from it."""
    with SearchIndex(index_dir(settings)) as index:
        index.update(documents)
        try:
            results = _search(index, request)
        except SearchIndexError:
            index.rebuild(documents, reason="the index was damaged during the search")
            results = _search(index, request)
        if results:
            return SearchAnswer(results)
        return SearchAnswer(results, index.suggest(
            request.query, tag=request.tags or None, service=request.services or None,
            severity=request.severity, since=request.since))


def _search(index: SearchIndex, request: SearchRequest) -> list[SearchResult]:
    return index.search(
        request.query, tag=request.tags or None, service=request.services or None,
        severity=request.severity, since=request.since, limit=request.limit,
    )
