"""Atomic publication: a failed build never leaves a half-written site where the last good one was.

`stage(site_dir)` claims the site for one build and makes a fresh staging folder to build
into; the build then ends the claim with `Staging.publish()` (it passed) or
`Staging.discard()` (it failed: the published site is never touched).

Two ways to put a build in place, chosen by what `site_dir` is:

* A folder (or nothing yet): the staging folder is made beside it, and `publish` renames the
  current site to a backup beside it, renames the staging folder to the site, and deletes the
  backup. Renames within one folder are atomic, so the site is always the old one or the new
  one (for a moment between the two renames there is none). If the second rename fails, the
  backup is renamed back.
* A symlink (`site -> releases/site-2024…`, how a web server is often pointed at a build):
  renaming a folder over the link would replace the link, and the server would go on serving
  the old target. So the build goes beside the link's resolved target instead (one file
  system, so a rename), `publish` renames it to `<link name>.pmkb-release-<random>` and swaps
  the link: a new symlink to it is made beside the link and `os.replace`d over it, one atomic
  step after which the link serves the new site. A relative link stays relative. The previous
  target is deleted if it is one of our releases (its name says so); a folder a user made is
  never deleted, only no longer linked. A dangling link is re-pointed the same way, as long as
  the folder its target would be in exists.

Builds of one site are serialised by an exclusive `flock` on `<site name>.pmkb-lock` in the
folder the build works in (beside the site, or beside the link's target): held from `stage`
until `publish` or `discard`, so a second build waits for the first rather than racing its
renames. The lock file sits beside the site, never in it, and is left there: deleting it
would let a waiting build and a new one each lock a different file.

The lock is also what makes clean-up safe. A killed run leaves folders behind (staging
folders, a backup, a temporary link); whoever holds the lock knows no other build of the site
is running, so `stage` deletes them all, after renaming a backup back into place if the site
is missing (the run died between its two renames). A run killed between naming its release
and swapping the link leaves that release unlinked; it is never deleted automatically, as
another link of the same name may serve it.

Any failure to prepare or publish is a `PublishError`: one line naming the path and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

#: Marks a staging folder: `<site>.pmkb-staging-<random>`.
STAGING_MARK = ".pmkb-staging-"
#: Marks the previous site while it is being replaced: `<site>.pmkb-old-<random>`.
BACKUP_MARK = ".pmkb-old-"
#: Marks a published build a symlinked site points at: `<link>.pmkb-release-<random>`.
RELEASE_MARK = ".pmkb-release-"
#: Marks the new symlink while it replaces the old one: `<link>.pmkb-link-<random>`.
LINK_MARK = ".pmkb-link-"
#: The lock file of a site's builds: `<site>.pmkb-lock`.
LOCK_MARK = ".pmkb-lock"


class PublishError(Exception):
    """A site could not be prepared or published; the message says where and what to do."""


class Staging:
    """One build's claim on a site, made by `stage`: the site's lock is held, the build writes
    into `folder`, and `publish` or `discard` ends the claim (a second call does nothing)."""

    def __init__(self, site_dir: Path, folder: Path, via_link: bool, lock: int) -> None:
        self.site_dir = site_dir
        self.folder = folder
        self.via_link = via_link
        self._lock: int | None = lock

    def publish(self) -> None:
        """Put the finished staging folder in place of the site and release the lock. On
        failure the build is thrown away and `PublishError` says whether the site is intact."""
        lock = self._end()
        if lock is None:
            raise PublishError(f"cannot publish {self.folder}: it was already published or "
                               "discarded; start a new build")
        try:
            if self.via_link:
                self._swap_link()
            else:
                self._swap_folder()
        except BaseException:
            _remove(self.folder)
            raise
        finally:
            _release(lock)

    def discard(self) -> None:
        """Throw the staging folder away (a failed build) and release the lock."""
        lock = self._end()
        if lock is not None:
            _remove(self.folder)
            _release(lock)

    def _end(self) -> int | None:
        lock, self._lock = self._lock, None
        return lock

    def _swap_folder(self) -> None:
        site_dir = self.site_dir
        backup = None
        if _present(site_dir):
            backup = site_dir.with_name(f"{site_dir.name}{BACKUP_MARK}{secrets.token_hex(6)}")
            try:
                os.replace(site_dir, backup)
            except OSError as error:
                raise _failure("move aside the published site", site_dir, error,
                               "the previous site is still in place") from None
        try:
            os.replace(self.folder, site_dir)
        except OSError as error:
            if backup is not None:
                _restore(backup, site_dir)
            raise _failure("publish the new site as", site_dir, error,
                           "the previous site is still in place") from None
        if backup is not None:
            _remove(backup)

    def _swap_link(self) -> None:
        link = self.site_dir
        release = self.folder.with_name(f"{link.name}{RELEASE_MARK}{secrets.token_hex(6)}")
        temporary = link.with_name(f"{link.name}{LINK_MARK}{secrets.token_hex(6)}")
        try:
            os.replace(self.folder, release)
            previous = Path(os.path.realpath(link))
            os.symlink(_link_text(link, release), temporary)
            os.replace(temporary, link)
        except OSError as error:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            _remove(release)
            raise _failure("re-point the link", link, error,
                           "it still points at the previous site") from None
        if _is_release(previous, link):
            _remove(previous)  # a folder a user made is only unlinked, never deleted


def stage(site_dir: Path, *, on_wait: Callable[[Path], None] | None = None) -> Staging:
    """Claim `site_dir` for a build: wait for its lock (calling `on_wait` with the lock file
    first if another build holds it), clean up after killed runs, make a staging folder."""
    site_dir = Path(os.path.abspath(site_dir))
    home, via_link, lock = _claim(site_dir, on_wait)
    try:
        _clean_leftovers(site_dir, home)
        folder = home / f"{site_dir.name}{STAGING_MARK}{secrets.token_hex(6)}"
        try:
            # mkdir, not tempfile.mkdtemp: the site must get the umask's permissions, not 0700.
            folder.mkdir()
        except OSError as error:
            raise _failure("create the staging folder", folder, error) from None
    except BaseException:
        _release(lock)
        raise
    return Staging(site_dir, folder, via_link, lock)


def _claim(site_dir: Path, on_wait: Callable[[Path], None] | None) -> tuple[Path, bool, int]:
    """Lock the folder a build of `site_dir` works in: (that folder, via a link?, the lock)."""
    while True:
        home, via_link = _home(site_dir)
        lock_file = home / f"{site_dir.name}{LOCK_MARK}"
        try:
            home.mkdir(parents=True, exist_ok=True)
            lock = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise _failure("create the lock file", lock_file, error) from None
        try:
            _wait_for(lock, lock_file, on_wait)
            if _home(site_dir) == (home, via_link):
                return home, via_link, lock
        except BaseException:
            os.close(lock)
            raise
        _release(lock)  # the link was re-pointed elsewhere while we waited: lock the new place


def _wait_for(lock: int, lock_file: Path, on_wait: Callable[[Path], None] | None) -> None:
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(lock_file)
            fcntl.flock(lock, fcntl.LOCK_EX)
    except OSError as error:
        raise _failure("lock", lock_file, error) from None


def _home(site_dir: Path) -> tuple[Path, bool]:
    """The folder a build of `site_dir` works in, and whether `site_dir` is a symlink."""
    if not site_dir.is_symlink():
        return site_dir.parent, False
    target = Path(os.path.realpath(site_dir))
    if not target.parent.is_dir():
        raise PublishError(f"cannot build into {site_dir}: it is a symlink to {target}, and "
                           f"{target.parent} does not exist; create that folder or re-point "
                           "the link")
    return target.parent, True


def _clean_leftovers(site_dir: Path, home: Path) -> None:
    """Under the lock: restore a site lost mid-swap, delete everything killed runs left."""
    prefix = glob.escape(site_dir.name)
    backups = sorted(home.glob(f"{prefix}{BACKUP_MARK}*"), key=_modified, reverse=True)
    if backups and not _present(site_dir):
        _restore(backups.pop(0), site_dir)  # the newest backup is the last good site
    for leftover in [*backups, *home.glob(f"{prefix}{STAGING_MARK}*")]:
        _remove(leftover)
    for link in site_dir.parent.glob(f"{prefix}{LINK_MARK}*"):
        if link.is_symlink():
            link.unlink(missing_ok=True)


def _restore(backup: Path, site_dir: Path) -> None:
    try:
        os.replace(backup, site_dir)
    except OSError as error:
        raise _failure("restore the last good site as", site_dir, error,
                       f"it is kept as {backup}, which the next build puts back") from None


def _is_release(folder: Path, link: Path) -> bool:
    """Whether `folder` is a release this module made for `link` (its name says so)."""
    return (folder.name.startswith(f"{link.name}{RELEASE_MARK}") and folder.is_dir()
            and not folder.is_symlink())


def _link_text(link: Path, folder: Path) -> str:
    """What `link` must hold to point at `folder`: relative if it was, so a moved tree works."""
    if os.path.isabs(os.readlink(link)):
        return str(folder)
    return os.path.relpath(folder, os.path.realpath(link.parent))


def _failure(action: str, path: Path, error: OSError, outcome: str = "") -> PublishError:
    """One line: what failed on which path, why, what to do, and where that leaves the site."""
    if error.errno in (errno.EACCES, errno.EPERM):
        remedy = f"make {path.parent} writable for this user, or build to another site_dir"
    elif error.errno == errno.EROFS:
        remedy = f"{path.parent} is read-only: build to another site_dir"
    elif error.errno in (errno.ENOSPC, errno.EDQUOT):
        remedy = f"free disk space for {path.parent} and build again"
    elif error.errno == errno.ENOENT:
        remedy = "a file or folder vanished during the build: build again"
    else:
        remedy = "fix the cause and build again"
    reason = error.strerror or str(error)
    return PublishError(f"cannot {action} {path}: {reason}; {remedy}"
                        + (f" ({outcome})" if outcome else ""))


def _release(lock: int) -> None:
    # Unlock explicitly: a copy of the descriptor in a child process must not keep it locked.
    fcntl.flock(lock, fcntl.LOCK_UN)
    os.close(lock)


def _present(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _modified(path: Path) -> float:
    return path.lstat().st_mtime


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
