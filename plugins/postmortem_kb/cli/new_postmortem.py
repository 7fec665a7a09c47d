"""`pmkb new`: start a postmortem file from the knowledge base's template.

The template is `<source_dir>/_template.md` (the package ships a fallback). The command
fills the five top-level lines `title:`, `date:`, `severity:`, `services:` and `tags:`, so
the rest of the template — comments and guidance included — stays exactly as written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from importlib import resources
from pathlib import Path

from ..core.formatting import slugify
from ..core.settings import Settings
from ..core.validate import severity_option

TEMPLATE_NAME = "_template.md"
MAX_SLUG = 60


class NewPostmortemError(Exception):
    """The new file cannot be written (bad argument, file exists, bad template)."""


def write_new_postmortem(
    settings: Settings,
    title: str,
    *,
    severity: str | None = None,
    services: list[str] | None = None,
    tags: list[str] | None = None,
    date: dt.date | None = None,
) -> Path:
    """Write `<source_dir>/YYYY-MM-DD-<slug>.md` and return its path; never overwrite."""
    title = title.strip()
    if not title:
        raise NewPostmortemError("title: is empty; expected a short description")
    try:
        level = severity_option(severity, settings.severities)
    except ValueError as exc:
        raise NewPostmortemError(f"--severity: {exc}") from None
    date = date or dt.date.today()
    slug = slugify(title)[:MAX_SLUG].rstrip("-")
    path = settings.source_dir / f"{date.isoformat()}-{slug}.md"
    if path.exists():
        raise NewPostmortemError(f"{path}: already exists; choose another title or edit it")
    text = fill_template(
        read_template(settings.source_dir),
        {
            "title": json.dumps(title, ensure_ascii=False),
            "date": date.isoformat(),
            "severity": level,
            "services": json.dumps(services or [], ensure_ascii=False),
            "tags": json.dumps([tag.lower() for tag in tags or []], ensure_ascii=False),
        },
    )
    settings.source_dir.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
        handle.write(text)
    return path


def read_template(source_dir: Path) -> str:
    own = source_dir / TEMPLATE_NAME
    if own.is_file():
        return own.read_text(encoding="utf-8")
    return (
        resources.files("postmortem_kb")
        .joinpath("templates/new_postmortem.md")
        .read_text(encoding="utf-8")
    )


def fill_template(template: str, values: dict[str, str]) -> str:
    """Replace each top-level `field: …` line of the template with the given value."""
    for field_name, value in values.items():
        pattern = re.compile(rf"^{field_name}:.*$", re.MULTILINE)
        if not pattern.search(template):
            raise NewPostmortemError(
                f"{TEMPLATE_NAME}: has no top-level `{field_name}:` line to fill; expected one"
            )
        match = pattern.search(template)
        assert match is not None
        template = f"{template[: match.start()]}{field_name}: {value}{template[match.end() :]}"
    return template
