"""The knowledge base's side files: YAML beside the postmortems that is not an incident.

`_roles.yml` (who is who, for every postmortem), `_gallery.yml` (other companies' lessons)
and `_paths.yml` (onboarding reading paths) are written by the same authors as the
postmortems, so they are read the same way: the strict YAML reader, then a `FieldReader`
whose problems name the file, the line and the field. Their names start with `_`, which
keeps them out of incident discovery. The roles are read here because validation needs
them (a postmortem's own `roles` has the same form); the gallery and the reading paths are
read by the site modules that render them, through `read_side_file`.
"""

from __future__ import annotations

import re
from typing import Any

from .fields import FieldReader, kind_of, zone_for
from .loader import LoadProblem, display_name, parse_document, read_text_file
from .problems import Problems
from .settings import Settings

ROLES_FILE = "_roles.yml"
GALLERY_FILE = "_gallery.yml"
PATHS_FILE = "_paths.yml"
HANDLE_PATTERN = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9_.-]*$")


def read_side_file(settings: Settings, name: str, problems: Problems) -> FieldReader | None:
    """A field reader over the side file `name` of the knowledge base.

    None when the file is absent or cannot be read (that problem is added to `problems`).
    The file's data is `reader.data`; field problems land in `reader.problems`, for the
    caller to add once it has read every field.
    """
    path = settings.source_dir / name
    if not path.is_file():
        return None
    display = display_name(path, settings.source_dir)
    try:
        data, lines = parse_document(read_text_file(path, display), display)
    except LoadProblem as exc:
        problems.items.append(exc.problem)
        return None
    return FieldReader(display, data, lines, zone_for(settings))


def load_roles(
    settings: Settings, problems: Problems
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """The KB-wide `@handle: role` map from `_roles.yml`, and the names it gives people
    (`{role, names: [...]}`), which let the quality gate recognise a person written without a
    handle. Both empty when the file is absent."""
    reader = read_side_file(settings, ROLES_FILE, problems)
    if reader is None:
        return {}, {}
    names: dict[str, tuple[str, ...]] = {}
    roles = read_roles(reader.data, "", reader, names)
    problems.extend(reader.problems)
    return roles, names


def read_roles(
    value: Any, path: str, reader: FieldReader, names: dict[str, tuple[str, ...]] | None = None
) -> dict[str, str]:
    """A `@handle: role` mapping, from a file's `roles` or from `_roles.yml` (path "").

    An entry is a role, or `{role, names: [...]}`; the names go into `names` when given.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        reader.error(path, f"is {kind_of(value)}; expected a mapping of '@handle': role")
        return {}
    roles = {}
    for handle, entry in value.items():
        where = f"{path}.{handle}" if path else handle
        if not HANDLE_PATTERN.match(handle):
            reader.error(where, f"'{handle}' is not a handle; expected '@name' (quoted)")
            continue
        if isinstance(entry, dict):
            reader.unknown_fields(entry, where, ("role", "names"))
            role = reader.text(entry.get("role"), f"{where}.role", required=True)
            if names is not None:
                names[handle] = reader.text_list(entry.get("names"), f"{where}.names")
        else:
            role = reader.text(entry, where, required=True)
        if role is not None:
            roles[handle] = role
    return roles
