"""Atomic publication, end to end: `pmkb build` and `mkdocs build -f mkdocs.public.yml` build
into a fresh folder and swap it into place only when the build and the leak guard pass.

A failed build — a leak, or a strict build with a broken file — leaves the previously
published site byte for byte where it was, with no staging folder or backup beside it. A
passing build replaces the site whole: a page removed from the sources is gone from it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from postmortem_kb.cli.main import main
from postmortem_kb.site.publish import LOCK_MARK, RELEASE_MARK, STAGING_MARK
from site_builder import copy_kb
from test_redaction_build import LEAKY_KB, PLANTED, SiteSnapshot, build_leftovers

EXTRA_PAGE = "Extra page\n\nA page that is removed from the sources later.\n"
#: Hand-written pages are internal unless they say otherwise; this one is on both sites.
BOTH_AUDIENCES = "---\naudience: both\n---\n\n"
BROKEN_POSTMORTEM = "---\ntitle: [\n---\n"


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the leak fixture with one extra page, as the current directory."""
    root = copy_kb(LEAKY_KB, tmp_path / "kb")
    (root / "docs" / "extra.md").write_text(f"{BOTH_AUDIENCES}# {EXTRA_PAGE}", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def plant_leak(root: Path) -> Path:
    """A stray file carrying a private value (the public incident's internal service), linked
    from `docs/extra.md` (a file no public page links to never reaches the public site)."""
    stray = root / "docs" / "notes.txt"
    stray.write_text(f"Escalations go to {PLANTED}.\n", encoding="utf-8")
    extra = root / "docs" / "extra.md"
    extra.write_text(f"{extra.read_text(encoding='utf-8')}\n[Notes](notes.txt)\n", "utf-8")
    return stray


def plant_broken_postmortem(root: Path) -> Path:
    broken = root / "postmortems" / "broken.md"
    broken.write_text(BROKEN_POSTMORTEM, encoding="utf-8")
    return broken


def assert_published_afresh(site_dir: Path) -> None:
    """A passing build after removing `docs/extra.md`: the page is gone, the rest is there."""
    assert (site_dir / "index.html").is_file()
    assert not (site_dir / "extra").exists()
    assert build_leftovers(site_dir.parent) == []


class TestPmkbBuild:
    def test_a_leak_keeps_the_previous_site_and_a_pass_replaces_it(
        self, kb: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        site_dir = kb / "site-public"
        assert main(["build", "--audience", "public"]) == 0
        assert (site_dir / "extra" / "index.html").is_file()
        before = SiteSnapshot.of(site_dir)

        stray = plant_leak(kb)
        assert main(["build", "--audience", "public"]) == 1
        assert "pmkb: public build failed" in capsys.readouterr().err
        before.assert_untouched()
        reports = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert any("notes.txt: private field services of " in message
                   for message in reports), reports
        assert PLANTED.lower() not in "\n".join(reports).lower()

        stray.unlink()
        (kb / "docs" / "extra.md").unlink()
        assert main(["build", "--audience", "public"]) == 0
        assert_published_afresh(site_dir)

    def test_a_strict_build_with_a_broken_file_keeps_the_previous_site(
        self, kb: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["build", "--audience", "public", "--strict"]) == 0
        before = SiteSnapshot.of(kb / "site-public")
        plant_broken_postmortem(kb)
        assert main(["build", "--audience", "public", "--strict"]) == 1
        assert "pmkb: public build failed" in capsys.readouterr().err
        before.assert_untouched()

    def test_both_audiences_are_built_and_each_replaced(self, kb: Path) -> None:
        assert main(["build", "--audience", "both", "--strict"]) == 0
        for site_dir in (kb / "site", kb / "site-public"):
            assert (site_dir / "extra" / "index.html").is_file()
        assert (kb / "site" / "incidents" / "privmark-draftid" / "index.html").is_file()
        assert not (kb / "site-public" / "incidents" / "privmark-draftid").exists()

        (kb / "docs" / "extra.md").unlink()
        assert main(["build", "--audience", "both", "--strict"]) == 0
        assert_published_afresh(kb / "site")
        assert_published_afresh(kb / "site-public")


def mkdocs_build(kb: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`mkdocs build -f mkdocs.public.yml` as a user runs it, in the knowledge base folder."""
    command = [sys.executable, "-m", "mkdocs", "build", "-f", "mkdocs.public.yml", *options]
    return subprocess.run(command, cwd=kb, capture_output=True, text=True, timeout=120)


def test_mkdocs_build_publishes_only_a_site_that_passed(kb: Path) -> None:
    site_dir = kb / "site-public"
    first = mkdocs_build(kb, "--strict")
    assert first.returncode == 0, first.stderr
    assert (site_dir / "extra" / "index.html").is_file()
    before = SiteSnapshot.of(site_dir)

    stray = plant_leak(kb)
    leaked = mkdocs_build(kb)
    assert leaked.returncode != 0
    assert "notes.txt: private field services of " in leaked.stderr
    assert PLANTED.lower() not in (leaked.stdout + leaked.stderr).lower()
    before.assert_untouched()
    stray.unlink()

    broken = plant_broken_postmortem(kb)
    strict = mkdocs_build(kb, "--strict")
    assert strict.returncode != 0
    assert "postmortems/broken.md" in strict.stderr
    before.assert_untouched()
    broken.unlink()

    (kb / "docs" / "extra.md").unlink()
    passed = mkdocs_build(kb, "--strict")
    assert passed.returncode == 0, passed.stderr
    assert_published_afresh(site_dir)


class TestSymlinkedSite:
    """`site-public -> releases/…`, how a web server is pointed at a build."""

    def test_the_link_is_re_pointed_and_a_hand_made_target_kept(self, kb: Path) -> None:
        link, releases = kb / "site-public", kb / "releases"
        hand_made = releases / "site-public-2024"
        hand_made.mkdir(parents=True)
        (hand_made / "index.html").write_text("hand made", encoding="utf-8")
        link.symlink_to(Path("releases") / hand_made.name)
        killed = releases / f"site-public{STAGING_MARK}killed"  # a killed build's leftover
        killed.mkdir()
        (killed / "index.html").write_text("half written", encoding="utf-8")

        assert main(["build", "--audience", "public", "--strict"]) == 0
        first = Path(os.path.realpath(link))
        assert link.is_symlink() and first.parent == releases.resolve()
        assert first.name.startswith(f"site-public{RELEASE_MARK}")
        assert (link / "extra" / "index.html").is_file()
        assert (hand_made / "index.html").read_text(encoding="utf-8") == "hand made"
        assert not killed.exists()

        (kb / "docs" / "extra.md").unlink()
        assert main(["build", "--audience", "public", "--strict"]) == 0
        second = Path(os.path.realpath(link))
        assert second != first and not first.exists()
        assert (link / "index.html").is_file() and not (link / "extra").exists()
        assert sorted(path.name for path in releases.iterdir()) == sorted(
            [hand_made.name, second.name, f"site-public{LOCK_MARK}"])

    def test_a_link_into_a_missing_folder_fails_in_one_clear_line(
        self, kb: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        link = kb / "site-public"
        link.symlink_to(kb / "gone" / "site")
        assert main(["build", "--audience", "public"]) == 1
        err = capsys.readouterr().err
        assert "pmkb: public build failed" in err and "Traceback" not in err
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert f"cannot build into {link}: it is a symlink to {kb / 'gone' / 'site'}, and " \
               f"{kb / 'gone'} does not exist; create that folder or re-point the link" in errors
        assert not (kb / "gone").exists()
