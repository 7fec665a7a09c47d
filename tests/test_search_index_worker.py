"""The build's search index update in a worker process (`search_service.IndexUpdate`).

The index is updated while MkDocs renders pages; the build collects the result in
`on_post_build`. These tests pin what must hold whatever the timing: after a build the index
is complete, a failed or killed worker is reported (not waited for forever, not fatal unless
`--strict`), and no worker outlives a failed build or a `serve` rebuild.

A worker that is still busy is simulated deterministically by a "document" whose unpickling
in the worker sleeps, so the tests never depend on how fast a worker starts or indexes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from mkdocs.config import load_config

from postmortem_kb.core.settings import Settings
from postmortem_kb.mkdocs_plugin import plugin as plugin_module
from postmortem_kb.search.index import SearchIndex, SearchRequest
from postmortem_kb.search.service import (
    IndexUpdate,
    IndexUpdateError,
    index_dir,
    start_index_update,
)
from site_builder import BuildFailed, build_site, write_small_kb

#: Stops a build after `on_pre_build` started the worker and before `on_post_build`.
FAILING_HOOK = """\
from mkdocs.exceptions import PluginError


def on_env(env, config, files):
    raise PluginError("hook: the theme could not be prepared")
"""


def postmortem(incident_id: str, title: str, summary: str) -> str:
    return textwrap.dedent(f"""\
        ---
        id: {incident_id}
        title: {title}
        date: 2024-05-02
        severity: SEV-2
        status: published
        services: [edge]
        tags: [dns]
        key_learning: Keep the zone file under review.
        summary: {summary}
        ---

        The narrative.
        """)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    dns = postmortem("dns-outage", "Zone push removed records", "Resolvers returned NXDOMAIN.")
    return write_small_kb(tmp_path / "kb", "Index worker test", {"dns-outage.md": dns})


class _StuckDocument:
    """Unpickles, in the worker, as a long sleep: a worker that is certainly still busy."""

    def __reduce__(self) -> tuple[Any, tuple[float]]:
        return (time.sleep, (60.0,))


def stuck_update(settings: Settings) -> IndexUpdate:
    return start_index_update(settings, [_StuckDocument()])  # type: ignore[list-item]


def index_workers() -> list[multiprocessing.process.BaseProcess]:
    return [child for child in multiprocessing.active_children()
            if child.name.startswith("pmkb-index-")]


def only_worker_pid() -> int:
    (worker,) = index_workers()
    assert worker.pid is not None
    return worker.pid


# A build keeps the index complete


def test_build_leaves_an_index_that_search_reads_without_updating(
    kb: Path, tmp_path: Path
) -> None:
    site = build_site(kb / "mkdocs.yml", tmp_path / "site")
    cache = tmp_path / ".cache-site"
    assert any(line.startswith("INFO: postmortem_kb: Search index (internal): rebuilt (") and
               line.endswith(": 1 added, 0 updated, 0 removed, 0 unchanged")
               for line in site.logs), site.logs
    # `search()` never updates: what it finds is what the build wrote.
    with SearchIndex(cache / "internal") as index:
        assert [hit.id for hit in index.search(SearchRequest("nxdomain"))] == ["dns-outage"]

    (kb / "postmortems" / "cert-expiry.md").write_text(
        postmortem("cert-expiry", "Certificate expired", "Handshakes failed at the edge."),
        encoding="utf-8",
    )
    again = build_site(kb / "mkdocs.yml", tmp_path / "site")
    assert ("INFO: postmortem_kb: Search index (internal): "
            "1 added, 0 updated, 0 removed, 1 unchanged") in again.logs
    with SearchIndex(cache / "internal") as index:
        assert [hit.id for hit in index.search(SearchRequest("handshakes"))] == ["cert-expiry"]
    assert index_workers() == []


# Failures are reported, never waited for forever


def test_a_failed_update_warns_naming_the_folder_and_still_publishes(
    kb: Path, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "cache-is-a-file"
    not_a_folder.write_text("", encoding="utf-8")
    site = build_site(kb / "mkdocs.yml", tmp_path / "site", strict=False,
                      cache_dir=str(not_a_folder))
    (warning,) = site.warnings()
    assert warning.startswith("WARNING: postmortem_kb: Search index (internal): "
                              f"{not_a_folder / 'internal'} was not updated: NotADirectoryError")
    assert "`pmkb search`" in warning
    assert (tmp_path / "site" / "incidents" / "dns-outage" / "index.html").is_file()


def test_a_failed_update_fails_a_strict_build_like_any_warning(kb: Path, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "cache-is-a-file"
    not_a_folder.write_text("", encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        build_site(kb / "mkdocs.yml", tmp_path / "site", cache_dir=str(not_a_folder))
    assert any("was not updated" in line for line in failed.value.logs)
    assert not (tmp_path / "site").exists()  # the atomic build published nothing


def test_a_killed_worker_is_reported_with_its_signal(tmp_path: Path) -> None:
    settings = Settings(source_dir=tmp_path, cache_dir=tmp_path / "cache")
    update = stuck_update(settings)
    os.kill(only_worker_pid(), signal.SIGKILL)
    with pytest.raises(IndexUpdateError, match="killed by SIGKILL") as failed:
        update.wait()
    assert str(index_dir(settings)) in str(failed.value)
    assert index_workers() == []


def test_the_worker_yields_to_the_build_and_leaves_no_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It runs nicer than the build, and the file that handed it the documents is gone
    whether it read it (an update done) or not (killed while its interpreter starts)."""
    handoffs = tmp_path / "tmp"
    handoffs.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(handoffs))
    settings = Settings(source_dir=tmp_path, cache_dir=tmp_path / "cache")
    stuck = stuck_update(settings)
    worker = only_worker_pid()
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    deadline = time.monotonic() + 60
    while os.getpriority(os.PRIO_PROCESS, worker) == ours and time.monotonic() < deadline:
        time.sleep(0.05)  # until its interpreter has started
    assert os.getpriority(os.PRIO_PROCESS, worker) > ours
    stuck.cancel()
    assert start_index_update(settings, []).wait().rebuilt
    assert list(handoffs.iterdir()) == []
    assert os.getpriority(os.PRIO_PROCESS, 0) == ours  # the build's own is untouched


# No worker outlives its build


def test_cancel_stops_a_busy_worker_and_the_next_update_runs(tmp_path: Path) -> None:
    settings = Settings(source_dir=tmp_path, cache_dir=tmp_path / "cache")
    stuck = stuck_update(settings)
    stuck.cancel()
    assert index_workers() == []
    with pytest.raises(IndexUpdateError, match="cancelled"):
        stuck.wait()
    assert start_index_update(settings, []).wait().rebuilt


def test_a_failed_build_leaves_no_worker_behind(kb: Path, tmp_path: Path) -> None:
    (kb / "hooks.py").write_text(FAILING_HOOK, encoding="utf-8")
    with (kb / "mkdocs.yml").open("a", encoding="utf-8") as config:
        config.write("hooks: [hooks.py]\n")
    with pytest.raises(BuildFailed, match="the theme could not be prepared"):
        build_site(kb / "mkdocs.yml", tmp_path / "site")
    assert index_workers() == []


def test_a_build_error_stops_the_worker(kb: Path, tmp_path: Path) -> None:
    config = load_config(config_file=str(kb / "mkdocs.yml"))
    plugin = config.plugins["postmortems"]
    plugin.config["cache_dir"] = str(tmp_path / "cache")
    config.plugins.on_startup(command="build", dirty=False)
    config = config.plugins.on_config(config)
    plugin.index_update = stuck_update(plugin.settings)
    plugin.on_build_error(error=RuntimeError("page failed"))
    assert index_workers() == []
    assert plugin.index_update is None


class _GatedDocument:
    """Unpickles, in the worker, once `gate` exists: a worker busy until the test says."""

    def __init__(self, gate: Path) -> None:
        self.gate = gate

    def __reduce__(self) -> tuple[Any, tuple[list[str]]]:
        wait = 'while [ ! -e "$0" ]; do sleep 0.02; done'
        return (subprocess.call, (["sh", "-c", wait, str(self.gate)],))


def test_serve_never_waits_for_the_index_and_updates_it_one_writer_at_a_time(
    kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A preview's index update runs after it is built, and the next rebuild does not wait
    for it: the next update does, then runs."""
    config = load_config(config_file=str(kb / "mkdocs.yml"))
    plugin = config.plugins["postmortems"]
    plugin.config["cache_dir"] = str(tmp_path / "cache")
    gate = tmp_path / "gate"
    started: list[IndexUpdate] = []

    def start(settings: Settings, documents: list[Any], *more: Any) -> IndexUpdate:
        if not started:  # the first update is busy until the gate opens
            documents = [_GatedDocument(gate)]
        started.append(start_index_update(settings, documents, *more))
        return started[-1]

    monkeypatch.setattr(plugin_module, "start_index_update", start)
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        config = config.plugins.on_config(config)
        plugin.on_pre_build(config=config)
        assert plugin.index_update is None  # under `serve`: once the preview is built
        plugin._update_index_later()
        first = plugin.index_waiter
        assert first is not None

        # Were the rebuild to wait for the busy update, it would open (and fail) at last.
        opener = threading.Timer(60, gate.touch)
        opener.start()
        plugin.on_pre_build(config=config)  # the next rebuild
        assert first.is_alive()  # it did not wait for the busy update
        opener.cancel()
        pending = plugin.index_pending
        assert pending is not None and len(pending[0]) == 1
        plugin._update_index_later()
        second = plugin.index_waiter
        assert second is not None and second is not first
        deadline = time.monotonic() + 60
        while not started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(index_workers()) == 1  # the second waits for the first

        gate.touch()
        second.join()
        assert len(started) == 2
        assert plugin.indexed is pending  # the busy one failed; the second succeeded
        assert index_workers() == []
    finally:
        gate.touch()
        config.plugins.on_shutdown()
