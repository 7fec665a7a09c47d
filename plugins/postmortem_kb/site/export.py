"""`pmkb export`: one customer-facing postmortem as a standalone document.

The document is rendered from the `PublicIncident` only — title, date, duration, customer
impact, summary, public timeline, what we fixed, public follow-ups — with who publishes it
and when (the configured `organisation`, the build date: a public incident records no
publication date of its own), and closes with the knowledge base's apology and `contact`.
The md format is plain Markdown (tables and text, no HTML), so it pastes into any Markdown
tool; the HTML format is that Markdown rendered and sanitized. HTML is one self-contained
file (inline stylesheet, no scripts, fonts or images from anywhere) that opens offline: its
body passes the sanitizer, and its Content-Security-Policy lets nothing run or load. Before
it is handed over, the document passes the same leak guard as the public site.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path
from urllib.parse import quote

import markdown

from ..core.fields import suggest
from ..core.sanitize import MARKDOWN_TABLES_CONFIG, sanitize_html
from ..public.deny import Leak
from .plan import SitePlan
from .public_guard import find_public_leaks
from .render import PageRenderer

FORMATS = ("md", "html")
#: How the leak guard labels a match in a file's name rather than in its content.
_NAME_LEAK = "file name: "
_MARKDOWN_EXTENSIONS = ["tables", "sane_lists"]
#: Characters a Markdown link text would read as syntax (emphasis, code, brackets, tables).
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>!|#])")
#: What stays as it is in a link destination: URL syntax and `%`-escapes; parentheses,
#: angle brackets and backslashes would end or change a Markdown link, so they are encoded.
_URL_SAFE = ":/?#[]@!$&'*+,;=%~"


class ExportError(Exception):
    """The document cannot be exported (unknown id, not public, or it would leak)."""

    def __init__(self, message: str, leaks: list[Leak] | None = None) -> None:
        super().__init__(message)
        self.leaks = leaks or []


def export_incident(plan: SitePlan, incident_id: str, fmt: str = "md") -> str:
    """The standalone public document for `incident_id` in `fmt` (`md` or `html`)."""
    public = plan.view.public.get(incident_id)
    if public is None:
        raise ExportError(_why_not_exportable(plan, incident_id))
    renderer = PageRenderer(internal=False)
    contact = plan.settings.contact
    document = renderer.render(
        "export.md.j2", "export.md", public=public, settings=plan.settings,
        published=plan.settings.build_date,
        contact_text=_MARKDOWN_PUNCTUATION.sub(r"\\\1", contact.text) if contact else "",
        contact_url=quote(contact.href, safe=_URL_SAFE) if contact else "",
    ).markdown
    if fmt == "html":
        body = sanitize_html(markdown.markdown(
            document,
            extensions=_MARKDOWN_EXTENSIONS,
            extension_configs={"tables": MARKDOWN_TABLES_CONFIG},
        ))
        document = renderer.render(
            "export.html.j2", "export.html", public=public, body=body
        ).markdown
    leaks = _leaks_in(plan, document, f"{incident_id}.{fmt}")
    if leaks:
        raise ExportError(f"{incident_id}: the export would leak private data or match a "
                          f"deny pattern ({len(leaks)} match(es)); nothing was written", leaks)
    return document


def _why_not_exportable(plan: SitePlan, incident_id: str) -> str:
    if incident_id in plan.view.not_public:
        return (f"{incident_id}: not published publicly: {plan.view.not_public[incident_id]}; "
                "only public incidents can be exported")
    known = sorted(plan.view.public)
    return (f"{incident_id}: no incident has this id{suggest(incident_id, known)}; expected "
            "the id of a public incident")


def _leaks_in(plan: SitePlan, document: str, name: str) -> list[Leak]:
    """Every leak in the document's text, each reported under `name`.

    The export hands over text only (on stdout, or into the file `-o` names), so the name of
    the temporary file the guard reads is not scanned: it holds the id, and an id that
    defaults to the file stem matches the source file's name, which is rightly private.
    """
    with tempfile.TemporaryDirectory(prefix="pmkb-export-") as folder:
        (Path(folder) / name).write_text(document, encoding="utf-8")
        leaks = find_public_leaks(plan, Path(folder))
    return [dataclasses.replace(leak, file=name) for leak in leaks
            if not leak.kind.startswith(_NAME_LEAK)]
