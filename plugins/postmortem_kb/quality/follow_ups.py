"""Follow-ups that will get done: specific, starting with a verb, owned and dated.

"Investigate", "be more careful" and "improve monitoring" are the actions postmortem guides
warn about: they are closed without changing anything. The verb check is lenient on purpose:
it flags a first word that is clearly not a verb (a noun, an article, "we") and accepts a word
it does not know, because a false finding on a good action costs as much as a miss.
"""

from __future__ import annotations

import re

#: First words that make an action not start with a verb.
_NOT_VERBS = frozenset(
    """the a an more better new improved improvement improvements better we our someone
    somebody team it this that these those there need needs should must maybe possibly
    probably follow-up followup todo tbd n/a monitoring alerting testing documentation
    investigation analysis process training communication awareness postmortem""".split()  # noqa: SIM905
)
_NOUN_ENDINGS = ("tion", "tions", "ment", "ments", "ness", "ity", "ities", "ism")

_VAGUE = (
    re.compile(r"^(?:investigate|look into|explore|research|consider|discuss|think about|"
               r"follow up|check on|revisit|figure out|understand)\b", re.I),
    re.compile(r"\b(?:be|being) (?:more )?careful\b|\bpay (?:more )?attention\b", re.I),
    re.compile(r"^(?:improve|better|enhance|increase|strengthen|review)\s+(?:the |our )?"
               r"(?:monitoring|alerting|testing|tests|documentation|docs|communication|"
               r"processes|process|reliability|observability|logging|coverage)\.?$", re.I),
    re.compile(r"^add (?:more|better|additional|some) (?:tests|monitoring|alerts|alerting|"
               r"logging|logs|checks|documentation|metrics)\.?$", re.I),
    re.compile(r"^(?:fix|solve|address|resolve) (?:it|this|that|the (?:issue|problem|bug))\.?$",
               re.I),
)  # fmt: skip


def starts_with_a_verb(action: str) -> bool:
    words = action.strip().split()
    if not words:
        return False
    first = words[0].strip("*_`\"'").lower()
    if first in _NOT_VERBS or first.endswith(_NOUN_ENDINGS):
        return False
    return not (first.endswith("ing") and len(words) > 1 and words[1].lower() in {"of", "the"})


def vague_phrase(action: str) -> str | None:
    """The vague part of an action, or None."""
    text = " ".join(action.split())
    for pattern in _VAGUE:
        match = pattern.search(text)
        if match is not None:
            return match.group()
    return None
