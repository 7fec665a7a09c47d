"""What a postmortem must hold for its severity: `complete/` findings.

The required items per severity come from the `quality.completeness` option, or the defaults
below: the two worst severities need the full analysis, the third a lighter one, the rest a
summary and a key learning. Each item names the field an author fills in, so a finding points
at the line to edit. An incident type need not have what `rules.TYPE_EXEMPTIONS` exempts it
from (a game day has no customer impact). A time the validator derived (`detected` from the
first alert) counts as given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from ..core.model import DETECTION_KINDS, Incident
from .rules import NO_EXEMPTION, TYPE_EXEMPTIONS

#: Item → (rule, what is missing, whether the incident has it).
_ITEMS: dict[str, tuple[str, str, Callable[[Incident], bool]]] = {
    "impact.started": ("complete/impact-times", "when impact started",
                       lambda i: i.impact.started is not None),
    "impact.detected": ("complete/impact-times", "when the problem was detected",
                        lambda i: i.impact.detected is not None),
    "impact.resolved": ("complete/impact-times", "when impact was resolved or mitigated",
                        lambda i: (i.impact.resolved or i.impact.mitigated) is not None),
    "impact.customer": ("complete/impact-times", "the customer impact in words",
                        lambda i: bool(i.impact.customer)),
    "summary": ("complete/summary", "a summary", lambda i: bool(i.summary)),
    "timeline": ("complete/timeline", "a timeline", lambda i: bool(i.timeline)),
    "timeline.detection": (
        "complete/timeline", "a timeline entry of kind `alert` or `detection`",
        lambda i: any(entry.kind in DETECTION_KINDS for entry in i.timeline),
    ),
    "contributors": ("complete/analysis", "contributors", lambda i: bool(i.contributors)),
    "mitigators": ("complete/analysis", "mitigators", lambda i: bool(i.mitigators)),
    "learnings": ("complete/learnings", "learnings",
                  lambda i: any(items for items in i.learnings.values())),
    "key_learning": ("complete/learnings", "a key learning", lambda i: bool(i.key_learning)),
    "follow_ups": ("complete/follow-ups", "at least one follow-up", lambda i: bool(i.follow_ups)),
    "trigger": ("complete/analysis", "a trigger", lambda i: bool(i.trigger)),
    "services": ("complete/analysis", "the affected services", lambda i: bool(i.services)),
    "commander": ("complete/analysis", "the incident commander", lambda i: bool(i.commander)),
    "owner": ("complete/analysis", "the postmortem owner", lambda i: bool(i.owner)),
}  # fmt: skip
COMPLETENESS_ITEMS = tuple(_ITEMS)

_FULL = (
    "impact.started", "impact.detected", "impact.resolved", "summary", "timeline",
    "timeline.detection", "contributors", "mitigators", "learnings", "key_learning",
    "follow_ups",
)  # fmt: skip
_MEDIUM = ("impact.started", "impact.resolved", "summary", "timeline", "contributors",
           "key_learning", "follow_ups")  # fmt: skip
_LIGHT = ("summary", "key_learning")


def default_completeness(severities: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The default items by severity: the worst two full, the third medium, the rest light."""
    levels = [_FULL, _FULL, _MEDIUM]
    return {
        severity: levels[index] if index < len(levels) else _LIGHT
        for index, severity in enumerate(severities)
    }


def missing_items(
    incident: Incident, completeness: Mapping[str, Sequence[str]]
) -> Iterator[tuple[str, str, str]]:
    """(rule, field, message) for every required item the incident lacks."""
    exempt = TYPE_EXEMPTIONS.get(incident.type, NO_EXEMPTION).items
    for item in completeness.get(incident.severity, ()):
        if item in exempt:
            continue
        rule, what, present = _ITEMS[item]
        if not present(incident):
            field = item.split(".", 1)[0] if item != "timeline.detection" else "timeline"
            yield rule, field, (
                f"a {incident.severity} postmortem in `{incident.status}` needs {what}"
            )
