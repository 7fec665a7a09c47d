"""Blaming language: sentences that ask who is at fault instead of what made an action reasonable.

A blameless postmortem describes people's actions neutrally and looks for the conditions that
made them reasonable at the time. This module finds the common ways a text slips, sentence by
sentence, precisely enough to be trusted in CI: a finding on a good postmortem costs as much as
a miss. So every rule looks at who the sentence is about:

* `blameless/blame-word`: words that judge a person (careless, negligent, sloppy, "be more
  careful", "fault" and "blame" about people) — never technical terms (fault tolerance, a
  hardware fault, `git blame`, blameless);
* `blameless/human-error`: "human error", "operator error" and the like, as a cause;
* `blameless/counterfactual`: a person as the subject of "should have", "failed to",
  "forgot to", "neglected to", "ignored" … ("the alert should have fired" is about a system
  and is fine, and so is a passive "should have been rolled back");
* `blameless/person-contributor`: a contributing factor whose subject is a person (a
  `@handle`, the commander or owner, a name from `_roles.yml`): a contributor is a condition.

Who counts as a person: pronouns (he, she, someone …), `@handles`, the names the roles file
gives (`names:`), role nouns (engineer, operator, on-call …) and, with verbs only people do
("should have checked", "failed to notice"), a capitalised name. "We" is not flagged: a team
reflecting on itself is the blameless voice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

#: Words that, as the subject's head, make it a person.
PERSON_WORDS = frozenset(
    """he she him her his someone somebody anyone anybody nobody no-one everyone
    engineer engineers operator operators on-call oncall developer developers dev devs admin
    admins administrator administrators sre sres reviewer reviewers author authors approver
    commander owner manager lead staff employee employees person people contractor intern
    analyst teammate colleague responder responders
    """.split()  # noqa: SIM905 (a word list reads best as words)
)  # fmt: skip
#: Subjects that are never people, though they may look like names.
_NOT_PEOPLE = frozenset({"we", "our", "it", "this", "that", "they", "there", "nothing"})
#: Verbs only people do, after "should have" / "failed to": with them, a capitalised name is
#: taken for a person. ("page", "respond", "alert", "fire", "start" are things systems do.)
HUMAN_VERBS = frozenset(
    """check checked test tested verify verified review reviewed notice noticed know known ask
    asked follow followed read wait waited escalate escalated look looked catch caught realise
    realised realize realized confirm confirmed communicate communicated tell told inform
    informed think thought consider considered coordinate coordinated document documented
    double-check double-checked listen listened pay paid care cared bother bothered remember
    remembered understand understood question questioned spot spotted report reported
    """.split()  # noqa: SIM905 (a word list reads best as words)
)  # fmt: skip

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z@\"'(\[])|\n\s*\n|\n\s*[-*+]\s+|\n\s*\d+\.\s+")
_CLAUSE_START = re.compile(r"[,;:(]|\b(?:and|but|because|so|when|while|after|before|since|if)\b")
_CODE_BLOCK = re.compile(r"^(\s*)(`{3,}|~{3,}).*?^\1\2\s*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9][A-Za-z0-9_.-]*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
#: Where a contributor's subject ends: its first finite verb, roughly.
_FIRST_VERB = re.compile(
    r"\b(?:is|was|were|are|had|has|have|did|does|ran|run|runs|made|makes|used|chose|"
    r"deployed|pushed|merged|changed|deleted|ran|typed|approved|skipped|forgot|missed|"
    r"ignored|assumed|thought|decided|\w+ed)\b"
)

#: "Had Chris checked …": a counterfactual told as a condition, about a person.
_HAD_PERSON = re.compile(
    r"\b(?i:had|if only)\s+(?P<who>@[\w.-]+|[A-Z][a-z]+|(?i:he|she|someone|somebody|the (?:"
    r"engineer|operator|on-call|developer|reviewer|responder|admin|author)))\s+(?:only\s+)?"
    r"(?P<verb>[a-z-]+)"
)
#: What blames when a person (or a bare name) is its subject ("our intern broke production",
#: "John made a mistake"); with a system as subject it is a plain description.
_PERSON_CAUSED = re.compile(
    r"\b(?:broke|caused|took down|brought down|messed up|screwed up|"
    r"made (?:a|an) (?:\w+ )?(?:mistake|error|blunder)|made (?:the|this|that) mistake of)\b"
)
_COUNTERFACTUAL = re.compile(
    r"\b(?P<phrase>should(?:n't| not)? have|could(?:n't| not)? have|failed to|neglected to|"
    r"forgot(?:ten)? to|forgot|did(?:n't| not) bother to|did(?:n't| not) (?:think|care) to|"
    r"ignored|overlooked|missed)\b\s*(?P<verb>[A-Za-z-]+)?"
)
#: Phrases that name a person whatever the subject ("forgot" is something people do).
_PERSON_ONLY_PHRASES = frozenset({"forgot", "forgot to", "forgotten to", "neglected to",
                                  "didn't bother to", "did not bother to", "ignored"})
#: "should have been <participle>" is passive: it says what should have happened, to nobody.
_PARTICIPLE = re.compile(
    r"^(?:\w+(?:ed|en|wn|ght|ne|ept|eft|ead|aid|old|ook|ung|unk|ade)|run|been|had|got|put|set|"
    r"cut|let|hit|left|sent|spent|built|kept|slept|felt|meant|lost|paid|said|told|sold|found|"
    r"held|stood|understood|bought|brought|caught|taught|fought|thought|sought|made|read)$"
)
_PASSIVE = re.compile(r"^been\s+(?!more\b|careful\b|aware\b|paying\b|watching\b)\w+", re.I)

_HUMAN_ERROR = re.compile(
    r"\b(?<!not )(?<!no )(?:human|operator|user|engineer|personnel|pilot|manual)[- ]errors?\b"
    r"(?![- ](?:rates?|budgets?|messages?|codes?|pages?|responses?|counts?|handling)\b)"
)
_BLAME_WORDS = re.compile(
    r"\b(?:careless(?:ly|ness)?|negligen(?:t|tly|ce)|sloppy|sloppiness|incompeten(?:t|ce)|"
    r"lazy|laziness|reckless(?:ly|ness)?|stupid(?:ity)?|idiot(?:ic)?|dumb|inattenti(?:ve|on)|"
    r"fat[- ]finger(?:ed|ing)?|rookie mistake|(?:be|being|was|were) more careful|"
    r"more care(?:ful)?|pay(?:ing)? (?:more )?attention|paid (?:more )?attention|"
    r"(?:should|ought to) (?:have )?know(?:n)? better|lack of (?:care|attention|diligence)|"
    r"(?:his|her|their|[A-Za-z]+'s) (?:fault|mistake|negligence|carelessness)|at fault|"
    r"to blame|"
    r"(?:is|was|were|are) blamed|blame[sd]? (?:on|for|him|her|them)|"
    r"(?:the )?(?:fault|blame) (?:lies|lay|was|rests|falls) (?:with|on)|(?:the )?fault of|"
    r"(?:made|was) a (?:bad|poor|wrong) (?:call|decision|choice)|(?:poor|bad) judge?ment|"
    r"culprit was|should be (?:disciplined|reprimanded|held accountable))\b"
)
#: Look-alikes of blame words that are about systems.
_TECHNICAL = re.compile(
    r"\b(?:fault[- ]?toleran\w*|fault[- ]injection|fault domains?|page faults?|"
    r"segmentation faults?|segfaults?|faulty|git blame|blameless\w*|no[- ]fault|"
    r"(?:hardware|network|firmware|known|routing|carrier|disk|power|reset|software|"
    r"controller|upstream|intermittent|transient|latent) faults?)\b"
)
#: `_TECHNICAL`, `_HUMAN_ERROR`, `_BLAME_WORDS`, `_COUNTERFACTUAL` and `_PERSON_CAUSED` are
#: written for lower-case text (`_Lowered`); their case-blind forms, for text that has none.
_CASE_BLIND = {
    pattern: re.compile(pattern.pattern, re.IGNORECASE)
    for pattern in (_TECHNICAL, _HUMAN_ERROR, _BLAME_WORDS, _COUNTERFACTUAL, _PERSON_CAUSED)
}


@dataclass(frozen=True)
class BlameFinding:
    """One blaming sentence: which rule, the sentence, what matched, and a reframing."""

    rule: str
    sentence: str
    matched: str
    suggestion: str


SUGGESTIONS = {
    "blameless/blame-word": (
        "describe what the person did and what made it reasonable at the time, without"
        " judging them (e.g. 'the command ran against the primary; both prompts looked"
        " identical')"
    ),
    "blameless/human-error": (
        "name the condition that made the action possible instead of 'human error' (e.g."
        " 'the deploy tool accepted a config the linter had not checked')"
    ),
    "blameless/counterfactual": (
        "say what happened and what would have helped, not what a person should have done"
        " (e.g. 'the runbook did not mention the replica check; it does now')"
    ),
    "blameless/person-contributor": (
        "make the contributor a condition of the system or process, not a person (e.g."
        " 'production and replica shells looked identical', not '@dana ran the command')"
    ),
}


class BlamelessWording:
    """Who the people are, and the team's own wording lists (`quality.blameless`)."""

    def __init__(
        self,
        people: Iterable[str] = (),
        phrases: Sequence[str] = (),
        allow: Sequence[str] = (),
    ) -> None:
        """`people`: handles and names (roles file, commander, owner); `phrases`: extra
        blaming phrases and `allow`: phrases never flagged, both regular expressions."""
        self.people = frozenset(person.casefold().removeprefix("@") for person in people)
        self.extra = _any_of(phrases)
        self.allow = _any_of(allow)

    def is_person(self, token: str) -> bool:
        return token.casefold().removeprefix("@") in self.people

    def names_a_person(self, words: Iterable[str]) -> bool:
        """Whether the words hold a name of several words (`Dana Ruiz`) from `people`."""
        joined = " ".join(word.casefold() for word in words)
        return any(" " in person and person in joined for person in self.people)


def _any_of(patterns: Sequence[str]) -> re.Pattern[str] | None:
    joined = "|".join(f"(?:{pattern})" for pattern in patterns)
    return re.compile(joined, re.IGNORECASE) if joined else None


def find_blame(text: str, wording: BlamelessWording | None = None) -> list[BlameFinding]:
    """Every blaming sentence of a Markdown text (code is not read)."""
    wording = wording or BlamelessWording()
    findings = []
    for sentence in sentences(text):
        finding = _blame_in(sentence, wording)
        if finding is not None:
            findings.append(finding)
    return findings


def person_as_subject(text: str, wording: BlamelessWording) -> str | None:
    """The person a contributor is about, when its subject is one: a handle, or a name of
    the roles file (or the commander's or owner's)."""
    prose = _prose(text).strip()
    verb = _FIRST_VERB.search(prose)
    subject = _subject_words(prose, verb.start() if verb else len(prose))
    for token in subject:
        if token.startswith("@") or wording.is_person(token):
            return token
    return " ".join(subject) if wording.names_a_person(subject) else None


def sentences(text: str) -> Iterator[str]:
    """The sentences of a text's prose, code removed."""
    for piece in _SENTENCE_END.split(_prose(text)):
        sentence = " ".join(piece.split()).strip(" -*>#")
        if sentence:
            yield sentence


def _prose(text: str) -> str:
    return _CODE_SPAN.sub(" ", _CODE_BLOCK.sub("\n", text))


def _blame_in(sentence: str, wording: BlamelessWording) -> BlameFinding | None:
    checked = wording.allow.sub(" ", sentence) if wording.allow is not None else sentence
    technical, lower = _Lowered.of(checked).blank(_TECHNICAL)
    for rule, pattern in (
        ("blameless/human-error", _HUMAN_ERROR),
        ("blameless/blame-word", _BLAME_WORDS),
    ):
        found = lower.search(pattern)
        if found is not None:
            return BlameFinding(rule, sentence, technical[found[0] : found[1]], SUGGESTIONS[rule])
    match = wording.extra.search(technical) if wording.extra is not None else None
    if match is not None:
        rule = "blameless/blame-word"
        return BlameFinding(rule, sentence, match.group(), SUGGESTIONS[rule])
    rule = "blameless/counterfactual"
    for match in lower.finditer(_COUNTERFACTUAL):
        if _blames_a_person(technical, match, wording):
            matched = technical[match.start() : match.end()].strip()
            return BlameFinding(rule, sentence, matched, SUGGESTIONS[rule])
    for match in _HAD_PERSON.finditer(technical):
        if match["verb"] in HUMAN_VERBS:
            return BlameFinding(rule, sentence, match.group(), SUGGESTIONS[rule])
    for match in lower.finditer(_PERSON_CAUSED):
        if _subject_kind(_subject_words(technical, match.start()), wording) in {"person", "name"}:
            return BlameFinding(rule, sentence, technical[match.start() : match.end()],
                                SUGGESTIONS[rule])
    return None


class _Lowered:
    """A sentence in lower case, for the case-blind patterns: Python's regular expressions
    run several times faster without `re.IGNORECASE`, and the checks run on every sentence
    of every postmortem at every build. Positions in it are positions in the sentence,
    since lower-casing kept its length; when it would not (`İ`), the sentence is searched
    as written, with the pattern's `re.IGNORECASE` form."""

    def __init__(self, text: str, lower: str | None) -> None:
        self.text = text
        self.lower = lower

    @classmethod
    def of(cls, text: str) -> _Lowered:
        lower = text.lower()
        return cls(text, lower if len(lower) == len(text) else None)

    def blank(self, pattern: re.Pattern[str]) -> tuple[str, _Lowered]:
        """The text with every match of `pattern` replaced by a space, and its lowered self."""
        if self.lower is None:
            text = _CASE_BLIND[pattern].sub(" ", self.text)
            return text, _Lowered(text, None)
        spans = [match.span() for match in pattern.finditer(self.lower)]
        if not spans:
            return self.text, self

        def blanked(source: str) -> str:
            ends = [0, *(end for _, end in spans)]
            starts = [*(start for start, _ in spans), len(source)]
            return " ".join(source[end:start] for end, start in zip(ends, starts, strict=True))

        text = blanked(self.text)
        return text, _Lowered(text, blanked(self.lower))

    def search(self, pattern: re.Pattern[str]) -> tuple[int, int] | None:
        """Where `pattern` first matches, as (start, end)."""
        if self.lower is None:
            match = _CASE_BLIND[pattern].search(self.text)
        else:
            match = pattern.search(self.lower)
        return match.span() if match is not None else None

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Every match of `pattern`; its groups are lower case unless the text had no such
        form (read what matched from the text, by position)."""
        if self.lower is None:
            return _CASE_BLIND[pattern].finditer(self.text)
        return pattern.finditer(self.lower)


def _blames_a_person(sentence: str, match: re.Match[str], wording: BlamelessWording) -> bool:
    """Whether a counterfactual phrase is said of a person (see the module docstring)."""
    phrase = " ".join(match["phrase"].lower().split())
    verb = (match["verb"] or "").lower()
    after = sentence[match.end("phrase") :].strip()
    kind = _subject_kind(_subject_words(sentence, match.start()), wording)
    if kind == "not-person":
        return False
    if phrase.startswith(("should", "could")):
        # "should have been rolled back" is passive; "should have a runbook" is advice.
        if _PASSIVE.match(after) or not (verb in HUMAN_VERBS or _PARTICIPLE.match(verb)):
            return False
        return kind == "person" or verb in HUMAN_VERBS
    if phrase == "failed to":
        # "failed to receive the page" happened to them; "failed to check" is blame.
        return verb in HUMAN_VERBS
    if phrase in _PERSON_ONLY_PHRASES - {"ignored"}:
        return True
    # ignored, overlooked, missed: systems do these too ("the scheduler ignored the taint").
    return kind == "person"


def _subject_words(sentence: str, end: int) -> list[str]:
    """The words of the clause before `end` (from its last clause break)."""
    before = sentence[:end]
    starts = [m.end() for m in _CLAUSE_START.finditer(before)]
    clause = before[starts[-1] :] if starts else before
    return [*_HANDLE.findall(clause), *_WORD.findall(_HANDLE.sub(" ", clause))]


def _subject_kind(words: Sequence[str], wording: BlamelessWording) -> str:
    """"person", "not-person", or "name" (capitalised words only: could be either)."""
    lowered = [word.lower() for word in words]
    if any(word.startswith("@") or wording.is_person(word) for word in words):
        return "person"
    if wording.names_a_person(words) or any(word in PERSON_WORDS for word in lowered):
        return "person"
    if any(word in _NOT_PEOPLE for word in lowered):
        return "not-person"
    content = [word for word in words if word.lower() not in {"the", "a", "an"}]
    if content and all(word[0].isupper() for word in content) and len(content) <= 3:
        return "name"
    return "not-person"
