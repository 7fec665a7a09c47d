"""Hand the memory a build lets go of back to the system, so that its peak stays low.

A build of thousands of pages holds every page's HTML from the moment MkDocs reads the page
until the theme writes it, and the plugin lets go of what no one reads again as it goes
(`plugin.py`: a generated page's HTML blocks once they are in its HTML, a page's HTML once it
is written). That alone does not lower the peak: CPython gives a large string it frees back
to the C allocator, not to the system, and glibc keeps the hole in its heap. A later page's
HTML is larger than the holes, and the small objects a build makes last (the search box's
index, the plan cache's pickle) live in memory CPython takes apart from that heap, so the
holes are never filled and the process's resident memory only grows. `malloc_trim` returns
the free pages of the heap to the system: called after every `TRIM_BYTES` let go of, it
costs milliseconds per call (0.1 s in all of a 3,000-incident build). Letting go and
trimming together took the peak of a cold 3,000-incident build from 610 to 447 MB; either
alone saved next to nothing.

Where the C library has no `malloc_trim` (macOS, Windows, musl) nothing is trimmed: the
build is the same, only its peak is higher.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable

#: Let go of this many bytes, then trim: a bound on what the heap keeps unused between trims.
TRIM_BYTES = 16 * 2**20


class FreedMemory:
    """Counts the bytes let go of; past `threshold`, returns the heap's free pages (`trim`)."""

    def __init__(self, threshold: int = TRIM_BYTES, trim: Callable[[], None] | None = None) -> None:
        self.threshold = threshold
        self._trim = trim if trim is not None else trim_heap
        self._since_trim = 0

    def let_go(self, size: int) -> None:
        """Count `size` bytes that nothing refers to any more (`sys.getsizeof`, measured
        before the last reference went)."""
        self._since_trim += size
        if self._since_trim >= self.threshold:
            self.trim()

    def trim(self) -> None:
        """Return the heap's free pages to the system now."""
        self._since_trim = 0
        self._trim()


def trim_heap() -> None:
    """glibc's `malloc_trim(0)`: the free pages anywhere in the heap go back to the system."""
    malloc_trim = _malloc_trim()
    if malloc_trim is not None:
        malloc_trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        # The C library the interpreter itself runs with, not another copy of it.
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # musl has none
        return None


#: The process's one heap: what the plugin lets go of, whichever build it is.
FREED = FreedMemory()
