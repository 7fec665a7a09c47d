"""A fingerprint of this package's code, for caches of what the code computed.

The search manifest (`search/manifest.py`) and the CLI's settings cache
(`cli/settings_cache.py`) keep results that depend on how this package reads files and
options; a result computed by other code is stale. Every module's size and modification time
tell, for an upgrade as for an edit in a checkout, without reading any of them.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def package_fingerprint() -> str:
    """A digest of the size and time of every `.py` file of the package (once per process)."""
    stats = []
    for folder, _, names in os.walk(PACKAGE):
        for name in names:
            if name.endswith(".py"):
                status = os.stat(os.path.join(folder, name))
                stats.append(f"{folder}/{name}\0{status.st_size}\0{status.st_mtime_ns}")
    text = "\n".join(sorted(stats)).encode("utf-8", "surrogateescape")
    return hashlib.blake2b(text, digest_size=16).hexdigest()
