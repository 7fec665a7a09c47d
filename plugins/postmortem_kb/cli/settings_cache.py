"""Settings without loading MkDocs: the `Settings` of a config file, kept while it is unchanged.

Loading `mkdocs.yml` through MkDocs imports MkDocs, the theme and every plugin and validates
every option: a third of a second before `pmkb search` could ask anything. The commands that
only need the knowledge base's `Settings` get them from here. They depend on nothing but:
- the text of the config file and of each file it INHERITs from;
- the environment variables its `!ENV` tags read;
- where the config file is (relative folders are resolved from it);
- the code that reads them: this package, and MkDocs (its defaults).
The first load stores the settings in `.cache/pmkb/settings/` beside the config file, under a
digest of all of that; later loads use them while the digest is the same, and load through
MkDocs again as soon as anything differs. A config whose inputs cannot be told for sure (an
`INHERIT` or `!ENV` written in a way not recognised here) is never stored. The build date is
not stored: without a `build_date` option it is today's date, every day.

The folder is a cache: safe to delete, and a folder that cannot be written only means every
command loads through MkDocs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import importlib.util
import os
import pickle
import re
from collections.abc import Callable
from pathlib import Path

from ..core.fingerprint import package_fingerprint
from ..core.settings import Settings

#: Where the settings are kept, relative to the config file's folder.
CACHE_FOLDER = Path(".cache") / "pmkb" / "settings"
#: Bump when what is stored or what the digest covers changes.
CACHE_VERSION = 1
#: A top-level `INHERIT: path` line, the path bare or quoted.
_INHERIT = re.compile(r"""^INHERIT:[ \t]*(['"]?)([^'"#\n]*?)\1[ \t]*(?:#.*)?$""", re.MULTILINE)
#: `INHERIT` anywhere but in a comment: written in a way `_INHERIT` does not read.
_MENTIONS_INHERIT = re.compile(r"^[^#\n]*INHERIT", re.MULTILINE)
_ENV_TAG = re.compile(r"!ENV\b(?P<rest>[^\n]*)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclasses.dataclass(frozen=True)
class _Stored:
    digest: str
    settings: Settings
    #: Whether the config sets `build_date`; without it, the date is today's when loaded.
    fixed_date: bool


def cached_settings(config_file: Path, load: Callable[[], tuple[Settings, bool]]) -> Settings:
    """The settings of `config_file`: stored ones while its inputs are unchanged, else `load()`.

    `load` loads through MkDocs and returns the settings and whether the config sets the
    build date; its errors reach the caller as they are.
    """
    digest = inputs_digest(config_file)
    stored_at = _stored_path(config_file)
    if digest is not None:
        stored = _read(stored_at)
        if stored is not None and stored.digest == digest:
            return (
                stored.settings
                if stored.fixed_date
                else dataclasses.replace(stored.settings, build_date=dt.date.today())
            )
    settings, fixed_date = load()
    if digest is not None:
        _write(stored_at, _Stored(digest, settings, fixed_date))
    return settings


def inputs_digest(config_file: Path) -> str | None:
    """A digest of everything the settings of `config_file` are made from; None when unsure."""
    files = _config_files(config_file)
    if files is None:
        return None
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{CACHE_VERSION}\0{package_fingerprint()}\0{_mkdocs_version()}\0".encode())
    for path, text in files:
        names = _environment_names(text)
        if names is None:
            return None
        digest.update(f"{path}\0{text}\0".encode("utf-8", "surrogateescape"))
        for name in names:
            digest.update(f"{name}={os.environ.get(name)}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _config_files(config_file: Path) -> list[tuple[Path, str]] | None:
    """The config file and each file it INHERITs from, with their text; None when unsure."""
    files: list[tuple[Path, str]] = []
    path = config_file.resolve()
    while all(path != seen for seen, _ in files):  # a loop is MkDocs' to report
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        files.append((path, text))
        parents = _INHERIT.findall(text)
        if not parents:
            return None if _MENTIONS_INHERIT.search(text) else files
        if len(parents) > 1:
            return None
        path = (path.parent / parents[0][1].strip()).resolve()
    return None


def _environment_names(text: str) -> list[str] | None:
    """The variable names `!ENV` tags in `text` may read; None when a tag spans lines."""
    names = []
    for match in _ENV_TAG.finditer(text):
        rest = match["rest"].split("#", 1)[0]
        if rest.count("[") != rest.count("]"):
            return None
        names.extend(_NAME.findall(rest))
    return names


def _mkdocs_version() -> str:
    """The installed MkDocs, told by its files without importing it."""
    spec = importlib.util.find_spec("mkdocs")
    if spec is None or spec.origin is None:
        return "none"
    status = os.stat(spec.origin)
    return f"{spec.origin}\0{status.st_size}\0{status.st_mtime_ns}"


def _stored_path(config_file: Path) -> Path:
    resolved = config_file.resolve()
    return resolved.parent / CACHE_FOLDER / f"{resolved.name}.pickle"


def _read(path: Path) -> _Stored | None:
    try:
        with path.open("rb") as handle:
            stored = pickle.load(handle)
    except Exception:  # a cache in any state but written by us: load through MkDocs instead
        return None
    return stored if isinstance(stored, _Stored) and isinstance(stored.settings, Settings) else None


def _write(path: Path, stored: _Stored) -> None:
    import tempfile  # only to store settings: a command that reads them does not import it

    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                pickle.dump(stored, handle)
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)
