"""The public approval: which public text an approver saw, and whether it is still that text.

`pmkb approve ID --public` records a fingerprint of the author's public source text; with
`require_public_approval` the projection publishes an incident only while the fingerprint of
its text as it is now matches. The fingerprint covers exactly the words a customer reads as
the author wrote them (`public.*`, the text of timeline entries and follow-up actions marked
public, in order, and of the impact phases and measures marked public: a phase's note, a
measure's words and number), so a new sentence or figure needs a new approval. It leaves out
what changes without changing those words — a follow-up's status or due date, the
configuration, the roles file — and needs no git history: the file carries its own approval.

The fingerprint is versioned (`v1:` + SHA-256 of a canonical JSON document): should what it
covers ever change, an approval of an older version reads as "changed", never as valid. The
phases and measures joined the document later without a new version: they are in it only when
an incident has public ones, so an incident without them keeps the fingerprint it always had
and its approval stays valid.
"""

from __future__ import annotations

import hashlib
import json

from ..core.model import Incident

FINGERPRINT_VERSION = "v1"
AWAITING_APPROVAL = "awaiting public approval"
CHANGED_SINCE_APPROVAL = "public text changed since approval"


def public_fingerprint(incident: Incident) -> str:
    """`v1:<sha256>` of the incident's public source text (see the module docstring)."""
    view = incident.public
    covered: dict[str, object] = {
        "public": None if view is None else {
            "title": view.title,
            "summary": view.summary,
            "impact": view.impact,
            "remediation": view.remediation,
            "services": list(view.services),
            "key_learning": view.key_learning,
        },
        "timeline": [entry.event for entry in incident.timeline if entry.public],
        "follow_ups": [item.action for item in incident.follow_ups if item.public],
    }
    phase_notes = [phase.note for phase in incident.impact.phases if phase.public and phase.note]
    if phase_notes:
        covered["phases"] = phase_notes
    measures = [
        {"what": measure.what, "value": measure.value, "unit": measure.unit}
        for measure in incident.impact.measures
        if measure.public
    ]
    if measures:
        covered["measures"] = measures
    canonical = json.dumps(covered, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f"{FINGERPRINT_VERSION}:{hashlib.sha256(canonical.encode()).hexdigest()}"


def approval_reason(incident: Incident) -> str | None:
    """Why the recorded public approval does not cover the public text now; None if it does."""
    recorded = incident.review.public_fingerprint
    if incident.review.public_approved_by is None or recorded is None:
        return AWAITING_APPROVAL
    if recorded != public_fingerprint(incident):
        return CHANGED_SINCE_APPROVAL
    return None
