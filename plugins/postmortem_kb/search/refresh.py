"""Bring the internal index in step with the postmortem files, reading only what changed.

`pmkb search` keeps the answer the index gave when `is_current`: the manifest
(`manifest.py`) describes the folder as it is. Otherwise `update_from_sources` reads the
files that are new or changed, and also, as the whole knowledge base would:
- every file whose outcome a build did not record (skipped for errors or a duplicate id);
- when an evidence file (or any other non-postmortem file) came or went or changed, every
  file with no incident or with evidence files, whose validity can depend on them;
- the file that takes over an id when the file that had it is deleted or changes its id
  (files are read in discovery order and the first file with an id wins).
It then re-indexes only the incidents whose search document changed. A missing, damaged or
outdated manifest or index (an index file not the size it was written with; the checksums
are compared before each update), a change to the settings, a side file or this package's
code make it read everything and update the index from the complete set of documents
(which rebuilds an index that cannot be updated).

The internal audience only: the public index is written by a public build, after its leak
guard has passed (`service.search_built_index`).
"""

from __future__ import annotations

from ..core.settings import Settings
from .index import IndexStats, SearchIndex, SearchIndexError
from .manifest import (
    Listed,
    read_manifest,
    read_manifest_header,
    snapshot_sources,
    update_lock,
    write_manifest,
)


def is_current(index: SearchIndex, listed: Listed, state: str | None) -> bool:
    """Whether `index`, as it was when its `SearchIndex.state()` was `state`, holds the
    documents of the files as `listed` (`ListingAside`, `SourceSnapshot.listed`): its
    manifest describes them, and nobody wrote to it since."""
    recorded = read_manifest_header(index.directory)
    return (
        recorded is not None
        and recorded.describes(listed, state)
        and index.state() == state
        and index.intact()
    )


def update_from_sources(settings: Settings, index: SearchIndex) -> IndexStats | None:
    """Bring `index` in step with the files, reading those that changed (module docstring).

    Another process updating the index right now (a build) is waited for up to the index's
    lock timeout; after that an existing index answers as it stands (None).
    """
    with update_lock(index.directory, index.lock_timeout) as locked:
        if locked:
            return _refresh_locked(settings, index)
        if index.exists():
            return None
    with update_lock(index.directory, None):
        return _refresh_locked(settings, index)


def rebuild_index(settings: Settings, index: SearchIndex, reason: str) -> IndexStats:
    """Read every file and rebuild the index from scratch (it was found damaged)."""
    from .source_reader import SourceReader

    with update_lock(index.directory, None):
        library = SourceReader(settings, snapshot_sources(settings))
        stats = index.rebuild(library.read_everything(), reason=reason)
        write_manifest(index.directory, library.manifest().for_index(index.state()))
        return stats


def _refresh_locked(settings: Settings, index: SearchIndex) -> IndexStats:
    # Imported here: reading files takes the YAML reader and the validator, which a search
    # that finds nothing changed never needs.
    from .source_reader import SourceReader

    # Listed again under the lock: another writer may have brought the index up to date.
    library = SourceReader(settings, snapshot_sources(settings))
    recorded = read_manifest(index.directory)
    index_state = index.state()
    stats: IndexStats | None = None
    if (
        recorded is not None
        and index_state is not None
        and recorded.index_state == index_state
        and recorded.inputs == library.snapshot.inputs
        and index.intact()
    ):
        if recorded.header.listing == library.snapshot.listing:
            return IndexStats(unchanged=len(recorded.files))
        try:
            changed, removed = library.read_changes(recorded)
            stats = index.apply(changed, removed) if changed or removed else IndexStats()
        except SearchIndexError:
            stats = None  # damaged, locked, or a file changed while read: read everything
    if stats is None:
        stats = index.update(library.read_everything())
    write_manifest(index.directory, library.manifest().for_index(index.state()))
    return stats
