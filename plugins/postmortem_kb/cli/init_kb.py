"""`pmkb init [DIR] [--name] [--public-url]`: a new knowledge base that builds and checks.

The files ship in the package (`postmortem_kb/starter/`): both site configurations (the
public one inherits the internal one), the template, the roles file, an example incident,
hand-written pages for each audience, a pre-commit configuration and a CI workflow. The
example is published with public text, and its public approval is recorded the way `pmkb
approve --public` records one, so the public site shows how a finished report looks.

Nothing is overwritten: when any file would land on an existing one, nothing is written
and the message names them.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from ..core.settings import Settings
from .approve import ApprovalRefused, record_approval

#: Starter file in the package → where it goes in the knowledge base (dot files are shipped
#: without their dot, which package data globs would skip).
STARTER_FILES = {
    "mkdocs.yml": "mkdocs.yml",
    "mkdocs.public.yml": "mkdocs.public.yml",
    "README.md": "README.md",
    "gitignore": ".gitignore",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "github-workflow.yml": ".github/workflows/postmortems.yml",
    "docs/index.md": "docs/index.md",
    "docs/how-we-work.md": "docs/how-we-work.md",
    "docs/severity-levels.md": "docs/severity-levels.md",
    "docs/about.md": "docs/about.md",
    "postmortems/_template.md": "postmortems/_template.md",
    "postmortems/_roles.yml": "postmortems/_roles.yml",
    "postmortems/2024-05-14-checkout-errors-after-a-configuration-change.md": (
        "postmortems/2024-05-14-checkout-errors-after-a-configuration-change.md"
    ),
}
EXAMPLE_ID = "2024-05-14-checkout-errors-after-a-configuration-change"
#: Who approves the example's public text (a handle of the starter `_roles.yml`).
EXAMPLE_APPROVER = "@kim"


class InitRefused(Exception):
    """Nothing was written, and why."""


def write_knowledge_base(folder: Path, *, name: str, public_url: str | None) -> int:
    """Write a new knowledge base into `folder`; return how many files were written."""
    name = name.strip()
    if not name or re.search(r"[\x00-\x1f\x7f]", name):
        raise InitRefused(f"--name {name!r}: expected an organisation name on one line")
    site_url = _site_url(public_url)
    files = {
        folder / target: _filled(source, name, site_url) for source, target in STARTER_FILES.items()
    }
    existing = sorted(
        path.relative_to(folder).as_posix() for path in files if path.exists() or path.is_symlink()
    )
    if existing:
        raise InitRefused(
            f"{folder}: would overwrite {', '.join(existing)}; nothing was written (run pmkb "
            "init in a new or empty folder, or move those files away)"
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite
            handle.write(text)
    return len(files)


def approve_example(settings: Settings) -> str:
    """Record the public approval of the example, as `pmkb approve --public` does; say what
    was done, or what to run when it could not be."""
    try:
        record_approval(settings, EXAMPLE_ID, EXAMPLE_APPROVER, public=True)
    except ApprovalRefused as exc:
        return (
            f"the example's public approval could not be recorded ({exc}); run pmkb "
            f"approve {EXAMPLE_ID} --public --by {EXAMPLE_APPROVER}"
        )
    return f"the example incident is published, its public text approved by {EXAMPLE_APPROVER}"


def _site_url(public_url: str | None) -> str:
    if public_url is None:
        return (
            "# Its own address, for absolute links in the feeds and the sitemap:\n"
            "# site_url: https://status.example.com/"
        )
    parts = urlsplit(public_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in public_url.strip():
        raise InitRefused(
            f"--public-url {public_url!r}: expected an http(s) address, such as "
            "https://status.example.com/"
        )
    url = public_url.strip()
    return f"site_url: {json.dumps(url if url.endswith('/') else url + '/')}"


def _filled(source: str, name: str, site_url: str) -> str:
    text = resources.files("postmortem_kb").joinpath(f"starter/{source}").read_text("utf-8")
    if source.endswith((".yml", ".yaml")):
        # In YAML values the name is quoted (it may hold `:` or `#`); comments take it as is.
        text = text.replace(
            "site_name: {{ name }} incident library",
            f"site_name: {json.dumps(name + ' incident library')}",
        )
        text = text.replace(
            "site_name: {{ name }} incident reports",
            f"site_name: {json.dumps(name + ' incident reports')}",
        )
        text = text.replace("organisation: {{ name }}", f"organisation: {json.dumps(name)}")
        text = text.replace("{{ site_url }}", site_url)
    return text.replace("{{ name }}", name)
