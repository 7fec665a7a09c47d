"""Atomic publication: the site is swapped in whole or not at all, a failed build leaves the
last good site in place, a symlinked site is re-pointed (never replaced by a folder), builds
of one site take turns, and leftovers of runs that died are cleaned up."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from postmortem_kb.site.publish import (
    BACKUP_MARK,
    LINK_MARK,
    LOCK_MARK,
    RELEASE_MARK,
    STAGING_MARK,
    PublishError,
    stage,
)

LOCK = f"site{LOCK_MARK}"


@contextmanager
def staged_site(
    site_dir: Path, on_wait: Callable[[Path], None] | None = None
) -> Iterator[Path]:
    """How a caller uses the publish steps: build inside the `with` block into the yielded
    folder; it is published if the block ends normally, discarded if it raises."""
    staging = stage(site_dir, on_wait=on_wait)
    try:
        yield staging.folder
        staging.publish()
    finally:
        staging.discard()


def write_site(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(text, encoding="utf-8")
    return folder


def read_site(site_dir: Path) -> str:
    return (site_dir / "index.html").read_text(encoding="utf-8")


def siblings(site: Path) -> list[str]:
    return sorted(path.name for path in site.parent.iterdir())


def lock_is_free(lock_file: Path) -> bool:
    """Whether another build could take the lock right now (never waits)."""
    descriptor = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


def symlinked_site(tmp_path: Path, *, absolute: bool = False) -> tuple[Path, Path]:
    """`site -> releases/hand-made`, a folder a user made: (the link, its target)."""
    target = write_site(tmp_path / "releases" / "hand-made", "hand made")
    link = tmp_path / "site"
    link.symlink_to(target if absolute else Path("releases") / "hand-made")
    return link, target


def releases_of(link: Path) -> list[Path]:
    return sorted(Path(os.path.realpath(link)).parent.glob(f"{link.name}{RELEASE_MARK}*"))


class TestStaging:
    def test_staging_is_a_fresh_empty_sibling(self, tmp_path: Path) -> None:
        site = tmp_path / "site"
        first = stage(site)
        first.discard()
        second = stage(site)
        assert first.folder != second.folder and not first.folder.exists()
        assert second.folder.parent == tmp_path
        assert second.folder.name.startswith("site" + STAGING_MARK)
        assert list(second.folder.iterdir()) == []

    def test_staging_gets_normal_permissions(self, tmp_path: Path) -> None:
        umask = os.umask(0o022)
        try:
            staging = stage(tmp_path / "site")
        finally:
            os.umask(umask)
        assert staging.folder.stat().st_mode & 0o777 == 0o755

    def test_parent_folder_is_created(self, tmp_path: Path) -> None:
        assert stage(tmp_path / "out" / "site").folder.parent == tmp_path / "out"

    def test_the_lock_is_held_beside_the_site_until_publish(self, tmp_path: Path) -> None:
        site = tmp_path / "site"
        staging = stage(site)
        assert not lock_is_free(tmp_path / LOCK)
        write_site(staging.folder, "new")
        staging.publish()
        assert lock_is_free(tmp_path / LOCK)
        assert not any(LOCK_MARK in path.name for path in site.rglob("*"))

    def test_discard_releases_the_lock(self, tmp_path: Path) -> None:
        staging = stage(tmp_path / "site")
        staging.discard()
        assert lock_is_free(tmp_path / LOCK)


class TestPublish:
    def test_first_publication(self, tmp_path: Path) -> None:
        site = tmp_path / "site"
        with staged_site(site) as folder:
            write_site(folder, "new")
        assert read_site(site) == "new"
        assert siblings(site) == ["site", LOCK]

    def test_swap_replaces_the_old_site_and_leaves_nothing_behind(self, tmp_path: Path) -> None:
        site = write_site(tmp_path / "site", "old")
        (site / "gone.html").write_text("removed page", encoding="utf-8")
        with staged_site(site) as folder:
            write_site(folder, "new")
        assert sorted(p.name for p in site.iterdir()) == ["index.html"]
        assert read_site(site) == "new"
        assert siblings(site) == ["site", LOCK]

    def test_block_that_fails_is_discarded_and_the_old_site_stays(self, tmp_path: Path) -> None:
        site = write_site(tmp_path / "site", "old")
        with pytest.raises(RuntimeError, match="leak found"), staged_site(site) as folder:
            write_site(folder, "half written")
            raise RuntimeError("leak found")
        assert read_site(site) == "old"
        assert siblings(site) == ["site", LOCK]
        assert lock_is_free(tmp_path / LOCK)

    def test_a_full_disk_keeps_the_old_site_with_a_clear_error(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        site = write_site(tmp_path / "site", "old")
        staging = stage(site)
        write_site(staging.folder, "new")
        real_replace = os.replace

        def replace(source: str | Path, target: str | Path) -> None:
            if Path(source) == staging.folder:
                raise OSError(errno.ENOSPC, "No space left on device")
            real_replace(source, target)

        monkeypatch.setattr(os, "replace", replace)
        with pytest.raises(PublishError) as failure:
            staging.publish()
        assert str(failure.value) == (
            f"cannot publish the new site as {site}: No space left on device; free disk space "
            f"for {tmp_path} and build again (the previous site is still in place)"
        )
        assert read_site(site) == "old"
        assert siblings(site) == ["site", LOCK]
        assert lock_is_free(tmp_path / LOCK)

    def test_a_staging_folder_that_vanished_is_a_clear_error(self, tmp_path: Path) -> None:
        site = write_site(tmp_path / "site", "old")
        staging = stage(site)
        shutil.rmtree(staging.folder)
        with pytest.raises(PublishError, match=f"cannot publish the new site as {site}: .*"
                                               "vanished during the build: build again"):
            staging.publish()
        assert read_site(site) == "old"
        assert siblings(site) == ["site", LOCK]

    def test_a_build_is_published_once(self, tmp_path: Path) -> None:
        site = tmp_path / "site"
        staging = stage(site)
        write_site(staging.folder, "new")
        staging.publish()
        staging.discard()  # on_build_error after a publish: the published site stays
        assert read_site(site) == "new"
        with pytest.raises(PublishError, match="already published or discarded"):
            staging.publish()
        assert read_site(site) == "new"


class TestSymlinkedSite:
    def test_the_link_is_re_pointed_and_a_hand_made_target_kept(self, tmp_path: Path) -> None:
        link, hand_made = symlinked_site(tmp_path)
        with staged_site(link) as folder:
            assert folder.parent == hand_made.parent  # beside the target: a rename, no copy
            write_site(folder, "new")
        assert link.is_symlink() and read_site(link) == "new"
        [release] = releases_of(link)
        assert os.readlink(link) == os.path.join("releases", release.name)  # still relative
        assert read_site(hand_made) == "hand made"
        assert siblings(hand_made) == sorted(["hand-made", LOCK, release.name])
        assert siblings(link) == ["releases", "site"]

    def test_the_previous_release_is_removed(self, tmp_path: Path) -> None:
        link, hand_made = symlinked_site(tmp_path, absolute=True)
        with staged_site(link) as folder:
            write_site(folder, "first")
        [first] = releases_of(link)
        with staged_site(link) as folder:
            write_site(folder, "second")
        [second] = releases_of(link)
        assert second != first and not first.exists()
        assert os.readlink(link) == str(second)  # still absolute
        assert read_site(link) == "second" and read_site(hand_made) == "hand made"

    def test_a_failed_build_leaves_the_link_alone(self, tmp_path: Path) -> None:
        link, hand_made = symlinked_site(tmp_path)
        with pytest.raises(RuntimeError, match="leak found"), staged_site(link) as folder:
            write_site(folder, "half written")
            raise RuntimeError("leak found")
        assert os.readlink(link) == os.path.join("releases", "hand-made")
        assert siblings(hand_made) == ["hand-made", LOCK]

    def test_a_failed_link_swap_keeps_the_old_target_with_a_clear_error(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        link, hand_made = symlinked_site(tmp_path)
        staging = stage(link)
        write_site(staging.folder, "new")
        real_replace = os.replace

        def replace(source: str | Path, target: str | Path) -> None:
            if Path(target) == link:
                raise PermissionError(errno.EACCES, "Permission denied")
            real_replace(source, target)

        monkeypatch.setattr(os, "replace", replace)
        with pytest.raises(PublishError) as failure:
            staging.publish()
        assert str(failure.value) == (
            f"cannot re-point the link {link}: Permission denied; make {tmp_path} writable for "
            "this user, or build to another site_dir (it still points at the previous site)"
        )
        assert read_site(link) == "hand made"
        assert siblings(link) == ["releases", "site"]
        assert siblings(hand_made) == ["hand-made", LOCK]

    def test_a_dangling_link_is_re_pointed(self, tmp_path: Path) -> None:
        (tmp_path / "releases").mkdir()
        link = tmp_path / "site"
        link.symlink_to(Path("releases") / "deleted-by-someone")
        with staged_site(link) as folder:
            write_site(folder, "new")
        [release] = releases_of(link)
        assert link.is_symlink() and read_site(link) == "new"
        assert os.readlink(link) == os.path.join("releases", release.name)

    def test_a_dangling_link_into_a_missing_folder_is_a_clear_error(
        self, tmp_path: Path
    ) -> None:
        link = tmp_path / "site"
        link.symlink_to(tmp_path / "gone" / "site")
        with pytest.raises(PublishError) as failure:
            stage(link)
        assert str(failure.value) == (
            f"cannot build into {link}: it is a symlink to {tmp_path / 'gone' / 'site'}, and "
            f"{tmp_path / 'gone'} does not exist; create that folder or re-point the link"
        )
        assert siblings(link) == ["site"] and not (tmp_path / "gone").exists()


class TestConcurrentBuilds:
    def test_a_second_build_waits_for_the_first_and_both_publish(self, tmp_path: Path) -> None:
        site = write_site(tmp_path / "site", "old")
        first = stage(site)
        waiting = threading.Event()
        errors: list[BaseException] = []

        def second_build() -> None:
            try:
                with staged_site(site, on_wait=lambda _lock: waiting.set()) as folder:
                    write_site(folder, "second")
            except BaseException as error:
                errors.append(error)

        second = threading.Thread(target=second_build)
        second.start()
        # A timeout only so a missing lock fails instead of hanging: the first build holds
        # the lock, so the second must report that it waits, and is still waiting.
        assert waiting.wait(timeout=30), "the second build did not wait for the lock"
        assert second.is_alive() and read_site(site) == "old"
        write_site(first.folder, "first")
        first.publish()
        second.join(timeout=30)
        assert not second.is_alive() and errors == []
        assert read_site(site) == "second"
        assert siblings(site) == ["site", LOCK]

    @pytest.mark.parametrize("symlinked", [False, True], ids=["folder", "symlink"])
    def test_builds_in_several_processes_all_publish_and_leave_nothing_behind(
        self, tmp_path: Path, symlinked: bool
    ) -> None:
        if symlinked:
            site, hand_made = symlinked_site(tmp_path)
        else:
            site = write_site(tmp_path / "site", "old")
        rounds = 15
        worker = (
            "import sys\n"
            "from pathlib import Path\n"
            "from postmortem_kb.site.publish import stage\n"
            "site, name, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])\n"
            "for number in range(rounds):\n"
            "    staging = stage(site)\n"
            "    (staging.folder / 'index.html').write_text(f'{name} {number}')\n"
            "    staging.publish()\n"
        )
        builds = [
            subprocess.Popen(
                [sys.executable, "-c", worker, str(site), f"build-{number}", str(rounds)],
                stderr=subprocess.PIPE, text=True,
            )
            for number in range(4)
        ]
        outcomes = []
        for build in builds:
            _, errors = build.communicate(timeout=120)
            outcomes.append((build.returncode, errors))
        assert outcomes == [(0, "")] * 4
        # Every build's last round is its last publication, so the site is one of those.
        assert read_site(site) in {f"build-{number} {rounds - 1}" for number in range(4)}
        if symlinked:
            assert siblings(hand_made) == sorted(["hand-made", LOCK, releases_of(site)[0].name])
            assert siblings(site) == ["releases", "site"]
        else:
            assert siblings(site) == ["site", LOCK]


class TestLeftovers:
    def test_a_killed_run_s_leftovers_are_removed_by_the_next_build(self, tmp_path: Path) -> None:
        site = write_site(tmp_path / "site", "current")
        killed = write_site(tmp_path / f"site{STAGING_MARK}killed", "half written")
        write_site(tmp_path / f"site{BACKUP_MARK}killed", "older")
        (tmp_path / f"site{LINK_MARK}killed").symlink_to(killed)
        other_site = write_site(tmp_path / f"other{STAGING_MARK}running", "x")
        staging = stage(site)
        assert siblings(site) == sorted(["site", LOCK, staging.folder.name, other_site.name])
        assert read_site(site) == "current"
        write_site(staging.folder, "new")
        staging.publish()
        assert read_site(site) == "new"

    def test_a_killed_run_beside_a_link_s_target_is_cleaned_up(self, tmp_path: Path) -> None:
        link, hand_made = symlinked_site(tmp_path)
        killed = write_site(hand_made.parent / f"site{STAGING_MARK}killed", "half written")
        (tmp_path / f"site{LINK_MARK}killed").symlink_to(killed)
        with staged_site(link) as folder:
            write_site(folder, "new")
        assert not killed.exists()
        assert siblings(link) == ["releases", "site"]
        assert read_site(hand_made) == "hand made"

    def test_a_site_lost_mid_swap_is_restored_from_the_newest_backup(self, tmp_path: Path) -> None:
        site = tmp_path / "site"
        older = write_site(tmp_path / f"site{BACKUP_MARK}a", "older")
        write_site(tmp_path / f"site{BACKUP_MARK}b", "newer")
        os.utime(older, (1_000_000_000, 1_000_000_000))
        stage(site).discard()
        assert read_site(site) == "newer"
        assert siblings(site) == ["site", LOCK]


class TestErrors:
    def test_a_lock_file_that_cannot_be_made_is_one_clear_line(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        real_open = os.open

        def refuse(path: str | Path, flags: int, mode: int = 0o777) -> int:
            if str(path).endswith(LOCK_MARK):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(path, flags, mode)

        monkeypatch.setattr(os, "open", refuse)
        with pytest.raises(PublishError) as failure:
            stage(tmp_path / "site")
        assert str(failure.value) == (
            f"cannot create the lock file {tmp_path / LOCK}: Permission denied; make "
            f"{tmp_path} writable for this user, or build to another site_dir"
        )
