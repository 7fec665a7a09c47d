"""Names of people into `@handles`, only when the roles file knows them.

An old postmortem names people ("Jennifer", "RF, PW", "Matt Hauff"); our files use handles
that `_roles.yml` resolves to a role. A name becomes a handle when `_roles.yml` lists it
under that handle's `names` (or the name is the handle itself, with or without `@`); any
other name stays as text and the report says so. No handle is ever made up from a name.
"""

from __future__ import annotations

import re


class People:
    def __init__(self, roles: dict[str, str], names: dict[str, tuple[str, ...]]) -> None:
        self.handles: dict[str, str] = {}
        for handle in roles:
            self.handles[handle.lower()] = handle
            self.handles[handle.lower().lstrip("@")] = handle
        for handle, written in names.items():
            if handle in roles:
                for name in written:
                    self.handles[" ".join(name.lower().split())] = handle

    def handle(self, name: str) -> str | None:
        """The handle `_roles.yml` gives this name, or None."""
        key = " ".join(re.sub(r"[*_`]", "", name).lower().split()).strip(" .,;")
        return self.handles.get(key)


def split_names(text: str) -> list[str]:
    """`RF, PW and AN` / one per line / `Jo (SRE); Sam` → the names, in order."""
    parts = re.split(r"\s*(?:[,;\n]|\band\b|&|/)\s*", text)
    names = []
    for part in parts:
        name = re.sub(r"^[-*•\s]+|\s*\([^)]*\)\s*$", "", part).strip(" .")
        if name:
            names.append(name)
    return names
