"""Atomic publication: a failed build never leaves a half-written site where the last good one was.

A build writes into a fresh staging folder next to the site (`staging_dir_for`). Only when
the build and the leak guard have passed does `publish` swap it into place: the current site
is renamed to a backup next to it, the staging folder is renamed to the site, the backup is
deleted. Renames within one folder are atomic, so the site is always either the old one or the
new one (for a moment between the two renames there is none). If the second rename fails, the
backup is renamed back. A failed build calls `discard` and the site is never touched.

Runs that died half-way leave folders behind; the next `staging_dir_for` cleans them up: a
backup is renamed back into place if the site is missing (the run died between the renames),
and staging folders and backups older than `STALE_AFTER` are deleted. Younger ones may belong
to a build still running, so they stay.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import time
from pathlib import Path

#: Marks a staging folder: `<site>.pmkb-staging-<random>`.
STAGING_MARK = ".pmkb-staging-"
#: Marks the previous site while it is being replaced: `<site>.pmkb-old-<random>`.
BACKUP_MARK = ".pmkb-old-"
#: Leftovers older than this belong to no running build.
STALE_AFTER = dt.timedelta(hours=1)


def staging_dir_for(site_dir: Path) -> Path:
    """A new, empty folder next to `site_dir` to build into (leftovers cleaned up first)."""
    site_dir = Path(os.path.abspath(site_dir))
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(site_dir)
    while True:
        # os.mkdir, not tempfile.mkdtemp: the site must get the umask's permissions, not 0700.
        staging = site_dir.with_name(f"{site_dir.name}{STAGING_MARK}{secrets.token_hex(6)}")
        try:
            staging.mkdir()
        except FileExistsError:
            continue
        return staging


def publish(staging: Path, site_dir: Path) -> None:
    """Swap the finished staging folder into place as `site_dir`; on failure keep the old site."""
    _require_staging(staging)
    if not staging.is_dir():
        raise FileNotFoundError(f"nothing to publish: {staging} does not exist")
    site_dir = Path(os.path.abspath(site_dir))
    backup = None
    if site_dir.exists() or site_dir.is_symlink():
        backup = site_dir.with_name(f"{site_dir.name}{BACKUP_MARK}{secrets.token_hex(6)}")
        os.replace(site_dir, backup)
    try:
        os.replace(staging, site_dir)
    except BaseException:
        if backup is not None:
            os.replace(backup, site_dir)
        raise
    if backup is not None:
        _remove(backup)


def discard(staging: Path) -> None:
    """Throw a staging folder away (a failed build); the published site is left alone."""
    _require_staging(staging)
    _remove(staging)


def remove_stale(site_dir: Path, older_than: dt.timedelta = STALE_AFTER) -> None:
    """Clean up after runs that died: restore a lost site, delete old leftovers."""
    site_dir = Path(os.path.abspath(site_dir))
    if not site_dir.parent.is_dir():
        return
    backups = sorted(
        site_dir.parent.glob(f"{site_dir.name}{BACKUP_MARK}*"), key=_modified, reverse=True
    )
    if backups and not (site_dir.exists() or site_dir.is_symlink()):
        os.replace(backups.pop(0), site_dir)  # the newest backup is the last good site
    cutoff = time.time() - older_than.total_seconds()
    staging = site_dir.parent.glob(f"{site_dir.name}{STAGING_MARK}*")
    for leftover in [*backups, *staging]:
        if _modified(leftover) < cutoff:
            _remove(leftover)


def _require_staging(path: Path) -> None:
    # Deleting and moving folders is only ever done to folders this module created.
    if STAGING_MARK not in path.name:
        raise ValueError(f"{path} is not a staging folder (its name lacks {STAGING_MARK!r})")


def _modified(path: Path) -> float:
    return path.lstat().st_mtime


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
