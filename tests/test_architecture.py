"""The package's stages import one way, with no loops (pyproject.toml, [tool.importlinter]).

The contracts are checked on the real package, and shown to catch what they are for by
planting an upward import and a loop in a copy of it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(project: Path, plugins_dir: Path) -> subprocess.CompletedProcess[str]:
    """import-linter over the `postmortem_kb` found in `plugins_dir`, with `project`'s config."""
    environment = {**os.environ, "PYTHONPATH": str(plugins_dir)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=project, env=environment, capture_output=True, text=True, check=False,
    )


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        ROOT / "plugins" / "postmortem_kb",
        tmp_path / "plugins" / "postmortem_kb",
        ignore=shutil.ignore_patterns("__pycache__", "templates", "assets"),
    )
    return tmp_path / "plugins" / "postmortem_kb"


def plant(module: Path, line: str) -> None:
    module.write_text(module.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_package_keeps_its_contracts() -> None:
    result = lint_imports(ROOT, ROOT / "plugins")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # core is the bottom layer: it must not know how a site is planned.
        # (Importing upward also closes a loop between packages: both contracts break.)
        ("core/model.py", "from ..site import plan", "Stages import one way"),
        # The front ends are peers.
        ("cli/main.py", "from ..mkdocs_plugin import plugin", "Stages import one way"),
        # model is imported by validate; importing validate back closes a loop.
        ("core/model.py", "from . import validate", "No import loops"),
    ],
)
def test_a_planted_import_against_the_contracts_fails(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    package = copy_of_the_package(tmp_path)
    plant(package / module, line)
    result = lint_imports(tmp_path, package.parent)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(rf"^{broken}.* BROKEN$", result.stdout, re.MULTILINE), result.stdout


def test_a_new_stage_package_must_be_placed_in_the_layers(tmp_path: Path) -> None:
    package = copy_of_the_package(tmp_path)
    (package / "unplaced_stage").mkdir()
    (package / "unplaced_stage" / "__init__.py").write_text('"""A stage nobody placed."""\n')
    result = lint_imports(tmp_path, package.parent)
    assert result.returncode != 0
    assert "unplaced_stage" in result.stdout + result.stderr
