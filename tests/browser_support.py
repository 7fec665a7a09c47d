"""Helpers for browser tests: the system Chromium under Playwright, a local static server, and a
watcher that proves a page logs no errors and talks to no other host.

The built site must work offline, so every request to a host other than this machine is
recorded *and* aborted: a test sees the offending URL and nothing ever leaves the machine.
Playwright's sync API is used throughout (it cannot run inside an asyncio loop).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Route, sync_playwright

#: Debian's `chromium` package; never a browser downloaded by `playwright install`.
CHROMIUM_PATH = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


#: The `serve_dir` fixture: serve a directory, get its base URL.
ServeDir = Callable[[Path], str]
#: The `open_page` fixture: load a URL in a watched page.
OpenPage = Callable[[str], "tuple[Page, PageWatch]"]


class ChromiumMissingError(RuntimeError):
    """Raised instead of skipping: a browser test that cannot run is a failed test."""


def missing_chromium_problem() -> str | None:
    """Why Chromium cannot be launched, or None when it can."""
    if CHROMIUM_PATH.exists():
        return None
    return (
        f"{CHROMIUM_PATH} is missing: browser tests need Debian's chromium "
        "(`apt-get update && apt-get install -y chromium`, or run `./dev.sh test`)"
    )


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Start the system Chromium headless; close it and Playwright on exit."""
    if problem := missing_chromium_problem():
        raise ChromiumMissingError(problem)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH), args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve `root` over HTTP on a free 127.0.0.1 port; yields the base URL (ends with `/`)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name=f"serve {root}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class PageWatch:
    """What a page did that a built site must never do."""

    #: `console.error` messages, including resources that failed to load.
    console_errors: list[str] = field(default_factory=list)
    #: Uncaught JavaScript exceptions.
    page_errors: list[str] = field(default_factory=list)
    #: URLs of requests to any host other than this machine (all of them were aborted).
    outside_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"console error: {message}" for message in self.console_errors]
            + [f"uncaught exception: {message}" for message in self.page_errors]
            + [f"request to another host: {url}" for url in self.outside_requests]
        )

    def assert_clean(self) -> None:
        """Fail with every recorded problem listed."""
        problems = self.problems()
        assert not problems, "\n".join(problems)


def is_local_url(url: str) -> bool:
    """True for URLs that stay on this machine, including host-less `data:` and `blob:` URLs."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.hostname in LOCAL_HOSTS


def watch_page(page: Page) -> PageWatch:
    """Start recording console errors and outside requests of `page`; abort the latter.

    Call before navigating, so the first request is already covered.
    """
    watch = PageWatch()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watch.console_errors.append(message.text)

    def on_page_error(error: Error) -> None:
        watch.page_errors.append(error.message)

    def guard_request(route: Route) -> None:
        url = route.request.url
        if is_local_url(url):
            route.continue_()
        else:
            watch.outside_requests.append(url)
            route.abort("blockedbyclient")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.route("**/*", guard_request)
    return watch
