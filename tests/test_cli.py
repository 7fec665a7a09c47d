"""`pmkb new`, `pmkb check` and `pmkb build` on a copy of a knowledge base."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from postmortem_kb.cli.main import main
from postmortem_kb.core.knowledge_base import load_knowledge_base
from postmortem_kb.core.settings import Settings
from site_builder import REPO_ROOT, copy_kb
from test_loading import front


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example knowledge base, as the current directory."""
    root = copy_kb(REPO_ROOT, tmp_path / "kb")
    monkeypatch.chdir(root)
    return root


def test_new_writes_a_valid_file_from_the_template(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["new", "Checkout: 502s after deploy!", "--severity", "sev2",
                 "--service", "checkout", "--tag", "Deployment", "--date", "2026-11-20"])
    assert code == 0
    path = kb / "postmortems" / "2026-11-20-checkout-502s-after-deploy.md"
    assert f"Created {path.relative_to(kb)}" in capsys.readouterr().out or path.exists()
    loaded = load_knowledge_base(Settings(source_dir=kb / "postmortems"))
    incident = loaded.by_id()["2026-11-20-checkout-502s-after-deploy"]
    assert (incident.title, incident.severity, incident.services, incident.tags) == (
        "Checkout: 502s after deploy!", "SEV-2", ("checkout",), ("deployment",))
    assert incident.date == dt.date(2026, 11, 20) and incident.status == "draft"
    assert not [p for p in loaded.problems.items if "2026-11-20" in p.file]


def test_new_refuses_to_overwrite(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["new", "Same title", "--date", "2026-11-20"]
    assert main(args) == 0
    path = kb / "postmortems" / "2026-11-20-same-title.md"
    path.write_text("edited", encoding="utf-8")
    assert main(args) == 1
    assert "already exists" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "edited"


def test_new_rejects_an_unknown_severity(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "X", "--severity", "SEV-7"]) == 1
    assert "--severity: 'SEV-7' is not on the scale" in capsys.readouterr().err


def test_check_passes_on_the_example_kb(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--strict"]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().out


def test_check_names_file_line_and_field_and_fails(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (kb / "postmortems" / "broken.md").write_text(front("severity: SEV-1\n"), encoding="utf-8")
    (kb / "postmortems" / "warned.md").write_text(front("tags: [capcity]\n"), encoding="utf-8")
    assert main(["check"]) == 1
    captured = capsys.readouterr()
    assert "error: postmortems/broken.md:5: severity: duplicate key" in captured.err
    assert "Not published because of errors: postmortems/broken.md" in captured.out


def test_check_strict_fails_on_warnings_only(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (kb / "postmortems" / "warned.md").write_text(front("tags: [capcity]\n"), encoding="utf-8")
    assert main(["check"]) == 0
    assert main(["check", "--strict"]) == 1
    assert "did you mean `capacity`" in capsys.readouterr().err


def test_build_both_publishes_two_sites(kb: Path) -> None:
    assert main(["build", "--audience", "both", "--strict"]) == 0
    assert (kb / "site" / "incidents" / "2017-01-31-dashboard-data-loss" / "index.html").exists()
    public = kb / "site-public" / "incidents"
    assert (public / "2017-01-31-dashboard-data-loss" / "index.html").exists()
    assert not (public / "2025-10-07-duplicate-push-notifications").exists()  # a draft


def test_plain_build_warns_and_publishes_valid_incidents(kb: Path) -> None:
    (kb / "postmortems" / "broken.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    assert main(["build", "--strict"]) == 1
    assert not (kb / "site").exists()  # strict failure published nothing
    assert main(["build"]) == 0
    assert (kb / "site" / "incidents" / "2017-01-31-dashboard-data-loss" / "index.html").exists()
    assert not (kb / "site" / "incidents" / "broken").exists()
