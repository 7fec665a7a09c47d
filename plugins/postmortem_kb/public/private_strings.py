"""The private strings: what of the knowledge base the leak guard looks for on the public site.

Private: everything of an incident that is not published publicly; of a public incident,
everything its `PublicIncident` does not show, plus the internal blocks and spans of its
public texts.

Private by default, derived from the model: every string anywhere in an `Incident` — its
dataclass fields, recursively through nested dataclasses, tuples and dicts (keys too) — is
private, except the fields `_EXCEPTIONS` names, each with its reason. A list of private
fields kept by hand goes stale silently: a field added to the model later would reach the
public site unscanned. Derived, a new field is scanned for from the day it exists; if that is
wrong for it, the build fails closed (a leak reported) until someone writes the exception.

Distinctive enough to scan for, so that a clean site never fails (`_needles`):

* a whole value that is one identifier-like token of 4+ characters: it has a letter and a
  digit, one of `_ . / @ :`, mixed case (`PagerDuty`) or upper case with `-` (`OPS-DB`) — and
  in name fields (services, tags, handles, owners, tickets, ids, links, files) also lower-case
  words joined by `-` (`payments-api`); plain words (`billing`, `search`) and prose compounds
  (`on-call`) read like prose and are not;
* in prose, every fragment between line breaks, sentence ends and Markdown punctuation that
  is 20+ characters and 3+ words, and every identifier-like token of 6+ characters.

A candidate that occurs in any public text (or in `also_public`: public tag names,
severities, the site's own pages) is dropped; both are compared as slugs (lower case,
punctuation and spaces as `-`), because the site turns public names into URLs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from ..core.model import (
    Evidence,
    Factor,
    FollowUp,
    Impact,
    ImpactMeasure,
    ImpactPhase,
    ImportSource,
    Incident,
    PublicIncident,
    Review,
    TimelineEntry,
)
from .deny import MIN_PRIVATE_LENGTH, PrivateMatcher, normalise
from .internal_markup import internal_parts

#: A fragment of private prose is scanned for when it is a sentence this long…
MIN_SENTENCE_LENGTH = 20
#: …with at least this many words.
MIN_SENTENCE_WORDS = 3
#: A single word inside private prose is scanned for when it is identifier-like and this long.
MIN_FRAGMENT_TOKEN_LENGTH = 6

_NOT_WORD = re.compile(r"[\W_]+")
_INDEX = re.compile(r"\[\d+\]")
_TRAILING_INDEX = re.compile(r"\[\d+\]$")
# Where private prose is cut into fragments: lines, sentence ends and Markdown punctuation.
_FRAGMENT_BREAK = re.compile(r"\n|(?<=[.!?;:])\s+|[*`\[\]()<>{}|#~\\]+")
_EDGE_PUNCTUATION = " \t`*_~\"'.,;:!?-+"
#: Values of the model that hold no text: nothing in them to scan for.
_NOT_TEXT = (type(None), bool, int, float, dt.date, dt.timedelta)

#: (field path, value): one private value and where in the incident it is.
_Found = Iterator[tuple[str, str]]
#: How an exception reads one field: (the dataclass holding it, the field's value, its path,
#: whether the incident is public) → the field's private values.
_FieldReading = Callable[[Any, Any, str, bool], _Found]


def collect_private_strings(
    incidents: Iterable[Incident],
    public_incidents: Iterable[PublicIncident],
    *,
    also_public: Iterable[str] = (),
) -> dict[str, str]:
    """The private values worth scanning the public site for, each with its label.

    See the module docstring for what is private and what is distinctive enough. Values map
    to "private field <field> of <source file>": the report names where to look.
    """
    public_list = list(public_incidents)
    public_by_id = {incident.id: incident for incident in public_list}
    candidates: dict[str, str] = {}
    for incident in incidents:
        where = f"of {incident.source}"
        for field, value in _private_values(incident, public_by_id.get(incident.id)):
            # One label per list (`services`, not `services[3]`): a report names each label
            # once per file, so a page showing three private services is one leak, as before.
            label = f"private field {_TRAILING_INDEX.sub('', field)} {where}"
            for needle in _needles(value, name=_is_name_field(field)):
                candidates.setdefault(needle, label)
    public_texts = [text for incident in public_list for text in _public_texts(incident)]
    corpus = "\n".join(normalise(html.unescape(text)) for text in [*public_texts, *also_public])
    # Compared as slugs: the site turns public names into URLs and anchors
    # ("Merchant dashboard" → services/merchant-dashboard/), so an internal
    # `merchant-dashboard` whose words are public anyway would otherwise fail every build.
    slugs = {needle: _slug(needle) for needle in candidates}
    slug_matcher = PrivateMatcher(dict.fromkeys(slugs.values(), "public"))
    in_public = {found.needle for found in slug_matcher.find(_slug(corpus))}
    return {needle: label for needle, label in candidates.items() if slugs[needle] not in in_public}


#: Fields whose values are names, not prose (the last part of the field path).
_NAMES = frozenset(
    {"id", "source", "services", "tags", "roles", "related", "recurrence_of", "links"}
    | {"commander", "owner", "ticket", "priority", "link", "file", "company", "factor"}
)


def _is_name_field(field: str) -> bool:
    """`follow_ups[2].owner` → is `owner` a name field?"""
    return _INDEX.sub("", field).rsplit(".", 1)[-1] in _NAMES


def _slug(text: str) -> str:
    return _NOT_WORD.sub("-", text.lower())


def _private_values(incident: Incident, public: PublicIncident | None) -> _Found:
    """(field path, value) for every private value of an incident; `public` is its projection.

    Every string in the incident, except as `_EXCEPTIONS` says (see module docstring).
    """
    return _strings(incident, "", public is not None)


def _strings(value: object, path: str, is_public: bool) -> _Found:
    """Every string in a value of the model with its field path, the exceptions applied.

    Dataclass fields go by name and tuple items by position (`follow_ups[2].owner`). Dict
    entries, key and value, go by position too (`links[0]`): a key can be private itself (a
    link's name, a handle), and the path ends up in leak reports, which must not repeat what
    they found. A value of a type this does not know raises TypeError rather than go
    unscanned.
    """
    if isinstance(value, str):
        yield path, value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            field_path = f"{path}.{field.name}" if path else field.name
            read = _reading(type(value), field.name)
            yield from read(value, getattr(value, field.name), field_path, is_public)
    elif isinstance(value, Mapping):
        for index, (key, item) in enumerate(value.items()):
            yield from _strings(key, f"{path}[{index}]", is_public)
            yield from _strings(item, f"{path}[{index}]", is_public)
    elif isinstance(value, (tuple, list, set, frozenset)):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]", is_public)
    elif not isinstance(value, _NOT_TEXT):
        raise TypeError(
            f"{path}: cannot read a {type(value).__name__} for private strings; "
            "teach private_strings._strings how, so it is scanned for"
        )


def _reading(owner: type, name: str) -> _FieldReading:
    """How field `name` of an `owner` instance is read: its exception, else `_whole`.

    Looked up along the class hierarchy, so a subclass of `Incident` keeps the exceptions.
    """
    for cls in owner.__mro__:
        reading = _EXCEPTIONS.get((cls, name))
        if reading is not None:
            return reading
    return _whole


def _whole(owner: Any, value: Any, path: str, is_public: bool) -> _Found:
    """Every string in the value: how a field is read unless it is an exception."""
    return _strings(value, path, is_public)


def _not_secret(owner: Any, value: Any, path: str, is_public: bool) -> _Found:
    """Nothing: the field holds no secret."""
    yield from ()


def _shown_when(marked: Callable[[Any], bool]) -> _FieldReading:
    """A text the public site shows when the incident is public and `marked(owner)` holds.

    Then only its internal blocks and spans are private (the projection drops those and
    shows the rest); otherwise the whole text is.
    """

    def read(owner: Any, value: Any, path: str, is_public: bool) -> _Found:
        shown = is_public and marked(owner)
        for field, text in _strings(value, path, is_public):
            if shown:
                yield from ((field, part) for part in internal_parts(text))
            else:
                yield field, text

    return read


def _private_unless_public(owner: Any, value: Any, path: str, is_public: bool) -> _Found:
    """The whole value, unless the incident is public and the site shows it."""
    if not is_public:
        yield from _strings(value, path, is_public)


def _with_file_name(owner: Any, value: Any, path: str, is_public: bool) -> _Found:
    """A path, and its file name alone: a site shows a copied file under its name only."""
    for field, text in _strings(value, path, is_public):
        yield field, text
        yield field, PurePosixPath(text).name


def _url(owner: Any, value: Any, path: str, is_public: bool) -> _Found:
    """A URL without its trailing slash, so that it matches written either way."""
    yield from ((field, text.rstrip("/")) for field, text in _strings(value, path, is_public))


def _links(owner: Any, value: Mapping[str, str], path: str, is_public: bool) -> _Found:
    """Name → URL: the name as written, the URL as `_url` reads it."""
    for index, (name, url) in enumerate(value.items()):
        yield f"{path}[{index}]", name
        yield from _url(owner, url, f"{path}[{index}]", is_public)


def _handles(owner: Any, value: Mapping[str, str], path: str, is_public: bool) -> _Found:
    """`@handle` → role: each handle as `@handle`, never the role (see `_EXCEPTIONS`)."""
    for index, handle in enumerate(value):
        yield f"{path}[{index}]", "@" + handle.removeprefix("@")


def _by_category(owner: Any, value: Mapping[str, Any], path: str, is_public: bool) -> _Found:
    """Category → items: the items, with the category (not secret) named in the path."""
    for category, items in value.items():
        yield from _strings(items, f"{path}.{category}", is_public)


#: The exceptions to "every string of an incident is private", by dataclass and field name;
#: every other field of the model is read whole by `_strings`. (Dates, times, durations,
#: booleans and numbers hold no text, so there is nothing in them to scan for anyway.)
_EXCEPTIONS: dict[tuple[type, str], _FieldReading] = {
    # Closed vocabularies, not secrets: they are common words (`published`, `SEV-2`,
    # `deploy`, `alert`, `done`) that the public site shows or could show anywhere.
    (Incident, "status"): _not_secret,
    (Incident, "severity"): _not_secret,
    (Incident, "trigger"): _not_secret,
    (TimelineEntry, "kind"): _not_secret,
    (FollowUp, "status"): _not_secret,
    (Incident, "type"): _not_secret,
    (ImpactPhase, "state"): _not_secret,
    (FollowUp, "type"): _not_secret,
    (Factor, "kind"): _not_secret,
    (Factor, "likelihood"): _not_secret,
    (Factor, "severity"): _not_secret,
    # Bookkeeping: which impact times were derived, by their field names (`detected`).
    (Impact, "derived"): _not_secret,
    # Bookkeeping: field paths of the file format (`timeline[2].at`) → line numbers.
    (Incident, "lines"): _not_secret,
    # Learning categories are a closed vocabulary too (LEARNING_CATEGORIES or "general"),
    # so they may name the field in reports (`learnings.technical`); the learnings are private.
    (Incident, "learnings"): _by_category,
    # Role names are what the public site shows instead of a handle, so they are public by
    # design; the handles they replace are private.
    (Incident, "roles"): _handles,
    # Texts the public site shows when the incident is public: the author's customer-facing
    # text, and timeline entries and follow-ups marked `public: true`. For those only the
    # internal parts are private; of an incident that is not public, all of it is.
    (Incident, "public"): _shown_when(lambda incident: True),
    (TimelineEntry, "event"): _shown_when(lambda entry: entry.public),
    (FollowUp, "action"): _shown_when(lambda follow_up: follow_up.public),
    (ImpactPhase, "note"): _shown_when(lambda phase: phase.public),
    (ImpactMeasure, "what"): _shown_when(lambda measure: measure.public),
    (ImpactMeasure, "unit"): _shown_when(lambda measure: measure.public),
    # A public incident's id is its URL on the public site; any other id is private.
    (Incident, "id"): _private_unless_public,
    # Paths: the file name alone is private too.
    (Incident, "source"): _with_file_name,
    (Evidence, "file"): _with_file_name,
    (ImportSource, "path"): _with_file_name,
    # URLs, found whether written with a trailing slash or without.
    (Incident, "links"): _links,
    (Evidence, "link"): _url,
    (Review, "notes"): _url,
    (Incident, "source_url"): _url,
}


def _public_texts(incident: PublicIncident) -> Iterator[str]:
    yield from (incident.id, incident.title, incident.severity, incident.summary)
    optional = (incident.impact, incident.remediation, incident.key_learning)
    yield from (text for text in optional if text)
    yield from incident.services
    yield from incident.tags
    yield from (entry.event for entry in incident.timeline)
    yield from (follow_up.action for follow_up in incident.follow_ups)
    yield from (phase.note for phase in incident.phases if phase.note)
    for measure in incident.measures:
        yield from (text for text in (measure.what, measure.unit) if text)


def _needles(value: str, *, name: bool) -> Iterator[str]:
    """The distinctive strings of one value (see module docstring)."""
    whole = normalise(html.unescape(value)).strip(_EDGE_PUNCTUATION)
    if _is_identifier_like(whole, MIN_PRIVATE_LENGTH, hyphenated_words=name):
        yield whole
    for piece in _FRAGMENT_BREAK.split(value):
        fragment = normalise(html.unescape(piece)).strip(_EDGE_PUNCTUATION)
        if fragment != whole and (
            _is_sentence(fragment) or _is_identifier_like(fragment, MIN_FRAGMENT_TOKEN_LENGTH)
        ):
            yield fragment


def _is_sentence(text: str) -> bool:
    return len(text) >= MIN_SENTENCE_LENGTH and len(text.split()) >= MIN_SENTENCE_WORDS


def _is_identifier_like(text: str, minimum: int, *, hyphenated_words: bool = False) -> bool:
    """A token no prose is made of; `hyphenated_words` also admits `payments-api`."""
    if len(text) < minimum or any(char.isspace() for char in text):
        return False
    if not any(char.isalpha() for char in text):
        return False  # numbers, dates, times, versions without letters
    if any(char.isdigit() or char in "_./@:" for char in text):
        return True
    if any(char.isupper() for char in text[1:]) and any(char.islower() for char in text):
        return True  # PagerDuty
    words = text.split("-")
    if len(words) < 2 or not all(word.isalpha() for word in words):
        return False
    return hyphenated_words or text.isupper()  # on-call is prose, OPS-DB is not
