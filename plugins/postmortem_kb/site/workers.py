"""Run the per-file work of a cold build on every core.

Reading, validating, checking and projecting one postmortem depends on that file alone, and
it is most of the planning a build does before MkDocs renders anything: on a machine with
two cores, one of them idled through it. `map_calls` runs such calls in worker processes,
in order, and returns their results (pickled back), or runs them right here when that would
not pay or not be safe:

- fewer calls than `MIN_CALLS`: starting workers costs more than it saves;
- forking would not pay or not be safe (`core/forking.py`: one core, no `fork`, or another
  thread running, as under the live preview).

The functions must depend on their arguments alone (what the plan cache asks of them too),
and be importable by name so they can be sent to a worker. `map_forked` sends neither the
items nor the function down a pipe: workers forked from this process have them already (a
closure, a page with its whole site around it), and only the results come back.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import itertools
import multiprocessing
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from ..core.forking import forkable_cores

#: Below this many calls, the work is done in this process.
MIN_CALLS = 64
#: Calls sent to a worker at once: enough to make each round trip worth its pickling,
#: few enough that the workers finish together.
CHUNKS_PER_WORKER = 8

T = TypeVar("T")
R = TypeVar("R")
Call = tuple[Callable[..., Any], tuple[Any, ...]]


def worker_count() -> int:
    """How many worker processes `map_calls` would use now; 0: none, run here."""
    return min(forkable_cores(), 4)


def map_calls(calls: Sequence[Call]) -> list[Any]:
    """`[function(*arguments) for function, arguments in calls]`, on every core it pays to use."""
    return list(_results(calls))


def _results(calls: Sequence[Call], chunk: int | None = None,
             in_flight: int | None = None) -> Iterator[Any]:
    """`map_calls`' results, each as soon as it and those before it are done.

    `chunk` calls go to a worker at a time, and at most `in_flight` chunks are sent before
    the first of them is taken (default: all): results that are large and taken slowly
    then wait in the workers instead of piling up in this process."""
    workers = worker_count() if len(calls) >= MIN_CALLS else 0
    if workers == 0:
        yield from (function(*arguments) for function, arguments in calls)
        return
    chunk = chunk or max(1, len(calls) // (workers * CHUNKS_PER_WORKER))
    chunks = (calls[start:start + chunk] for start in range(0, len(calls), chunk))
    context = multiprocessing.get_context("fork")
    with frozen_heap(), ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        sent = collections.deque(pool.submit(_call_each, part)
                                 for part in itertools.islice(chunks, in_flight))
        try:
            while sent:
                done = sent.popleft().result()
                sent.extend(pool.submit(_call_each, part) for part in itertools.islice(chunks, 1))
                yield from done
        finally:  # taken no further: what was not started never is
            for future in sent:
                future.cancel()


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """While in it, the garbage collector skips every object there is now (`gc.freeze`).

    A worker's full collections would go through the whole heap it inherited (hundreds of
    thousands of objects at thousands of incidents, none of them its garbage), and writing
    their collector flags copies every page of memory it shares with this process. Objects
    are still freed when nothing refers to them; cycles among them wait for the next
    collection after the block. A heap someone else froze (`serve_heap.py`) stays frozen.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


#: The items of the running `map_forked`: a worker forked from this process finds each by its
#: place in the list.
_FORKED: list[tuple[Callable[[Any], Any], Any]] = []


def map_forked(
    function: Callable[[T], R], items: Sequence[T],
    chunk: int | None = None, in_flight: int | None = None,
) -> Generator[R, None, None]:
    """`function(item)` for each item, in order, in workers forked now when they pay
    (`map_calls`); `function` and the items need not pickle, their results must. Each result
    comes as soon as it is done: what it replaces can be let go of while workers still run.
    The workers are forked when the first result is asked for; `chunk` and `in_flight` as
    in `_results`."""
    global _FORKED
    _FORKED = [(function, item) for item in items]
    try:
        yield from _results([(_forked_nth, (index,)) for index in range(len(items))],
                            chunk, in_flight)
    finally:
        _FORKED = []


def _forked_nth(index: int) -> Any:
    function, item = _FORKED[index]
    return function(item)


def _call_each(calls: Sequence[Call]) -> list[Any]:
    return [function(*arguments) for function, arguments in calls]
