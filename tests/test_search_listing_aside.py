"""`pmkb search` lists the folder in a forked child while it asks the index.

What the child sends must be what this process would have listed, and a child that fails
must leave the search as it was before: listed here, no process left behind. Each test runs
in a fresh interpreter with one thread, as `pmkb search` does (forking the test runner,
which runs threads, is what `core/forking.py` rules out).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder import REPO_ROOT, copy_kb

PROBE = """
import json, os, sys
from pathlib import Path
from postmortem_kb.core.settings import Settings
from postmortem_kb.search import listing_aside, manifest

listing_aside.forkable_cores = lambda: 2  # fork on a one-core machine too
parent = os.getpid()
if sys.argv[2] == "failing":
    listed_here = manifest.snapshot_sources

    def snapshot_sources(settings):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return listed_here(settings)

    listing_aside.snapshot_sources = snapshot_sources
root = Path(sys.argv[1])
settings = Settings(source_dir=root / "postmortems", cache_dir=root / ".cache")
with listing_aside.ListingAside(settings) as aside:
    forked = aside._child is not None
    listed = aside.listed()
try:
    os.waitpid(-1, os.WNOHANG)
    children = True
except ChildProcessError:
    children = False
print(json.dumps({
    "forked": forked,
    "listed": [listed.inputs, listed.listing],
    "here": [manifest.snapshot_sources(settings).listed.inputs,
             manifest.snapshot_sources(settings).listed.listing],
    "children_left": children,
}))
"""


def probe(root: Path, mode: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(root), mode],
                          check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("child", ["working", "failing"])
def test_the_listing_is_what_this_process_would_list_and_leaves_no_process(
    tmp_path: Path, child: str
) -> None:
    """A working child sends it; one that fails sends nothing, and it is listed here."""
    root = copy_kb(REPO_ROOT, tmp_path / "kb")
    result = probe(root, child)
    assert result["forked"] is True
    assert result["listed"] == result["here"]
    assert result["children_left"] is False


def test_the_listing_needs_no_whoosh() -> None:
    """`pmkb search` forks the child before it imports whoosh: the listing must not."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys, postmortem_kb.search.listing_aside; "
         "print(' '.join(sorted(sys.modules)))"],
        check=True, capture_output=True, text=True,
    )
    assert [name for name in done.stdout.split() if name.startswith("whoosh")] == []
