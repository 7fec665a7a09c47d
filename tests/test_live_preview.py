"""Live preview: `pmkb serve` and `mkdocs serve` rebuild when a postmortem file changes.

The plugin adds `source_dir` (outside `docs_dir`) to MkDocs' watched paths. Each test runs the
real server as a subprocess on a free local port against a tiny knowledge base of its own,
then edits, adds and deletes postmortem files and polls the served pages until the change
shows (each wait bounded).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from site_builder import write_small_kb

pytestmark = pytest.mark.slow
#: How long a start or a rebuild may take before the test fails.
WAIT_SECONDS = 60
PMKB = Path(sys.executable).parent / "pmkb"


def postmortem(title: str, tag: str = "dns") -> str:
    return textwrap.dedent(f"""\
        ---
        title: {title}
        date: 2024-05-02
        severity: SEV-2
        status: published
        services: [edge]
        tags: [{tag}]
        key_learning: Keep the zone file under review.
        ---

        The narrative.
        """)


@pytest.fixture
def knowledge_base(tmp_path: Path) -> Path:
    dns = postmortem("Zone push removed records")
    return write_small_kb(tmp_path, "Live preview test", {"dns-outage.md": dns})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    """Status and text of `url`; (0, "") while the server is not listening yet."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


def wait_for(url: str, shows: Callable[[int, str], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if shows(*fetch(url)):
            return
        time.sleep(0.2)
    pytest.fail(f"after {WAIT_SECONDS} s, {url} still does not show {what}")


@pytest.fixture(params=["pmkb", "mkdocs"])
def preview(request: pytest.FixtureRequest, knowledge_base: Path) -> Iterator[str]:
    """Base URL of a live preview of `knowledge_base`, served by `pmkb serve` or `mkdocs serve`."""
    address = f"127.0.0.1:{free_port()}"
    command = {
        "pmkb": [str(PMKB), "-f", "mkdocs.yml", "serve", "--dev-addr", address],
        "mkdocs": [sys.executable, "-m", "mkdocs", "serve", "-f", "mkdocs.yml", "-a", address],
    }[request.param]
    server = subprocess.Popen(
        command, cwd=knowledge_base, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        base = f"http://{address}/"
        wait_for(base, lambda status, _: status == 200 or server.poll() is not None, "the site")
        if server.poll() is not None:
            assert server.stderr is not None
            pytest.fail(f"{request.param} serve exited: {server.stderr.read().decode()}")
        yield base
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        assert server.stderr is not None
        server.stderr.close()


def test_edited_added_and_deleted_postmortems_show_in_the_preview(
    preview: str, knowledge_base: Path
) -> None:
    source = knowledge_base / "postmortems"
    page = preview + "incidents/dns-outage/"
    wait_for(page, lambda status, text: "Zone push removed records" in text, "the first title")

    (source / "dns-outage.md").write_text(postmortem("Zone push deleted records"), "utf-8")
    wait_for(page, lambda status, text: "Zone push deleted records" in text, "the edited title")

    (source / "capacity.md").write_text(postmortem("Queue backlog", tag="capacity"), "utf-8")
    wait_for(preview + "incidents/capacity/", lambda status, text: "Queue backlog" in text,
             "the added incident")
    wait_for(preview + "tags/capacity/", lambda status, text: "Queue backlog" in text,
             "the added incident on its tag page")

    (source / "capacity.md").unlink()
    wait_for(preview + "incidents/", lambda status, text: status == 200
             and "Zone push deleted records" in text and "Queue backlog" not in text,
             "the list without the deleted incident")
    wait_for(preview + "incidents/capacity/", lambda status, _: status == 404,
             "404 for the deleted incident")
