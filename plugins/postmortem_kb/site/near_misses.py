"""Near misses: `near-misses/`, what almost happened and what stopped it (internal only).

A near miss (`type: near-miss`) is listed with the incidents and counted with them, but never
timed (SPEC.md, "Incident model, v2"). This page gathers them, newest first, with what
stopped each from becoming an incident: its mitigators, and the luck the authors admit
(`got_lucky`), next to the lesson. Those are internal fields, so the page is too.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core import urls
from ..core.model import Incident
from .incident_types import NEAR_MISS, of_type
from .render import PageRenderer, RenderedPage


def near_miss_pages(
    incidents: Iterable[Incident], renderer: PageRenderer
) -> dict[str, RenderedPage]:
    """`near-misses/index.md` (internal site only)."""
    near_misses = sorted(of_type(incidents, NEAR_MISS), key=lambda i: (i.date, i.id), reverse=True)
    return {
        urls.NEAR_MISSES_URI: renderer.render(
            "near_misses.md.j2", urls.NEAR_MISSES_URI, near_misses=near_misses
        )
    }
