"""Search documents: the flat, plain-text view of one incident that search and related read.

A `SearchDocument` is built either from an `Incident` (internal audience) or from a
`PublicIncident` (public audience) and holds nothing else, so an index or a related list
built from public documents cannot contain internal text. Markdown is reduced to words here,
once, so neither the index nor the similarity code has to know about it. The content hash
lets the index re-index only incidents whose searchable content changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where needed: a warm `pmkb search` makes no documents
    from ..core.model import Incident, PublicIncident

#: Words too common in any English text to find or relate incidents by. Shared by the
#: index (`search.py`) and related incidents so both ignore the same words.
STOP_WORDS = frozenset(
    {
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
        "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between",
        "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during",
        "each", "ever", "few", "for", "from", "further", "had", "has", "have", "having", "he",
        "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its",
        "itself", "just", "may", "me", "might", "more", "most", "must", "my", "no", "nor", "not",
        "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over",
        "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
        "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
        "under", "until", "up", "us", "very", "was", "we", "were", "what", "when", "where",
        "which", "while", "who", "whom", "why", "will", "with", "would", "yet", "you", "your",
        "yours",
    }
)  # fmt: skip


#: Query-time boosts, the same for `pmkb search` and the site's search box: what a postmortem
#: is about outranks what merely happened in it.
FIELD_BOOSTS = {
    "title": 4.0,
    "key_learning": 3.0,
    "summary": 2.0,
    "keywords": 2.0,
    "text": 1.0,
}


@dataclass(frozen=True)
class SearchDocument:
    """What search and related incidents may know about one incident, for one audience."""

    id: str
    url: str
    title: str
    date: dt.date
    severity: str
    status: str
    tags: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    #: Internal only; always None in public documents.
    trigger: str | None = None
    #: Ids of the contributing factors (`factor:` in queries); internal only, like trigger.
    factors: tuple[str, ...] = ()
    key_learning: str = ""
    summary: str = ""
    #: Everything else worth finding (timeline, learnings, narrative…), as plain words.
    text: str = ""
    #: Digest of every field above; equal hashes mean nothing searchable changed.
    content_hash: str = field(init=False)

    @property
    def keywords(self) -> str:
        """Tags, services, trigger and id as words: "certificates" finds a tag "certificate",
        "third party" finds "third-party"."""
        return " ".join([*self.tags, *self.services, self.trigger or "", self.id])

    def __post_init__(self) -> None:
        content = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        serialised = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
        digest = hashlib.sha256(serialised.encode("utf-8")).hexdigest()
        object.__setattr__(self, "content_hash", digest)


def incident_url(incident_id: str) -> str:
    """The site-relative URL of an incident page (the same for both audiences)."""
    return f"incidents/{incident_id}/"


#: `data_loss: true` said in words, so "did we ever lose data?" finds it: the stemmer keeps
#: lose, lost and loss apart, so each form is written out.
DATA_LOSS_WORDS = "Data loss: we lost data; customers lose data."


def document_from_incident(incident: Incident) -> SearchDocument:
    """The internal search document: every narrative field of the incident."""
    learnings = [item for category in incident.learnings.values() for item in category]
    parts: list[str | None] = [
        incident.impact.customer,
        DATA_LOSS_WORDS if incident.impact.data_loss else None,
        *(entry.event for entry in incident.timeline),
        *(item.text for item in (*incident.contributors, *incident.mitigators, *incident.risks)),
        *learnings,
        *incident.surprises,
        *incident.went_well,
        *incident.went_wrong,
        *incident.got_lucky,
        *incident.five_whys,
        *incident.unknowns,
        *(evidence.caption for evidence in incident.evidence),
        *(follow_up.action for follow_up in incident.follow_ups),
        incident.body,
    ]
    return SearchDocument(
        id=incident.id,
        url=incident_url(incident.id),
        title=markdown_to_words(incident.title),
        date=incident.date,
        severity=incident.severity,
        status=incident.status,
        tags=incident.tags,
        services=incident.services,
        trigger=incident.trigger,
        factors=incident_factor_ids(incident),
        key_learning=markdown_to_words(incident.key_learning or ""),
        summary=markdown_to_words(incident.summary or ""),
        text=_join_text(parts),
    )


def incident_factor_ids(incident: Incident) -> tuple[str, ...]:
    """The factor ids of an incident's contributors, mitigators and risks, each once."""
    items = (*incident.contributors, *incident.mitigators, *incident.risks)
    return tuple(dict.fromkeys(item.factor for item in items if item.factor))


def document_from_public(incident: PublicIncident) -> SearchDocument:
    """The public search document: only fields of the public projection exist to read."""
    parts: list[str | None] = [
        incident.impact,
        incident.remediation,
        *(entry.event for entry in incident.timeline),
        *(follow_up.action for follow_up in incident.follow_ups),
    ]
    return SearchDocument(
        id=incident.id,
        url=incident_url(incident.id),
        title=markdown_to_words(incident.title),
        date=incident.date,
        severity=incident.severity,
        # Only published incidents have a public projection.
        status="published",
        tags=incident.tags,
        services=incident.services,
        key_learning=markdown_to_words(incident.key_learning or ""),
        summary=markdown_to_words(incident.summary),
        text=_join_text(parts),
    )


def search_documents(incidents: Iterable[Incident | PublicIncident]) -> list[SearchDocument]:
    """Search documents for one audience's incidents, in the order given."""
    from ..core.model import PublicIncident

    return [
        document_from_public(incident)
        if isinstance(incident, PublicIncident)
        else document_from_incident(incident)
        for incident in incidents
    ]


def _join_text(parts: Iterable[str | None]) -> str:
    # One pass over the joined parts: every rule works line by line, and a call per part
    # would cost more than the text itself.
    return markdown_to_words("\n".join(part for part in parts if part))


_FENCE_LINE = re.compile(r"^\s*(?:`{3,}|~{3,}|:{3,}).*$", re.MULTILINE)
_ATTRIBUTE_LIST = re.compile(r"\{\s*[:.#][^{}\n]*\}")
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\](?:\([^)\n]*\)|\[[^\]\n]*\])?")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
_LINE_MARKER = re.compile(r"^\s*(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)+", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$", re.MULTILINE)
_MARKERS = re.compile(r"[*_~`]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def markdown_to_words(markdown: str) -> str:
    """Reduce Markdown to its readable words, one line per source line with content.

    Link and image targets, HTML tags, attribute lists (`{.internal}`), fence lines
    (```, ::: internal) and emphasis markers go; the text they wrapped stays. Code
    stays too: error messages in code blocks are exactly what people search for.
    """
    text = _CONTROL.sub(" ", markdown)
    text = _FENCE_LINE.sub("", text)
    text = _TABLE_RULE.sub("", text)
    text = _ATTRIBUTE_LIST.sub("", text)
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML_TAG.sub(" ", text)
    text = _LINE_MARKER.sub("", text)
    text = _MARKERS.sub(_emphasis_removed, text)
    lines = (" ".join(line.replace("|", " ").split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _emphasis_removed(marker: re.Match[str]) -> str:
    """Emphasis and code markers go; inside a word (`max_connections`) they are text."""
    text, start, end = marker.string, marker.start(), marker.end()
    inside_word = (
        start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum()
    )
    return marker.group() if inside_word else ""
