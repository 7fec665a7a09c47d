"""What a heading, a label or a column name means, however it is spelled.

Real postmortems call the same section "Root Causes", "Root cause analysis", "RCA", "3. Root
Casue:" or "ROOT CAUSE(S)". A name is normalised (case, numbering, punctuation, a
parenthesised note such as "(all times UTC)") and compared with the synonyms of each kind:
equal, equal within a small edit distance (one slip in a short word, two in a long phrase),
or containing a synonym as whole words ("Lessons learned and future improvements"). The
longest, closest synonym wins; a name that matches none is not a section we know, and its
text is kept as narrative under its own heading.
"""

from __future__ import annotations

import re

#: Section kinds and the names documents give them (normalised: lowercase words).
SECTION_NAMES: dict[str, tuple[str, ...]] = {
    "summary": (
        "summary", "executive summary", "incident summary", "issue summary", "overview",
        "tldr", "tl dr", "abstract", "synopsis", "incident description", "description",
        "incident overview", "summary of the incident", "brief summary",
    ),
    "what_happened": (
        "what happened", "narrative", "incident narrative", "background", "context",
        "details of the incident", "description of events", "how did it happen",
        "how it happened",
    ),
    "impact": (
        "impact", "customer impact", "user impact", "business impact", "impact on customers",
        "impact on users", "customer facing impact", "who was affected", "scope of impact",
        "blast radius", "affected users", "impact assessment",
    ),
    "root_cause": (
        "root cause", "root causes", "cause", "causes", "root cause analysis", "rca",
        "why it happened", "cause of the incident", "technical root cause", "causal analysis",
        "what went wrong technically", "why did it happen",
    ),
    "contributing": (
        "contributing factors", "contributing factor", "contributors", "contributing causes",
        "factors", "underlying causes",
    ),
    "trigger": ("trigger", "triggers", "what triggered it", "triggering event"),
    "resolution": (
        "resolution", "mitigation", "recovery", "resolution and recovery", "fix", "the fix",
        "how we fixed it", "response", "mitigation steps", "workaround", "recovery steps",
        "incident response", "response and recovery", "remediation steps taken",
    ),
    "detection": (
        "detection", "how we found out", "how it was detected", "discovery", "alerting",
        "how was it detected", "detection and response",
    ),
    "remediation": ("remediation", "remediations"),
    "follow_ups": (
        "action items", "actions", "action item", "follow ups", "followups", "follow up",
        "follow up actions", "follow up items", "corrective actions", "corrective action",
        "preventive actions", "preventative actions", "preventive measures",
        "preventative measures", "corrective and preventative measures",
        "corrective and preventive measures", "corrective and preventive actions",
        "next steps", "remediation items", "remediation actions", "todo", "to do", "tasks",
        "action plan", "what we are doing", "what we are doing about it", "what we will do",
        "future work", "improvements", "prevention", "preventing recurrence",
        "what we are changing", "what we changed", "repair items",
        "how are we preventing it from happening again", "preventing it from happening again",
        "how we will prevent it", "what we are doing to prevent it",
    ),
    "learnings": (
        "lessons learned", "lessons learnt", "lessons", "learnings", "key learnings",
        "takeaways", "key takeaways", "what we learned", "what we learnt", "retrospective",
        "reflections",
    ),
    "went_well": (
        "what went well", "went well", "things that went well", "what went right",
        "what worked", "what worked well", "positives", "the good", "good",
    ),
    "went_wrong": (
        "what went wrong", "went wrong", "things that went wrong", "what didn t go well",
        "what did not go well", "what went poorly", "things that went poorly",
        "what could have gone better", "what could be improved", "what didn t work",
        "what could have been better", "things that could have gone better", "negatives",
        "the bad", "bad", "where we struggled",
    ),
    "got_lucky": (
        "where we got lucky", "got lucky", "what we got lucky with", "where we were lucky",
        "lucky", "luck", "things we got lucky with", "the lucky",
    ),
    "timeline": (
        "timeline", "timeline of events", "incident timeline", "sequence of events",
        "chronology", "events", "detailed timeline", "time line", "event timeline",
        "timeline of the incident",
    ),
    "supporting": (
        "supporting information", "supporting info", "supporting documentation", "appendix",
        "references", "links", "related links", "additional information", "further reading",
        "attachments", "evidence", "graphs", "supporting material", "related documents",
    ),
    "attendees": (
        "attendees", "participants", "people involved", "present", "who was there",
        "responders", "postmortem attendees", "meeting attendees", "review attendees",
        "people", "invitees",
    ),
    "stats": (
        "stats", "statistics", "metrics", "incident metrics", "key metrics", "incident stats",
        "incident details", "details", "metadata", "facts", "key facts",
        "incident information", "incident data", "summary table", "incident info",
    ),
    "mitigators": ("mitigating factors", "mitigators", "what limited the damage"),
    "risks": ("risks", "open risks", "remaining risks", "risk"),
    "five_whys": ("five whys", "5 whys"),
    "unknowns": ("open questions", "unknowns", "unanswered questions", "unresolved questions"),
    "surprises": ("surprises", "what surprised us"),
}  # fmt: skip

#: Labels of single values ("Severity: SEV-2", a column "Started at").
VALUE_NAMES: dict[str, tuple[str, ...]] = {
    "title": ("title", "incident title", "incident name", "name", "subject", "headline"),
    "date": (
        "date", "incident date", "date of incident", "day", "occurred", "occurred on",
        "date occurred", "reported on", "incident day",
    ),
    "started": (
        "start", "started", "start time", "impact start", "began", "incident start",
        "start of impact", "outage start", "started at", "impact started", "beginning",
        "incident began", "start date",
    ),
    "detected": ("detected", "detected at", "time detected", "first alert", "detection time"),
    "mitigated": ("mitigated", "mitigated at", "mitigation time", "time mitigated"),
    "resolved": (
        "resolved", "end", "ended", "end time", "resolution time", "resolved at", "recovered",
        "outage end", "impact end", "impact ended", "time resolved", "end date",
    ),
    "duration": (
        "duration", "outage duration", "impact duration", "total duration", "downtime",
        "length", "incident duration",
    ),
    "severity": (
        "severity", "sev", "severity level", "priority", "incident severity", "level",
        "incident level", "incident priority",
    ),
    "time_to_detect": ("time to detection", "time to detect", "ttd", "mttd"),
    "time_to_mitigate": ("time to mitigation", "time to mitigate", "ttm", "mttm"),
    "time_to_resolve": (
        "time to recovery", "time to recover", "time to resolution", "time to resolve", "ttr",
        "mttr", "time to restore", "recovery time", "time to fix", "time to repair",
    ),
    "owner": (
        "owner", "postmortem owner", "author", "authors", "written by", "report owner",
        "document owner", "prepared by", "postmortem author",
    ),
    "commander": (
        "incident commander", "commander", "ic", "incident lead", "incident manager",
        "incident coordinator",
    ),
    "services": (
        "services", "affected services", "service", "services affected", "systems affected",
        "affected systems", "components", "affected components", "affected service",
        "components affected", "systems", "products affected", "affected products",
    ),
    "category": (
        "category", "incident type", "classification", "tags", "labels", "categories", "type",
        "theme",
    ),
    "status": ("status", "document status", "postmortem status", "state", "incident status"),
}  # fmt: skip

_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[ivx]+\.|[a-z]\))\s+", re.I)
_PARENTHESIS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_FILLER = {"the", "our", "of", "a", "an", "incident", "issue", "outage", "event"}


def normalise(name: str) -> str:
    """Lowercase words without numbering, markup, parenthesised notes or punctuation."""
    text = re.sub(r"[*_`#]+", "", name).strip()
    text = _NUMBERING.sub("", text)
    text = _PARENTHESIS.sub(" ", text)
    text = text.replace("&", " and ").replace("\u2019", "'").lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), capped at `limit + 1`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous_row: list[int] | None = None
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        before, previous_row, row = previous_row, row, [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(row[j - 1] + 1, previous_row[j] + 1, previous_row[j - 1] + cost)
            if (
                before is not None and i > 1 and j > 1
                and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]
            ):  # fmt: skip
                row[j] = min(row[j], before[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
    return row[-1]


def _allowed_slips(text: str) -> int:
    """Typos forgiven in a name: none in a short word, one in a word, two in a phrase."""
    return 0 if len(text) < 4 else 1 if len(text) < 9 else 2


def _word_matches(word: str, synonym_word: str) -> bool:
    allowed = 1 if len(synonym_word) >= 5 else 0
    return word == synonym_word or edit_distance(word, synonym_word, allowed) <= allowed


def _contains(words: list[str], synonym: list[str]) -> bool:
    for start in range(len(words) - len(synonym) + 1):
        if all(_word_matches(w, s) for w, s in zip(words[start:], synonym, strict=False)):
            return True
    return False


def classify(
    name: str,
    names: dict[str, tuple[str, ...]],
    alone: frozenset[str] = frozenset(),
    *,
    contained: bool = True,
) -> str | None:
    """The kind `name` stands for among `names`, or None.

    A longer name matches a synonym it contains when the synonym has several words, or is
    one of the words in `alone` that mean the same wherever they stand ("Timeline (Japan
    time)", "Impact and severity"); "Technical details" is not a `details` section.
    """
    text = normalise(name)
    if not text:
        return None
    stripped = " ".join(word for word in text.split() if word not in _FILLER) or text
    best: tuple[int, int, str] | None = None  # (quality, synonym length, kind)
    for kind, synonyms in names.items():
        for synonym in synonyms:
            slips = _allowed_slips(synonym)
            if synonym in (text, stripped):
                quality = 3
            elif (
                min(edit_distance(text, synonym, slips), edit_distance(stripped, synonym, slips))
                <= slips
            ):
                quality = 2
            elif (
                contained
                and (" " in synonym or synonym in alone)
                and _contains(text.split(), synonym.split())
            ):
                quality = 1
            else:
                continue
            candidate = (quality, len(synonym), kind)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    return best[2] if best else None


#: Single words that name their section inside a longer heading too.
_DISTINCTIVE = frozenset(
    {
        "summary",
        "overview",
        "impact",
        "timeline",
        "chronology",
        "trigger",
        "resolution",
        "mitigation",
        "recovery",
        "remediation",
        "detection",
        "lessons",
        "learnings",
        "takeaways",
        "attendees",
        "participants",
        "stats",
        "statistics",
        "metrics",
        "appendix",
        "risks",
        "surprises",
        "unknowns",
        "contributors",
    }
)


def section_kind(name: str, *, contained: bool = True) -> str | None:
    """The section kind a heading names; with `contained` False the heading must be a name of
    the kind (within typos), not a longer text containing one."""
    return classify(name, SECTION_NAMES, _DISTINCTIVE, contained=contained)


def value_kind(name: str) -> str | None:
    """The single value a label names ("Time to detection" → `time_to_detect`), or None."""
    text = normalise(name)
    if len(text.split()) > 5:
        return None
    return classify(name, VALUE_NAMES)


def label_kind(name: str) -> tuple[str, str] | None:
    """("value", kind) or ("section", kind) for a label such as "Root Causes:"; value names
    win where a label could be either ("Impact" is a section, "Severity" a value)."""
    text = normalise(name)
    if not text or len(text.split()) > 6:
        return None
    exact_value = next((k for k, names in VALUE_NAMES.items() if text in names), None)
    exact_section = next((k for k, names in SECTION_NAMES.items() if text in names), None)
    if exact_value and not exact_section:
        return ("value", exact_value)
    if exact_section:
        return ("section", exact_section)
    value = value_kind(name)
    if value:
        return ("value", value)
    section = section_kind(name)
    return ("section", section) if section else None
