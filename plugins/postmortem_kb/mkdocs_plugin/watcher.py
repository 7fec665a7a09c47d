"""Hear of a save as it happens: the live preview watches with the platform's notifications.

MkDocs' `LiveReloadServer` watches with watchdog's `PollingObserver(timeout=0.5)`: a save is
seen a quarter of a second later on average (half a second at worst), and every half second
it lists and stat()s every watched file, which at thousands of postmortems is a steady load
on a core the rebuild needs. In `on_serve` the plugin gives the server a `PreviewObserver`
instead, watching what the server watched so far (MkDocs adds `config.watch` after
`on_serve`, to the new observer):

- the platform's native watcher (inotify on Linux; FSEvents or kqueue on macOS;
  ReadDirectoryChangesW on Windows), told of a change by the kernel as it happens and idle
  in between;
- only events that change something: inotify also reports every file opened, and closed
  unwritten, and a build reads every postmortem, so each build would start the next;
- a folder that appears, goes or moves counts as a change of a file: MkDocs' handler skips
  folder events, and a native watcher reports a folder moved out of the tree as the folder
  alone, never its files;
- where the native watcher cannot start (inotify's limit on watches or instances reached:
  an `OSError`), polling, more often than MkDocs does: five times a second costs under a
  tenth of a core at 2,000 files (16 ms a look), and sees a save 0.1 s later on average.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mkdocs.plugins import get_plugin_logger
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

if TYPE_CHECKING:
    from mkdocs.livereload import LiveReloadServer

log = get_plugin_logger(__name__)

#: Seconds between two looks at every watched file when no native watcher can start.
POLL_SECONDS = 0.2
#: The events that change a file or a folder (not: opened, closed unwritten, folder touched).
CHANGES: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
#: A folder event, as the file event MkDocs' handler acts on.
_AS_FILE_EVENT: dict[type[FileSystemEvent], type[FileSystemEvent]] = {
    DirCreatedEvent: FileCreatedEvent,
    DirDeletedEvent: FileDeletedEvent,
    DirMovedEvent: FileMovedEvent,
}


def watch_natively(server: LiveReloadServer) -> None:
    """Give `server` a `PreviewObserver` that watches every path the server watched so far.

    Uses two attributes MkDocs 1.6's server keeps of what it watches (`_watched_paths`, the
    paths with how many asked for each; `_watch_refs`, the observer's watches): a server
    without them, or already watching, keeps its own observer.
    """
    watched = getattr(server, "_watched_paths", None)
    watches = getattr(server, "_watch_refs", None)
    if not isinstance(watched, dict) or not isinstance(watches, dict):
        log.debug("live preview: this MkDocs server keeps MkDocs' own file watcher")
        return
    if server.observer.is_alive():
        return
    for watch in watches.values():
        server.observer.unschedule(watch)
    counts = dict(watched)
    watched.clear()
    watches.clear()
    server.observer = PreviewObserver()  # type: ignore[assignment]  # what the server uses of one
    for path, count in counts.items():
        for _ in range(count):
            server.watch(path)


@dataclass(frozen=True)
class _Scheduled:
    handler: FileSystemEventHandler
    path: str
    recursive: bool


class PreviewObserver:
    """The observer of `LiveReloadServer` (what it calls: `schedule`, `unschedule`, `start`,
    `stop`, `join`): the native one, or polling when that cannot start (module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.observer = _native_observer()
        #: The watch handed out for each schedule → what was scheduled and its current watch.
        self._scheduled: dict[ObservedWatch, tuple[_Scheduled, ObservedWatch]] = {}

    @property
    def is_native(self) -> bool:
        return not isinstance(self.observer, PollingObserver)

    def schedule(
        self, handler: FileSystemEventHandler, path: str, *, recursive: bool = False
    ) -> ObservedWatch:
        scheduled = _Scheduled(_Changes(handler), path, recursive)
        with self._lock:
            watch = self._schedule(scheduled)
            self._scheduled[watch] = (scheduled, watch)
        return watch

    def _schedule(self, scheduled: _Scheduled) -> ObservedWatch:
        return self.observer.schedule(
            scheduled.handler, scheduled.path, recursive=scheduled.recursive, event_filter=CHANGES
        )

    def unschedule(self, watch: ObservedWatch) -> None:
        with self._lock:
            _, current = self._scheduled.pop(watch)
            self.observer.unschedule(current)

    def start(self) -> None:
        with self._lock:
            try:
                self.observer.start()
            except OSError as error:
                self.observer.stop()  # the emitters that did start
                log.warning(
                    f"live preview: cannot watch files natively ({error}); looking for "
                    f"changes every {POLL_SECONDS} s instead. On Linux, raising "
                    "fs.inotify.max_user_watches or max_user_instances lifts the limit."
                )
                self.observer = PollingObserver(timeout=POLL_SECONDS)
                for handed_out, (scheduled, _) in self._scheduled.items():
                    self._scheduled[handed_out] = (scheduled, self._schedule(scheduled))
                self.observer.start()

    def stop(self) -> None:
        self.observer.stop()

    def join(self, timeout: float | None = None) -> None:
        if self.observer.is_alive():
            self.observer.join(timeout)

    def is_alive(self) -> bool:
        return self.observer.is_alive()


def _native_observer() -> BaseObserver:
    """The platform's native observer; watchdog's polling one where there is none, at our pace
    (its own looks once a second)."""
    observer = Observer()
    if isinstance(observer, PollingObserver):
        return PollingObserver(timeout=POLL_SECONDS)
    return observer


class _Changes(FileSystemEventHandler):
    """Passes every change on to MkDocs' handler, a folder's as a file's (module docstring)."""

    def __init__(self, handler: FileSystemEventHandler) -> None:
        self._handler = handler

    def dispatch(self, event: FileSystemEvent) -> None:
        as_file = _AS_FILE_EVENT.get(type(event))
        if as_file is not None:
            event = as_file(event.src_path, event.dest_path)
        self._handler.dispatch(event)
