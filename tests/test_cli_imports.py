"""`pmkb` imports only what the command it runs uses.

Importing MkDocs, numpy or the site pipeline cost `pmkb search` half its time before it knew
the command was a search. Each command runs in a fresh interpreter here, and what it
imported is read from `sys.modules` at its end. The settings are cached by a first run (that
one loads the config through MkDocs, once).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder import REPO_ROOT, copy_kb

PROBE = """
import json, sys
from postmortem_kb.cli.main import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""
#: Building the parser alone: what every command pays before it runs.
PARSER_PROBE = """
import sys
from postmortem_kb.cli.main import build_parser
build_parser()
print(" ".join(sorted(sys.modules)))
"""

#: Never imported by the commands below, in any of their paths.
HEAVY = ("mkdocs", "material", "numpy")


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_kb(REPO_ROOT, tmp_path_factory.mktemp("imports") / "kb")
    assert run_pmkb(root, ["search", "certificate"])["code"] == 0  # caches the settings
    return root


def run_pmkb(root: Path, arguments: list[str]) -> dict[str, object]:
    report = root / "imported.json"
    subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *arguments],
        cwd=root,
        check=True,
        capture_output=True,
    )
    loaded: dict[str, object] = json.loads(report.read_text(encoding="utf-8"))
    return loaded


def packages(report: dict[str, object]) -> set[str]:
    modules = report["modules"]
    assert isinstance(modules, list)
    return {str(name) for name in modules}


def imported(report: dict[str, object], names: tuple[str, ...]) -> list[str]:
    loaded = packages(report)
    return [name for name in names if name in loaded]


def test_search_imports_neither_mkdocs_nor_numpy_nor_the_site(kb: Path) -> None:
    for path in (kb / "postmortems").rglob("*"):  # as old as files not just saved
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime - 60))
    run_pmkb(kb, ["search", "warm"])  # brings the index in step with files other tests wrote
    report = run_pmkb(kb, ["search", "certificate expired", "--json"])
    assert report["code"] == 0
    assert imported(report, (*HEAVY, "jinja2", "markdown", "postmortem_kb.site")) == []
    # A search that finds every file unchanged does not even read YAML.
    assert imported(report, ("yaml", "postmortem_kb.core.validate")) == []
    # Nor what whoosh imports for features never used (`search/whoosh_import.py`), the
    # logging MkDocs needs, or the worker processes a build's index update runs in.
    unused = ("urllib.request", "asyncio", "logging", "multiprocessing", "whoosh.lang.morph_en")
    assert imported(report, unused) == []


def test_new_imports_neither_mkdocs_nor_search_nor_the_site(kb: Path) -> None:
    report = run_pmkb(kb, ["new", "Imports probe", "--date", "2026-01-02"])
    assert report["code"] == 0
    assert imported(report, (*HEAVY, "whoosh", "postmortem_kb.search", "postmortem_kb.site")) == []


def test_check_imports_no_mkdocs(kb: Path) -> None:
    """`check` plans the whole site, related incidents included, so numpy it needs; MkDocs
    it does not (installed versions are read from package metadata)."""
    report = run_pmkb(kb, ["check", "--format", "json"])
    assert imported(report, ("mkdocs", "material", "whoosh")) == []


def test_building_the_parser_imports_no_command() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", PARSER_PROBE], check=True, capture_output=True, text=True
    ).stdout.split()
    assert [
        name
        for name in loaded
        if name.split(".")[0] in (*HEAVY, "whoosh", "jinja2", "yaml")
        or name.startswith(("postmortem_kb.site", "postmortem_kb.search"))
    ] == []


def test_python_dash_m_runs_the_command(kb: Path) -> None:
    """`python -m postmortem_kb.cli`, as `-X importtime` measurements run it."""
    done = subprocess.run(
        [sys.executable, "-m", "postmortem_kb.cli", "search", "certificate", "--json"],
        cwd=kb,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)
