"""Atomic publication: the site is swapped in whole or not at all, a failed build leaves the
last good site in place, and leftovers of runs that died are cleaned up."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from postmortem_kb.site import publish as publication
from postmortem_kb.site.publish import (
    BACKUP_MARK,
    STAGING_MARK,
    discard,
    publish,
    remove_stale,
    staging_dir_for,
)


@contextmanager
def staged_site(site_dir: Path) -> Iterator[Path]:
    """How a caller uses the publish steps: build inside the `with` block into the yielded
    folder; it is published if the block ends normally, discarded if it raises."""
    staging = staging_dir_for(site_dir)
    try:
        yield staging
        publish(staging, site_dir)
    finally:
        if staging.exists():
            discard(staging)


def write_site(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(text, encoding="utf-8")
    return folder


def siblings(site: Path) -> list[str]:
    return sorted(path.name for path in site.parent.iterdir())


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


class TestStaging:
    def test_staging_is_a_fresh_empty_sibling(self, tmp_path: Path) -> None:
        site = tmp_path / "site"
        first, second = staging_dir_for(site), staging_dir_for(site)
        assert first != second
        assert first.parent == second.parent == tmp_path
        assert first.name.startswith("site" + STAGING_MARK) and list(first.iterdir()) == []

    def test_staging_gets_normal_permissions(self, tmp_path: Path) -> None:
        umask = os.umask(0o022)
        try:
            staging = staging_dir_for(tmp_path / "site")
        finally:
            os.umask(umask)
        assert staging.stat().st_mode & 0o777 == 0o755

    def test_parent_folder_is_created(self, tmp_path: Path) -> None:
        assert staging_dir_for(tmp_path / "out" / "site").parent == tmp_path / "out"


class TestPublish:
    def test_first_publication(self, tmp_path: Path) -> None:
        site = tmp_path / "site"
        staging = write_site(staging_dir_for(site), "new")
        publish(staging, site)
        assert (site / "index.html").read_text(encoding="utf-8") == "new"
        assert siblings(site) == ["site"]

    def test_swap_replaces_the_old_site_and_leaves_nothing_behind(self, tmp_path: Path) -> None:
        site = write_site(tmp_path / "site", "old")
        (site / "gone.html").write_text("removed page", encoding="utf-8")
        staging = write_site(staging_dir_for(site), "new")
        publish(staging, site)
        assert sorted(p.name for p in site.iterdir()) == ["index.html"]
        assert (site / "index.html").read_text(encoding="utf-8") == "new"
        assert siblings(site) == ["site"]

    def test_failed_swap_restores_the_old_site(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        site = write_site(tmp_path / "site", "old")
        staging = write_site(staging_dir_for(site), "new")
        real_replace = os.replace

        def replace(source: Path, target: Path) -> None:
            if Path(source) == staging:
                raise OSError("disk full")
            real_replace(source, target)

        monkeypatch.setattr(publication.os, "replace", replace)
        with pytest.raises(OSError, match="disk full"):
            publish(staging, site)
        assert (site / "index.html").read_text(encoding="utf-8") == "old"
        assert not any(BACKUP_MARK in name for name in siblings(site))

    def test_only_staging_folders_are_published_or_discarded(self, tmp_path: Path) -> None:
        other = write_site(tmp_path / "precious", "keep")
        with pytest.raises(ValueError, match="not a staging folder"):
            publish(other, tmp_path / "site")
        with pytest.raises(ValueError, match="not a staging folder"):
            discard(other)
        assert (other / "index.html").exists()

    def test_missing_staging_is_an_error_and_the_site_stays(self, tmp_path: Path) -> None:
        site = write_site(tmp_path / "site", "old")
        staging = staging_dir_for(site)
        discard(staging)
        with pytest.raises(FileNotFoundError):
            publish(staging, site)
        assert (site / "index.html").read_text(encoding="utf-8") == "old"


class TestStagedSite:
    def test_block_that_finishes_is_published(self, tmp_path: Path) -> None:
        site = write_site(tmp_path / "site", "old")
        with staged_site(site) as staging:
            write_site(staging, "new")
        assert (site / "index.html").read_text(encoding="utf-8") == "new"
        assert siblings(site) == ["site"]

    def test_block_that_fails_is_discarded_and_the_old_site_stays(self, tmp_path: Path) -> None:
        site = write_site(tmp_path / "site", "old")
        with pytest.raises(RuntimeError, match="leak found"), staged_site(site) as staging:
            write_site(staging, "half written")
            raise RuntimeError("leak found")
        assert (site / "index.html").read_text(encoding="utf-8") == "old"
        assert siblings(site) == ["site"]


class TestLeftovers:
    def test_old_staging_and_backups_are_removed_young_ones_kept(self, tmp_path: Path) -> None:
        site = write_site(tmp_path / "site", "current")
        old_staging = write_site(tmp_path / f"site{STAGING_MARK}old", "x")
        young_staging = write_site(tmp_path / f"site{STAGING_MARK}young", "x")
        old_backup = write_site(tmp_path / f"site{BACKUP_MARK}old", "x")
        other_site = write_site(tmp_path / f"other{STAGING_MARK}old", "x")
        for path in (old_staging, old_backup, other_site):
            age(path, 2 * 3600)
        staging_dir_for(site)
        names = siblings(site)
        assert young_staging.name in names and other_site.name in names
        assert old_staging.name not in names and old_backup.name not in names
        assert (site / "index.html").read_text(encoding="utf-8") == "current"

    def test_a_site_lost_mid_swap_is_restored_from_the_newest_backup(self, tmp_path: Path) -> None:
        site = tmp_path / "site"
        older = write_site(tmp_path / f"site{BACKUP_MARK}a", "older")
        newer = write_site(tmp_path / f"site{BACKUP_MARK}b", "newer")
        age(older, 2 * 3600)
        age(newer, 60)
        remove_stale(site)
        assert (site / "index.html").read_text(encoding="utf-8") == "newer"
        assert siblings(site) == ["site"]
