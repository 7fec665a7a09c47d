"""The live preview's file watcher (`mkdocs_plugin/watcher.py`) rebuilds on every change.

Each test runs MkDocs' own `LiveReloadServer` with a builder that only counts, swaps its
observer the way the plugin's `on_serve` does, and changes files; every wait is bounded.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from mkdocs.livereload import LiveReloadServer
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingEmitter

from postmortem_kb.mkdocs_plugin import watcher
from postmortem_kb.mkdocs_plugin.watcher import PreviewObserver, watch_natively

#: How long a change may take to reach the builder before the test fails.
WAIT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@contextmanager
def serving(
    site: Path, before: Path, after: Path
) -> Iterator[tuple[LiveReloadServer, PreviewObserver, queue.Queue]]:
    """A server watching `before` (scheduled before the swap, as MkDocs' `docs_dir`) and
    `after` (after it, as `config.watch`); its observer, and a queue that gets an item per
    rebuild."""
    builds: queue.Queue[int] = queue.Queue()
    server = LiveReloadServer(
        builder=lambda: builds.put(1), host="127.0.0.1", port=free_port(), root=str(site)
    )
    server.watch(str(before))
    watch_natively(server)
    server.watch(str(after))
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        observer = server.observer
        assert isinstance(observer, PreviewObserver)
        wait_until(observer.is_alive, "the watcher to start")
        yield server, observer, builds
    finally:
        server.shutdown(wait=True)
        thread.join(WAIT_SECONDS)


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    paths = {name: tmp_path / name for name in ("site", "docs", "postmortems", "outside")}
    for path in paths.values():
        path.mkdir()
    (paths["postmortems"] / "2024").mkdir()
    (paths["postmortems"] / "2024" / "dns-outage.md").write_text("first\n", "utf-8")
    (paths["docs"] / "index.md").write_text("# Home\n", "utf-8")
    return paths


def rebuilt(builds: queue.Queue, what: str) -> None:
    try:
        builds.get(timeout=WAIT_SECONDS)
    except queue.Empty:
        pytest.fail(f"no rebuild after {what}")


def test_saves_in_paths_watched_before_and_after_the_swap_rebuild(tree: dict[str, Path]) -> None:
    with serving(tree["site"], tree["docs"], tree["postmortems"]) as (_, observer, builds):
        assert observer.is_native
        (tree["docs"] / "index.md").write_text("# Home, edited\n", "utf-8")
        rebuilt(builds, "a save in a path watched before the swap")
        (tree["postmortems"] / "2024" / "dns-outage.md").write_text("second\n", "utf-8")
        rebuilt(builds, "a save in a path watched after it")
        (tree["postmortems"] / "2024" / "dns-outage.md").unlink()
        rebuilt(builds, "a deleted file")


def test_a_folder_moved_out_of_the_tree_rebuilds(tree: dict[str, Path]) -> None:
    """A native watcher reports the folder alone, which MkDocs' handler would skip."""
    with serving(tree["site"], tree["docs"], tree["postmortems"]) as (_, _, builds):
        os.rename(tree["postmortems"] / "2024", tree["outside"] / "2024")
        rebuilt(builds, "a folder of postmortems moved away")


def test_reading_a_file_is_not_a_change(tree: dict[str, Path]) -> None:
    """A build reads every postmortem: were that a change, each build would start another.
    A native watcher reports events in order, so the read's would come before the write's."""
    events: list[FileSystemEvent] = []

    class Recording(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            events.append(event)

    observer = PreviewObserver()
    observer.schedule(Recording(), str(tree["postmortems"]), recursive=True)
    observer.start()
    try:
        (tree["postmortems"] / "2024" / "dns-outage.md").read_text("utf-8")
        written = tree["postmortems"] / "2024" / "new.md"
        written.write_text("new\n", "utf-8")
        wait_until(lambda: any(event.src_path == str(written) for event in events), "the write")
    finally:
        observer.stop()
        observer.join()
    assert {event.src_path for event in events} == {str(written)}


class AtItsLimit(BaseObserver):
    """A native observer the kernel refuses, as inotify does past `max_user_watches`."""

    def __init__(self) -> None:
        super().__init__(PollingEmitter)

    def on_thread_start(self) -> None:
        super().on_thread_start()
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_where_native_watching_cannot_start_polling_still_rebuilds(
    tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(watcher, "Observer", AtItsLimit)
    watched = (tree["site"], tree["docs"], tree["postmortems"])
    with caplog.at_level(logging.WARNING), serving(*watched) as (server, observer, builds):
        assert not observer.is_native
        (tree["postmortems"] / "2024" / "dns-outage.md").write_text("second\n", "utf-8")
        rebuilt(builds, "a save, polled")
        server.unwatch(str(tree["postmortems"]))  # the polling watch the path has now
    assert "cannot watch files natively ([Errno 28] inotify watch limit reached)" in caplog.text
