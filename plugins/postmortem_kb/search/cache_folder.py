"""What the index's cache folder shares with everything that writes there, without whoosh.

The manifest (`manifest.py`) is written beside the index and keyed by its schema version,
and `pmkb search` lists the source folder before it imports whoosh (`listing_aside.py`):
these names must not cost the whoosh import (`index.py`).
"""

from __future__ import annotations

from pathlib import Path

#: Bump whenever the schema or what goes into a field changes: old indexes are rebuilt.
SCHEMA_VERSION = 2

#: What to do about a cache folder that cannot hold the index.
CACHE_ADVICE = "make it a folder you can write, or set the `cache_dir` option to one"


class SearchCacheError(Exception):
    """The cache folder cannot hold an index: not a folder, not writable, or gone.

    Unlike damage, a rebuild cannot repair this, so it is never retried; the message names
    the folder and what to do, for `pmkb search` and the build's warning alike.
    """

    def __init__(self, folder: Path, error: OSError) -> None:
        #: What the operating system said, e.g. `NotADirectoryError: Not a directory`.
        self.reason = f"{type(error).__name__}: {error.strerror or error}"
        super().__init__(f"{folder}: cannot hold the search index ({self.reason}); {CACHE_ADVICE}")
