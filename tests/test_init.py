"""`pmkb init`: a new knowledge base that checks and builds, from the installed wheel.

The wheel test is the one place the package is used the way an adopter uses it: built into a
wheel, installed into a fresh virtual environment, run in a folder that is not this
repository. Only the dependencies come from this environment (a `.pth` file, so no network
is needed); the package itself, its templates, assets and starter files come from the wheel.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from postmortem_kb.cli.init_kb import EXAMPLE_ID, STARTER_FILES
from postmortem_kb.cli.main import main
from postmortem_kb.core.loader import read_postmortem

ROOT = Path(__file__).resolve().parent.parent


def run_cli(folder: Path, *args: str) -> tuple[int, str, str]:
    previous = Path.cwd()
    os.chdir(folder)
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(previous)
    return code, out.getvalue(), err.getvalue()


def test_init_writes_a_knowledge_base_that_checks(tmp_path: Path) -> None:
    code, out, _ = run_cli(
        tmp_path,
        "init",
        "kb",
        "--name",
        "Acme: Widgets",
        "--public-url",
        "https://status.acme.example",
    )
    kb = tmp_path / "kb"
    assert code == 0, out
    assert sorted(p.relative_to(kb).as_posix() for p in kb.rglob("*") if p.is_file()) == sorted(
        STARTER_FILES.values()
    )
    assert 'site_url: "https://status.acme.example/"' in (kb / "mkdocs.public.yml").read_text()
    assert 'organisation: "Acme: Widgets"' in (kb / "mkdocs.yml").read_text()
    example = read_postmortem(kb / "postmortems" / f"{EXAMPLE_ID}.md", kb / "postmortems").data
    assert example["review"]["public_approved_by"] == "@kim"
    assert example["review"]["public_fingerprint"].startswith("v")
    code, out, _ = run_cli(kb, "check", "--format", "json")
    assert code == 0
    assert [p for p in json.loads(out)["problems"] if p["level"] == "error"] == []


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Ours\n", encoding="utf-8")
    code, _, err = run_cli(tmp_path, "init")
    assert code == 2
    assert "would overwrite docs/index.md; nothing was written" in err
    assert [p.name for p in tmp_path.rglob("*")] == ["docs", "index.md"]
    assert (tmp_path / "docs" / "index.md").read_text(encoding="utf-8") == "# Ours\n"


def _build_wheel(folder: Path) -> Path:
    """The wheel of a copy of the sources (a build in the checkout would leave `build/`)."""
    source = folder / "source"
    source.mkdir()
    for name in ("setup.py", "pyproject.toml"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "plugins",
        source / "plugins",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    # Without the `wheel` package in this environment, pip builds in an isolated one (from
    # the package index pip is configured with).
    isolation = [] if importlib.util.find_spec("wheel") is None else ["--no-build-isolation"]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            *isolation,
            "-w",
            str(folder / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return next((folder / "dist").glob("postmortem_kb-*.whl"))


def _venv_with(wheel: Path, folder: Path) -> Path:
    """A fresh venv with the wheel installed; the dependencies are this environment's."""
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # A plain path line: the directory is added, but its own .pth files (the editable install
    # of this checkout) are not run.
    (Path(purelib) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


@pytest.mark.slow
def test_the_wheel_starts_a_knowledge_base_that_builds(tmp_path: Path) -> None:
    venv = _venv_with(_build_wheel(tmp_path), tmp_path)
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}

    def run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            command, cwd=cwd, env=environment, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    python = str(venv / "bin" / "python")
    where = run(python, "-c", "import postmortem_kb; print(postmortem_kb.__file__)", cwd=tmp_path)
    assert where.stdout.startswith(str(venv)), where.stdout
    run(str(venv / "bin" / "pmkb"), "init", "kb", "--name", "Acme", cwd=tmp_path)
    kb = tmp_path / "kb"
    run(str(venv / "bin" / "pmkb"), "check", "--strict", cwd=kb)
    for config in ("mkdocs.yml", "mkdocs.public.yml"):
        run(python, "-m", "mkdocs", "build", "--strict", "-q", "-f", config, cwd=kb)
    assert (kb / "site" / "incidents" / EXAMPLE_ID / "index.html").is_file()
    public_page = kb / "site-public" / "incidents" / EXAMPLE_ID / "index.html"
    assert "Checkout errors on 14 May 2024" in public_page.read_text(encoding="utf-8")
    assert (kb / "site-public" / "about" / "index.html").is_file()
    assert not (kb / "site-public" / "how-we-work").exists()
