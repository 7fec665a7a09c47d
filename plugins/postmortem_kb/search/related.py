"""Related incidents for every incident page, computed for the whole library at once.

An author's own `related:` links come first; the rest are the incidents most alike by a
blend of text similarity (TF-IDF cosine) and shared tags and services. Only documents of
one audience go in, so a public page can only point at public incidents.

Comparing every pair is quadratic, so text similarity only flows through an inverted
index of each incident's most distinctive terms, every list cut to the incidents the term
matters most to; tags and services then rescore a shortlist. The work grows with the
number of incidents times a capped list length, not with its square. Per incident, that
work is a handful of numpy operations over its postings rather than a Python loop over
each one: 10,000 incidents take seconds, not minutes. No index on disk, no whoosh.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .documents import STOP_WORDS, SearchDocument

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
    walk, so small libraries compare every pair and large ones stay near-linear. Ties
    go to the earlier document, which is the earlier id.
    """
    cap = max(50, int(LIST_CAP_FACTOR * math.sqrt(len(documents))))
    profiles = _profiles(documents)
    term_lists = _postings(profiles, "terms", cap)
    filed = _Filed.of(profiles)
    short_lists = {
        kind: {
            feature: members
            for feature, (members, _) in _postings(profiles, kind, None).items()
            if len(members) <= cap
        }
        for kind in ("tags", "services")
    }

    similar: dict[str, list[tuple[str, float]]] = {}
    for index, (document, profile) in enumerate(zip(documents, profiles, strict=True)):
        others, text = _text_overlap(profile.terms, term_lists)
        best_text = others[np.argsort(-text, kind="stable")[:SHORTLIST]]
        short = [
            short_lists[kind][feature]
            for kind in ("tags", "services")
            for feature in getattr(profile, kind)
            if feature in short_lists[kind]
        ]
        candidates = np.unique(np.concatenate([best_text, *short]))
        candidates = candidates[candidates != index]
        shared_text = _values_at(others, text, candidates)
        scores = np.round(TEXT_WEIGHT * shared_text + filed.scores(index, candidates), 9)
        order = np.lexsort((candidates, -scores))
        similar[document.id] = [
            (documents[other].id, float(score))
            for other, score in zip(candidates[order].tolist(), scores[order].tolist(), strict=True)
            if score > 0
        ]
    return similar


def _text_overlap(
    terms: dict[str, float], term_lists: dict[str, tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """The documents on the inverted lists of `terms` (ascending), and each one's text
    similarity summed over the lists it is on."""
    matched = [(term_lists[term], own) for term, own in terms.items() if term in term_lists]
    if not matched:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    others, inverse = np.unique(
        np.concatenate([members for (members, _), _ in matched]), return_inverse=True
    )
    products = np.concatenate([own * weights for (_, weights), own in matched])
    return others, np.bincount(inverse, products, minlength=len(others))


def _values_at(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The value of each `wanted` key, 0.0 where the ascending `keys` lack it."""
    if not len(keys):
        return np.zeros(len(wanted))
    at = np.searchsorted(keys, wanted).clip(max=len(keys) - 1)
    return np.where(keys[at] == wanted, values[at], 0.0)


def _postings(
    profiles: Sequence[_Profile], kind: str, cap: int | None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """feature → (document indexes, weights) for features two or more documents share,
    each list cut to the `cap` heaviest (ties: the earlier document)."""
    lists: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, profile in enumerate(profiles):
        features: dict[str, float] = getattr(profile, kind)
        for feature, weight in features.items():
            lists[feature].append((index, weight))
    postings = {}
    for feature, entries in lists.items():
        if len(entries) > 1:
            kept = sorted(entries, key=lambda entry: (-entry[1], entry[0]))[:cap]
            postings[feature] = (
                np.array([index for index, _ in kept], dtype=np.int64),
                np.array([weight for _, weight in kept]),
            )
    return postings


@dataclass(frozen=True)
class _Filed:
    """What every document is filed under (tags and services), as arrays, so one
    document's overlap with a whole candidate list is a few array operations.

    Row i holds document i's feature numbers (-1 pads), their weights, and the share of
    the blend each one's kind gets (`TAG_WEIGHT` or `SERVICE_WEIGHT`).
    """

    features: np.ndarray
    weights: np.ndarray
    shares: np.ndarray

    @classmethod
    def of(cls, profiles: Sequence[_Profile]) -> _Filed:
        numbers: dict[tuple[str, str], int] = {}
        rows = [
            [
                (numbers.setdefault((kind, feature), len(numbers)), weight, share)
                for kind, share in (("tags", TAG_WEIGHT), ("services", SERVICE_WEIGHT))
                for feature, weight in getattr(profile, kind).items()
            ]
            for profile in profiles
        ]
        width = max((len(row) for row in rows), default=0)
        features = np.full((len(rows), width), -1, dtype=np.int64)
        weights = np.zeros((len(rows), width))
        shares = np.zeros((len(rows), width))
        for index, row in enumerate(rows):
            if row:
                (
                    features[index, : len(row)],
                    weights[index, : len(row)],
                    shares[index, : len(row)],
                ) = zip(*row, strict=True)
        return cls(features, weights, shares)

    def scores(self, index: int, candidates: np.ndarray) -> np.ndarray:
        """Document `index`'s blended tag and service cosines with each candidate."""
        filed = self.features[index] >= 0
        own = self.features[index][filed]
        own_weights = (self.weights[index] * self.shares[index])[filed]
        match = self.features[candidates][:, :, None] == own[None, None, :]
        theirs = self.weights[candidates][:, :, None]
        return (match * theirs * own_weights[None, None, :]).sum(axis=(1, 2))


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
