"""`pmkb guard`: the public leak guard over any built site folder, whoever built it.

A site built from `pmkb generate` by an engine that runs no plugin of ours has had no guard.
This one runs the plugin's own check (`find_public_leaks`: the private strings of every
incident, the deny patterns, the `allow` list and contact) over the finished folder, so CI
can refuse to publish it.
"""

from __future__ import annotations

from pathlib import Path

from ..core.settings import Settings
from ..public.deny import Leak
from ..site.plan import plan_site
from ..site.public_guard import find_public_leaks


class GuardError(Exception):
    """The folder is not a site the guard can check."""


def guard_site(settings: Settings, site_dir: Path) -> list[Leak]:
    """Every leak in the built public site `site_dir`; a folder with no HTML is an error
    (a wrong path or an empty build would otherwise pass)."""
    if not site_dir.is_dir():
        raise GuardError(f"{site_dir}: not a folder; expected a built site")
    if next(site_dir.rglob("*.html"), None) is None:
        raise GuardError(f"{site_dir}: no HTML file in it; expected a built site")
    return find_public_leaks(plan_site(settings), site_dir)
