"""Keep the live preview's garbage collections to what a rebuild makes.

`pmkb serve` keeps what its first build computed for every rebuild after it: the plan cache
(every incident read, projected and checked, every page rendered) and what the plugins keep.
Python's cyclic garbage collector goes through every object it tracks in a full collection,
and at 2,000 incidents a rebuild triggers one to four of them: each went through the 300,000
objects the first build left, which none of them frees, and took 0.1 to 0.2 s of a rebuild
that has 2 s to show an edit.

So once the first build is done (`on_serve`, before the server starts), `freeze_what_lasts`
collects what that build left as garbage and moves every object still alive to the
collector's permanent generation (`gc.freeze`), which later collections skip: a rebuild's
collections go through what rebuilds made, and a rebuild at 2,000 incidents took 0.2 to 0.3 s
less.
A frozen object is still freed as soon as nothing refers to it (reference counting); only
one in a reference cycle that ends later would stay. The first build's pages and files are
such cycles (a page and its file refer to each other), so the plugin lets go of them first
(`PageReuse.finish`); what is frozen is what a preview keeps anyway.
"""

from __future__ import annotations

import gc


def freeze_what_lasts() -> None:
    """Collect the garbage there is, then have later collections skip every object left."""
    gc.collect()
    gc.freeze()
