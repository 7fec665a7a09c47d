"""Fixtures shared by every test module (no tests here).

Browser fixtures wrap `browser_support`: one Chromium per test session (per xdist worker),
a fresh browser context per test, and a local server for built sites.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from browser_support import (
    OpenPage,
    PageWatch,
    ServeDir,
    launch_chromium,
    missing_chromium_problem,
    serve_directory,
    watch_page,
)
from planted_kb import PAYLOADS, PLAIN, PLAIN_URLS, URL_PAYLOADS, write_planted_kb
from site_builder import REPO_ROOT, BuiltSite, build_site


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout root (the example knowledge base)."""
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def example_sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example knowledge base built once per session (per xdist worker), both audiences.

    Shared by every test that only reads the built example: treat the folders as read-only.
    """
    root = tmp_path_factory.mktemp("example")
    return {
        "internal": build_site(REPO_ROOT / "mkdocs.yml", root / "site").site_dir,
        "public": build_site(REPO_ROOT / "mkdocs.public.yml", root / "site-public").site_dir,
    }


@pytest.fixture(scope="session")
def planted_kbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Knowledge bases with XSS payloads planted (`planted_kb.py`). Internal: in every field.
    Public: in the public fields only; nothing internal reaches the public site anyway (the
    projection), and an internal text that is also public text (the same payload) would read
    as a leak to the leak guard."""
    folder = tmp_path_factory.mktemp("planted")
    return {
        "internal": write_planted_kb(folder / "internal", PAYLOADS, URL_PAYLOADS),
        "public": write_planted_kb(folder / "public", PLAIN, PLAIN_URLS),
    }


@pytest.fixture(scope="session")
def planted_sites(planted_kbs: dict[str, Path]) -> dict[str, BuiltSite]:
    """The planted knowledge bases built once per session (per xdist worker); read-only."""
    # Not strict: payload tags are not in the vocabulary, which warns.
    return {
        "internal": build_site(planted_kbs["internal"] / "mkdocs.yml",
                               planted_kbs["internal"].parent / "site", strict=False),
        "public": build_site(planted_kbs["public"] / "mkdocs.public.yml",
                             planted_kbs["public"].parent / "site-public", strict=False),
    }


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """The system Chromium; a missing browser fails the test, it never skips it."""
    if problem := missing_chromium_problem():
        pytest.fail(problem, pytrace=False)
    with launch_chromium() as browser:
        yield browser


@pytest.fixture
def serve_dir() -> Iterator[ServeDir]:
    """`serve_dir(path) -> base_url`; every server started stops when the test ends."""
    with ExitStack() as servers:
        yield lambda root: servers.enter_context(serve_directory(root))


@pytest.fixture
def open_page(chromium_browser: Browser) -> Iterator[OpenPage]:
    """`open_page(url) -> (page, watch)`: a watched page in a fresh context, already loaded."""
    context = chromium_browser.new_context()

    def open_url(url: str) -> tuple[Page, PageWatch]:
        page = context.new_page()
        watch = watch_page(page)
        page.goto(url)
        return page, watch

    try:
        yield open_url
    finally:
        context.close()
