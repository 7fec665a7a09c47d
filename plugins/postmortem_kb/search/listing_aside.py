"""List the source folder in a forked child while `pmkb search` asks the index.

A search that finds nothing changed does two things that grow with the library: listing the
folder to tell the index is current (a `stat` per file, `manifest.py`: 16 ms at 5,000 files
on a 2-core machine) and asking the index. Neither needs the other until the answer is
printed, so the listing runs in a child, on another core, which sends back only what the
manifest's header is compared with (`Listed`: two digests), and the answer found meanwhile
is printed only when they show the index was current (`search_library`). `pmkb search` forks
it before it imports whoosh (40 ms), which this module and the listing do not need: the
child is done before the index is opened, and forked from a small process, it copies little.
Where forking would not pay or not be safe (`core/forking.py`), or the child fails, the
folder is listed here, as before.

The child only lists and hashes; it never writes, and leaves with `os._exit`, so none of
this process's buffers or exit handlers run twice.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import NoReturn

from ..core.forking import forkable_cores
from ..core.settings import Settings
from .manifest import Listed, snapshot_sources


class ListingAside:
    """`snapshot_sources(settings).listed`, from a child forked on entering the block."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._child: tuple[int, int] | None = None  # its pid, the pipe's end to read

    def __enter__(self) -> ListingAside:
        if forkable_cores():
            self._child = _fork_listing(self.settings)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._collect()

    def listed(self) -> Listed:
        """The child's digests, once it has sent them; listed here when it could not."""
        listed = self._collect()
        return listed if listed is not None else snapshot_sources(self.settings).listed

    def _collect(self) -> Listed | None:
        """Wait for the child (reaped: never left a zombie) and read what it sent."""
        if self._child is None:
            return None
        (pid, pipe), self._child = self._child, None
        with open(pipe, "rb") as reader:
            sent = reader.read()
        _, status = os.waitpid(pid, 0)
        inputs, _, listing = sent.decode("ascii", "replace").partition("\n")
        if os.waitstatus_to_exitcode(status) != 0 or not inputs or not listing:
            return None
        return Listed(inputs, listing)


def _fork_listing(settings: Settings) -> tuple[int, int] | None:
    """Fork a child that lists the folder; its pid and the end of its pipe to read."""
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to spare: list here
        os.close(reader)
        os.close(writer)
        return None
    if pid == 0:
        os.close(reader)
        _list_and_leave(settings, writer)
    os.close(writer)
    return pid, reader


def _list_and_leave(settings: Settings, writer: int) -> NoReturn:
    """In the child: send the digests (a hundred bytes: one write), then leave at once.

    Whatever happens here, the child exits, with status 1 when it sent nothing usable: it
    must never go on running the parent's code."""
    status = 1
    try:
        listed = snapshot_sources(settings).listed
        os.write(writer, f"{listed.inputs}\n{listed.listing}".encode("ascii"))
        status = 0
    finally:
        os._exit(status)
