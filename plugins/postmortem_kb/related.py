"""Related incidents for every incident page, computed for the whole library at once.

An author's own `related:` links come first; the rest are the incidents most alike by a
blend of text similarity (TF-IDF cosine) and shared tags and services. Only documents of
one audience go in, so a public page can only point at public incidents.

Comparing every pair is quadratic, so text similarity only flows through an inverted
index of each incident's most distinctive terms, every list cut to the incidents the term
matters most to; tags and services then rescore a shortlist. The work grows with the
number of incidents times a capped list length, not with its square.
Pure Python on plain data: no index on disk, no whoosh.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

from postmortem_kb.search_docs import STOP_WORDS, SearchDocument

#: How many related incidents a page shows at most, and how many it tries to show.
MAX_RELATED = 5
MIN_RELATED = 3
#: Past `MIN_RELATED`, a similar incident is shown only if it scores at least this share
#: of the best one: a page lists three good neighbours rather than five weak ones.
EXTRA_SCORE_SHARE = 0.5

#: The blend: what the incidents say, then what they are filed under.
TEXT_WEIGHT = 0.6
TAG_WEIGHT = 0.25
SERVICE_WEIGHT = 0.15

#: Each incident's text is compared by this many of its most distinctive terms.
DISTINCTIVE_TERMS = 20
#: Inverted lists hold at most this factor times the square root of the library size
#: documents (and at least 50).
LIST_CAP_FACTOR = 1.0
#: How many of the best text matches tags and services may reorder.
SHORTLIST = 50
#: Where each field's words count, relative to the narrative text.
FIELD_WEIGHTS = {"title": 3.0, "key_learning": 2.0, "summary": 2.0, "text": 1.0}

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class _Profile:
    """One incident as weighted features: distinctive terms, tags and services."""

    terms: dict[str, float]
    tags: dict[str, float]
    services: dict[str, float]


def compute_related(
    documents: Sequence[SearchDocument],
    manual: Mapping[str, Sequence[str]] | None = None,
    *,
    limit: int = MAX_RELATED,
    minimum: int = MIN_RELATED,
) -> dict[str, list[str]]:
    """id → related ids (at most `limit`) for every document, most related first.

    `manual` maps an id to the ids its author named (`related:`, `recurrence_of`); links
    to ids missing from `documents` (another audience's incidents) are dropped, and a link
    counts both ways. Similar incidents fill the rest: at least up to `minimum` when any
    share a feature, beyond it only close ones. The result depends only on the input set,
    not its order.
    """
    ordered = sorted(documents, key=lambda document: document.id)
    known = {document.id for document in ordered}
    named = _manual_links(manual or {}, known)
    similar = _similar(ordered)
    related: dict[str, list[str]] = {}
    for document in ordered:
        chosen = list(named.get(document.id, []))
        scored = [(doc_id, score) for doc_id, score in similar[document.id] if doc_id not in chosen]
        best = scored[0][1] if scored else 0.0
        for doc_id, score in scored:
            if len(chosen) >= limit:
                break
            if len(chosen) >= minimum and score < best * EXTRA_SCORE_SHARE:
                break
            chosen.append(doc_id)
        related[document.id] = chosen[:limit]
    return related


def _manual_links(manual: Mapping[str, Sequence[str]], known: set[str]) -> dict[str, list[str]]:
    """The author's links first, then links from incidents that name this one."""
    links: dict[str, list[str]] = defaultdict(list)
    for source in sorted(manual):
        if source not in known:
            continue
        for target in manual[source]:
            if target in known and target != source and target not in links[source]:
                links[source].append(target)
    for source in sorted(manual):
        for target in manual[source]:
            if source in known and target in known and source not in {target, *links[target]}:
                links[target].append(source)
    return links


def _similar(documents: Sequence[SearchDocument]) -> dict[str, list[tuple[str, float]]]:
    """id → (other id, blended score), best first, for the candidates of every document.

    Text similarity is summed over inverted lists of distinctive terms, each list cut to
    the `cap` documents the term matters most to: a common term then costs `cap`
    additions instead of one per document that uses it. Tags and services rescore the
    best text candidates, plus the members of any tag or service list short enough to
    walk, so small libraries compare every pair and large ones stay near-linear.
    """
    cap = max(50, int(LIST_CAP_FACTOR * math.sqrt(len(documents))))
    profiles = _profiles(documents)
    term_lists = _inverted(profiles, "terms", cap)
    short_lists = {
        kind: {
            feature: [index for index, _ in entries]
            for feature, entries in _inverted(profiles, kind, None).items()
            if len(entries) <= cap
        }
        for kind in ("tags", "services")
    }

    similar: dict[str, list[tuple[str, float]]] = {}
    for index, (document, profile) in enumerate(zip(documents, profiles, strict=True)):
        text: dict[int, float] = defaultdict(float)
        for term, own in profile.terms.items():
            for other, theirs in term_lists.get(term, ()):
                text[other] += own * theirs
        best_text = heapq.nlargest(SHORTLIST, text.items(), key=itemgetter(1))
        candidates = {other for other, _ in best_text}
        for kind in ("tags", "services"):
            for feature in getattr(profile, kind):
                candidates.update(short_lists[kind].get(feature, ()))
        candidates.discard(index)
        scored = []
        for other in candidates:
            score = (
                TEXT_WEIGHT * text.get(other, 0.0)
                + TAG_WEIGHT * _dot(profile.tags, profiles[other].tags)
                + SERVICE_WEIGHT * _dot(profile.services, profiles[other].services)
            )
            if score > 0:
                scored.append((round(score, 9), documents[other].id))
        scored.sort(key=lambda item: (-item[0], item[1]))
        similar[document.id] = [(other_id, score) for score, other_id in scored]
    return similar


def _inverted(
    profiles: Sequence[_Profile], kind: str, cap: int | None
) -> dict[str, list[tuple[int, float]]]:
    """feature → (document index, weight) for features two or more documents share, each
    list cut to the `cap` heaviest (ties: the earlier document, by id)."""
    lists: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, profile in enumerate(profiles):
        features: dict[str, float] = getattr(profile, kind)
        for feature, weight in features.items():
            lists[feature].append((index, weight))
    return {
        feature: sorted(entries, key=lambda entry: (-entry[1], entry[0]))[:cap]
        for feature, entries in lists.items()
        if len(entries) > 1
    }


def _dot(one: dict[str, float], other: dict[str, float]) -> float:
    if len(other) < len(one):
        one, other = other, one
    return sum(weight * other.get(feature, 0.0) for feature, weight in one.items())


def _profiles(documents: Sequence[SearchDocument]) -> list[_Profile]:
    """Unit-length TF-IDF vectors of text terms, tags and services.

    The text vector is normalised over all its terms, then cut to the most distinctive
    ones another document shares: long narratives do not dominate, and no slot goes to a
    word only this incident uses.
    """
    count = len(documents)
    term_counts = [_term_counts(document) for document in documents]
    tag_sets = [{tag.lower() for tag in document.tags} for document in documents]
    service_sets = [{service.lower() for service in document.services} for document in documents]
    term_seen = _document_frequency(term_counts)
    tag_seen = _document_frequency(tag_sets)
    service_seen = _document_frequency(service_sets)
    profiles = []
    for counts, tags, services in zip(term_counts, tag_sets, service_sets, strict=True):
        terms = _unit(
            {term: (1 + math.log(tf)) * _idf(term_seen[term], count) for term, tf in counts.items()}
        )
        shareable = sorted(
            (term for term in terms if term_seen[term] > 1 and terms[term] > 0),
            key=lambda term: (-terms[term], term),
        )
        profiles.append(
            _Profile(
                terms={term: terms[term] for term in shareable[:DISTINCTIVE_TERMS]},
                tags=_unit({tag: _idf(tag_seen[tag], count) for tag in tags}),
                services=_unit({svc: _idf(service_seen[svc], count) for svc in services}),
            )
        )
    return profiles


def _term_counts(document: SearchDocument) -> dict[str, float]:
    """Stemmed term → occurrences, an occurrence counting more in the telling fields."""
    counts: dict[str, float] = defaultdict(float)
    for field_name, weight in FIELD_WEIGHTS.items():
        text: str = getattr(document, field_name)
        for word in _WORD.findall(text.lower()):
            if len(word) > 2 and word not in STOP_WORDS and not word.isdigit():
                counts[_stem(word)] += weight
    return counts


def _document_frequency(feature_sets: Iterable[Iterable[str]]) -> Counter[str]:
    frequency: Counter[str] = Counter()
    for features in feature_sets:
        frequency.update(set(features))
    return frequency


def _idf(seen: int, count: int) -> float:
    """Inverse document frequency: a feature every document has tells nothing apart."""
    return math.log(count / seen)


def _unit(weights: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(weight * weight for weight in weights.values()))
    return {key: weight / norm for key, weight in weights.items()} if norm else {}


@functools.lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    """A light English stemmer: enough that "certificates" and "certificate", "expired" and
    "expiring" meet. Cached, since a library repeats its vocabulary endlessly."""
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word
