"""Whether work forked into another process can run beside this one, safely.

Both the build's workers (`site/workers.py`) and `pmkb search`'s listing of the folder
(`search/listing_aside.py`) fork: a forked child has everything this process has without
importing or pickling anything, and starts in a millisecond. It is worth it, and safe, only
when all of these hold:

- another core: on one core the child only takes turns with this process;
- Linux: without `fork` (Windows), or where it is not the default (macOS), a child would have
  to start a new interpreter, which costs about what it saves;
- no other thread is running (the live preview's server, its file watcher): a process forked
  while another thread holds a lock (logging's, the import system's) can hang on it.
"""

from __future__ import annotations

import os
import sys
import threading


def forkable_cores() -> int:
    """The cores forked children could use beside this process now; 0: fork none."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cores or 1) < 2 or sys.platform not in ("linux", "linux2"):
        return 0
    if threading.active_count() > 1:
        return 0
    return cores or 1
