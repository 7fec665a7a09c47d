"""The browser fixtures themselves: a page really runs, and outside requests are caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import OpenPage, ServeDir, is_local_url

BUTTON_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>button</title></head>
<body>
  <button id="toggle">Show details</button>
  <p id="state">closed</p>
  <script src="toggle.js"></script>
</body></html>
"""

# Served from the same local server: proves local requests are let through.
TOGGLE_SCRIPT = """
document.getElementById("toggle").addEventListener("click", () => {
  document.getElementById("state").textContent = "open";
});
"""

OUTSIDE_SCRIPT_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>outside</title></head>
<body>
  <p id="status">waiting</p>
  <script>
    function mark(text) { document.getElementById("status").textContent = text; }
  </script>
  <script src="https://example.com/x.js"
          onload="mark('loaded from example.com')" onerror="mark('blocked')"></script>
</body></html>
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "button.html").write_text(BUTTON_PAGE, encoding="utf-8")
    (tmp_path / "toggle.js").write_text(TOGGLE_SCRIPT, encoding="utf-8")
    (tmp_path / "outside.html").write_text(OUTSIDE_SCRIPT_PAGE, encoding="utf-8")
    return tmp_path


@pytest.mark.browser
def test_local_page_runs_its_script_and_reacts_to_a_click(
    site: Path, serve_dir: ServeDir, open_page: OpenPage
) -> None:
    page, watch = open_page(serve_dir(site) + "button.html")

    page.click("#toggle")

    assert page.text_content("#state") == "open"
    watch.assert_clean()


@pytest.mark.browser
def test_request_to_another_host_is_recorded_and_never_leaves_the_machine(
    site: Path, serve_dir: ServeDir, open_page: OpenPage
) -> None:
    page, watch = open_page(serve_dir(site) + "outside.html")

    page.wait_for_function("document.getElementById('status').textContent !== 'waiting'")

    assert watch.outside_requests == ["https://example.com/x.js"]
    assert page.text_content("#status") == "blocked"
    assert "request to another host: https://example.com/x.js" in watch.problems()
    with pytest.raises(AssertionError, match=r"https://example\.com/x\.js"):
        watch.assert_clean()


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8000/incidents/", True),
        ("http://localhost/feed.xml", True),
        ("http://[::1]:8001/", True),
        ("data:image/png;base64,AAAA", True),
        ("https://example.com/x.js", False),
        ("https://fonts.googleapis.com/css?family=Roboto", False),
        ("http://127.0.0.1.example.com/", False),
        ("http://localhost.example.com/", False),
    ],
)
def test_is_local_url_accepts_only_this_machine(url: str, local: bool) -> None:
    assert is_local_url(url) is local
