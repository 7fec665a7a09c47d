"""Pages rendered ahead in worker processes (`mkdocs_plugin/ahead.py`), their Markdown and then
their theme: the site MkDocs' own loop makes, byte for byte, and the same warnings, each
printed once.

The site is built in a fresh interpreter (one thread, as `mkdocs build` runs), once with the
pages rendered ahead and once with no workers, so MkDocs' loop renders every page. A
hand-written page links to a page that does not exist and to an anchor missing from an
incident page, so rendering it logs warnings and the anchor check after the loop uses what
the workers sent back. Another hand-written page names a template of the theme's folder that
makes nothing of it: MkDocs writes no file for it, and neither may a worker. The second
build's output goes to another folder; everything else about the two builds is the same.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

from postmortem_kb.mkdocs_plugin import ahead
from postmortem_kb.site import workers
from site_builder import REPO_ROOT
from test_indexes import load_benchmark

BUILD = textwrap.dedent(
    """
    import json, logging, sys
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from postmortem_kb.mkdocs_plugin import ahead

    rendered, themed = [], []
    render, theme = ahead.RenderedAhead.render, ahead.RenderedAhead.theme
    def counted(self, *args, **kwargs):
        rendered.append(render(self, *args, **kwargs))
        return rendered[-1]
    def counted_theme(self, *args, **kwargs):
        themed.append(theme(self, *args, **kwargs))
        return themed[-1]
    ahead.RenderedAhead.render = counted
    ahead.RenderedAhead.theme = counted_theme
    if sys.argv[3] == "no-workers":
        ahead.worker_count = lambda: 0

    class Lines(logging.Handler):
        def __init__(self):
            super().__init__(logging.INFO)
            self.lines = []
        def emit(self, record):
            self.lines.append(f"{record.levelname} {record.getMessage()}")

    lines = Lines()
    logging.getLogger("mkdocs").addHandler(lines)
    build(load_config(sys.argv[1], site_dir=sys.argv[2]))
    print(json.dumps({"rendered_ahead": sum(rendered), "themed_ahead": sum(themed),
                      "log": lines.lines}))
    """
)


def _build(config: Path, site: Path, mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(config), str(site), mode],
        capture_output=True, text=True, cwd=config.parent, check=False,
        env={"PYTHONPATH": str(REPO_ROOT / "plugins"), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_worker_creates_a_missing_output_file_empty_and_leaves_one_that_is_there(
    tmp_path: Path,
) -> None:
    """Workers create the pages' files ahead of MkDocs' loop, which fills them: a file that is
    there is the last build's (or, in a new staging folder, a link to a published one)."""
    there = tmp_path / "kept" / "index.html"
    there.parent.mkdir()
    there.write_text("the published page", encoding="utf-8")
    missing = tmp_path / "new" / "deeper" / "index.html"
    ahead._make_room(str(there))
    ahead._make_room(str(missing))
    assert there.read_text(encoding="utf-8") == "the published page"
    assert missing.read_bytes() == b""


def _files(site: Path) -> dict[str, bytes]:
    return {path.relative_to(site).as_posix(): path.read_bytes()
            for path in sorted(site.rglob("*")) if path.is_file()}


def test_pages_rendered_ahead_make_the_site_mkdocs_own_loop_makes(tmp_path: Path) -> None:
    benchmark = load_benchmark()
    incidents = benchmark.synthetic_library(workers.MIN_CALLS + 6, seed=5)
    config = benchmark.write_ours(tmp_path / "kb", incidents)
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["validation"] = {"anchors": "warn", "links": {"not_found": "warn"}}
    settings["plugins"]["postmortems"]["atomic"] = False
    settings["theme"]["custom_dir"] = "theme"
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    (config.parent / "theme").mkdir()
    (config.parent / "theme" / "nothing.html").write_text("{# no output #}\n", encoding="utf-8")
    (config.parent / "docs" / "blank.md").write_text(
        "---\ntemplate: nothing.html\n---\n# Blank\n", encoding="utf-8")
    target = incidents[0].id
    (config.parent / "docs" / "notes.md").write_text(
        "# Notes\n\n"
        f"See [the incident](incidents/{target}/index.md#summary), "
        f"[a part it lacks](incidents/{target}/index.md#no-such-part) "
        "and [a page that is not there](missing.md).\n",
        encoding="utf-8",
    )

    ahead = _build(config, tmp_path / "ahead", "workers")
    here = _build(config, tmp_path / "here", "no-workers")

    assert ahead["rendered_ahead"] >= len(incidents), "no page was rendered in a worker"
    assert ahead["themed_ahead"] >= len(incidents), "no page went through the theme in a worker"
    assert here["rendered_ahead"] == here["themed_ahead"] == 0
    assert _files(tmp_path / "ahead") == _files(tmp_path / "here")
    assert not (tmp_path / "ahead" / "blank").exists()
    warnings = [line for line in ahead["log"] if line.startswith("WARNING")]
    assert warnings == [line for line in here["log"] if line.startswith("WARNING")]
    assert sum("missing.md" in line for line in warnings) == 1
    assert sum("no-such-part" in line for line in warnings) == 1
    incident_page = (tmp_path / "ahead" / "incidents" / target / "index.html").read_text()
    assert 'id="summary"' in incident_page
