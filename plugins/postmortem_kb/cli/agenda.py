"""`pmkb agenda ID [--minutes 45|60]`: the review meeting's agenda for one incident.

Loads the knowledge base as the internal site does (the agenda is internal: it names people)
and renders `site/agenda.py`'s document; a file that failed validation gets no agenda, since
the meeting would review text the site cannot show.
"""

from __future__ import annotations

from ..core.fields import suggest
from ..core.knowledge_base import load_knowledge_base
from ..core.settings import Settings
from ..site.agenda import TIME_BOXES, render_agenda
from ..site.quality_pages import broken_file_id

MEETING_LENGTHS = tuple(TIME_BOXES)


class AgendaError(Exception):
    """Why there is no agenda, in one line."""


def agenda_document(settings: Settings, incident_id: str, minutes: int) -> str:
    """The Markdown agenda of `incident_id`'s review meeting, `minutes` long."""
    kb = load_knowledge_base(settings)
    incident = kb.by_id().get(incident_id)
    if incident is None:
        broken = [source for source in kb.skipped if broken_file_id(source) == incident_id]
        if broken:
            raise AgendaError(f"{broken[0]}: has schema errors; fix them first (see pmkb check)")
        raise AgendaError(f"{incident_id}: no incident has this id"
                          f"{suggest(incident_id, sorted(kb.by_id()))}")
    return render_agenda(incident, minutes, settings.source_dir.parent / "overrides")
