"""Build a knowledge base into a temporary folder, as `mkdocs build` would, for tests.

`build_site()` loads a config file, points `site_dir` and the search cache into the test's
own folder, runs the startup event like the MkDocs CLI, builds, and returns what was
logged. A failed build raises `BuildFailed` carrying the log lines.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, PluginError

REPO_ROOT = Path(__file__).resolve().parent.parent


class BuildFailed(Exception):
    def __init__(self, error: Exception, logs: list[str]) -> None:
        super().__init__(f"{error}\n" + "\n".join(logs))
        self.error = error
        self.logs = logs


@dataclass
class BuiltSite:
    site_dir: Path
    logs: list[str] = field(default_factory=list)

    def read(self, uri: str) -> str:
        return (self.site_dir / uri).read_text(encoding="utf-8")

    def warnings(self) -> list[str]:
        return [line for line in self.logs if line.startswith(("WARNING", "ERROR"))]


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


def copy_kb(source: Path, target: Path) -> Path:
    """Copy a knowledge base (config files, docs, postmortems, overrides) to `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("mkdocs.yml", "mkdocs.public.yml"):
        if (source / name).exists():
            shutil.copy(source / name, target / name)
    for name in ("docs", "postmortems", "overrides"):
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
    return target


def example_kb_with(target: Path, kept: Collection[str]) -> Path:
    """The example knowledge base with only the postmortem files `kept` (paths under
    `postmortems/`) and its side files (roles, gallery), but not the onboarding paths, which
    name incidents left out."""
    kb = copy_kb(REPO_ROOT, target)
    source = kb / "postmortems"
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source).as_posix()
        if path.is_file() and not relative.startswith("_") and relative not in kept:
            path.unlink()
    (source / "_paths.yml").unlink()
    return kb


def write_small_kb(root: Path, site_name: str, postmortems: dict[str, str]) -> Path:
    """A knowledge base at `root`: a home page, `postmortems/<name>` files, a `mkdocs.yml`
    with the theme, the Markdown extensions generated pages use, and our plugin."""
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    (root / "postmortems").mkdir()
    for name, text in postmortems.items():
        (root / "postmortems" / name).write_text(text, encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        f"site_name: {site_name}\n"
        "theme: {name: material, font: false}\n"
        "markdown_extensions: [tables, admonition, attr_list, md_in_html, pymdownx.details,\n"
        "                      pymdownx.superfences]\n"
        "plugins:\n"
        "  search: {}\n"
        '  postmortems: {build_date: "2024-06-01",\n'
        "                tags: {dns: Name resolution, capacity: Headroom}}\n",
        encoding="utf-8",
    )
    return root


def build_site(
    config_file: Path, site_dir: Path, *, strict: bool = True, **plugin_options: object
) -> BuiltSite:
    """Build `config_file` into `site_dir`; search caches go beside it, never in the repo."""
    config = load_config(config_file=str(config_file), site_dir=str(site_dir), strict=strict)
    plugin = config.plugins["postmortems"]
    plugin.config["cache_dir"] = str(site_dir.parent / f".cache-{site_dir.name}")
    plugin.config["build_date"] = plugin.config.get("build_date") or "2026-11-23"
    for key, value in plugin_options.items():
        plugin.config[key] = value
    handler = _ListHandler()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    previous_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        config.plugins.on_startup(command="build", dirty=False)
        build(config)
    except (Abort, PluginError) as exc:
        raise BuildFailed(exc, handler.lines) from None
    finally:
        config.plugins.on_shutdown()
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
    return BuiltSite(site_dir, handler.lines)
