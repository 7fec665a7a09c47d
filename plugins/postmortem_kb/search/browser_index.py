"""The site search box's index, written at build time in pieces a browser loads as it needs them.

mkdocs-material's own search loads one index of every page before it answers anything: at
10,000 incidents that is megabytes before the first result. This index is split instead, so
a question costs the manifest, one term shard per word and one document chunk per result shown:

- `manifest.json`, loaded when a page opens: the term rules (`terms.py`), the severity scale,
  the words that name each severity (`sev1`, `SEV-1`, configured aliases such as `p1`), each
  document's severity, and the first stem of each shard;
- term shards `t<n>.json`: the stems in sorted order, cut into consecutive ranges of about
  `SHARD_BYTES`; each stem with its postings (document number, weight), and the words that
  stem into the range, which one-typo and prefix matching compare against;
- document chunks `d<n>.json` of `CHUNK_DOCUMENTS` documents: what a result shows (URL,
  title, summary, key learning, severity, date), plain text, never page HTML.

Documents come in the order given (incidents newest first, then pages): a document's number
is its place, so "newest first" needs no dates. The manifest carries a `version`, a hash of
every other piece, which the worker puts in their URLs: a browser may keep a piece as long as
it likes, and a rebuilt index is never read half old. The manifest keeps its name (every page
points at it) and the worker revalidates it.

Ranking data is BM25F, as `pmkb search` ranks: a word's weight in a document adds up its
occurrences in each field times the field's boost (`FIELD_BOOSTS`), each field's count
normalised by that field's length against its average, then saturated (`K1`). The weight is
stored as a whole number from 1 to `WEIGHT_LEVELS`; the inverse document frequency depends
only on a posting list's length, so the worker computes it.

Nothing here reads HTML or knows MkDocs: the documents are built from the audience's data,
so a public index holds public text only, and an unchanged page that a build skips still
finds its document here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .documents import FIELD_BOOSTS, SearchDocument
from .terms import fold, stem, term_rules, word_counts

#: Version of the pieces' layout: the worker refuses a manifest it does not know.
FORMAT = 1
#: The manifest's file name; the worker is told where it is.
MANIFEST = "manifest.json"
#: BM25 saturation and length normalisation (whoosh's defaults, as `pmkb search` uses).
K1 = 1.2
B = 0.75
#: Stored weights are whole numbers 1..WEIGHT_LEVELS: enough to order, few enough to compress.
WEIGHT_LEVELS = 31
#: A term shard is closed once its postings take about this many characters of JSON.
SHARD_BYTES = 40_000
#: Documents per chunk: a result costs its chunk, so small chunks keep results cheap.
CHUNK_DOCUMENTS = 16
#: Characters of summary or key learning a result shows at most.
SNIPPET_CHARS = 220


@dataclass(frozen=True)
class BrowserDocument:
    """One thing the search box can find: an incident or a page, in plain text."""

    #: Site-relative URL, as the theme links results (`incidents/<id>/`).
    url: str
    title: str
    #: Field → plain text, ranked with `FIELD_BOOSTS` (a missing field counts as empty).
    fields: Mapping[str, str] = field(default_factory=dict)
    #: What a result shows under its title: the summary, else the key learning.
    summary: str = ""
    key_learning: str = ""
    severity: str | None = None
    date: dt.date | None = None


def incident_document(document: SearchDocument, url: str) -> BrowserDocument:
    """An incident's search document as the box finds and shows it."""
    return BrowserDocument(
        url=url,
        title=document.title,
        fields={
            "title": document.title,
            "key_learning": document.key_learning,
            "summary": document.summary,
            "keywords": document.keywords,
            "text": document.text,
        },
        summary=document.summary,
        key_learning=document.key_learning,
        severity=document.severity,
        date=document.date,
    )


def browser_index_files(
    documents: Sequence[BrowserDocument],
    severities: Sequence[str],
    severity_words: Mapping[str, str],
) -> dict[str, str]:
    """file name → JSON text of every piece of the index of `documents`.

    `severity_words` maps each word that names a severity (already reduced to letters and
    digits: `sev1`, `p1`) to its severity on the scale `severities`.
    """
    postings, words = _postings(documents)
    files: dict[str, str] = {}
    firsts: list[str] = []
    for first, shard in _shards(postings, words):
        files[f"t{len(firsts)}.json"] = shard
        firsts.append(first)
    for number, start in enumerate(range(0, len(documents), CHUNK_DOCUMENTS)):
        chunk = documents[start : start + CHUNK_DOCUMENTS]
        files[f"d{number}.json"] = _json([_shown(document) for document in chunk])
    version = hashlib.sha256("\0".join(files.values()).encode("utf-8")).hexdigest()[:16]
    level = {severity: number for number, severity in enumerate(severities)}
    files[MANIFEST] = _json(
        {
            "format": FORMAT,
            "version": version,
            "documents": len(documents),
            "rules": term_rules(),
            "severities": list(severities),
            "severityWords": {
                word: level[severity]
                for word, severity in severity_words.items()
                if severity in level
            },
            "severityOf": [level.get(document.severity or "", -1) for document in documents],
            "chunkSize": CHUNK_DOCUMENTS,
            "shards": firsts,
        }
    )
    return files


def _postings(
    documents: Sequence[BrowserDocument],
) -> tuple[dict[str, list[tuple[int, int]]], dict[str, list[str]]]:
    """stem → [(document number, weight)] in document order; stem → the words it came from."""
    stem_of: dict[str, str] = {}  # every word seen, and its stem
    counted: list[list[tuple[float, dict[str, int], int]]] = []  # (boost, stem counts, length)
    total_length: Counter[str] = Counter()
    for document in documents:
        fields = []
        for name, boost in FIELD_BOOSTS.items():
            stems: dict[str, int] = defaultdict(int)
            length = 0
            for word, count in word_counts(document.fields.get(name, "")).items():
                term = stem_of.get(word)
                if term is None:
                    term = stem_of[word] = stem(word)
                stems[term] += count
                length += count
            fields.append((boost, stems, length))
            total_length[name] += length
        counted.append(fields)
    average = [max(total_length[name] / max(len(documents), 1), 1.0) for name in FIELD_BOOSTS]
    postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for number, fields in enumerate(counted):
        weighted: dict[str, float] = defaultdict(float)
        for (boost, stems, length), field_average in zip(fields, average, strict=True):
            norm = boost / (1 - B + B * length / field_average)
            for term, count in stems.items():
                weighted[term] += count * norm
        for term, frequency in weighted.items():
            level = math.ceil(frequency / (frequency + K1) * WEIGHT_LEVELS)
            postings[term].append((number, level))
    words: dict[str, list[str]] = defaultdict(list)
    for word, term in stem_of.items():
        words[term].append(word)
    return postings, words


def _shards(
    postings: Mapping[str, list[tuple[int, int]]], words: Mapping[str, list[str]]
) -> list[tuple[str, str]]:
    """(first stem, JSON text) of each shard, in stem order.

    A shard is `{"terms": {stem: [gap, weight, gap, weight, …]}, "words": [word, …]}`: the
    gaps are differences between successive document numbers, which compress to little.
    """
    shards: list[tuple[str, str]] = []
    terms: dict[str, list[int]] = {}
    size = 0

    def close() -> None:
        shard_words = sorted({word for term in terms for word in words[term]}, key=_utf16)
        shards.append((next(iter(terms)), _json({"terms": terms, "words": shard_words})))

    for term in sorted(postings, key=_utf16):
        encoded: list[int] = []
        previous = 0
        for number, weight in postings[term]:
            encoded += (number - previous, weight)
            previous = number
        terms[term] = encoded
        size += len(term) + 4 * len(encoded)
        if size >= SHARD_BYTES:
            close()
            terms, size = {}, 0
    if terms:
        close()
    if shards:
        shards[0] = ("", shards[0][1])  # the first shard also takes every stem before it
    return shards


def _utf16(text: str) -> bytes:
    """Sort key: JavaScript compares strings by UTF-16 code units, and the worker finds stems
    and words by comparing (a character beyond U+FFFF sorts differently by code point)."""
    return text.encode("utf-16-be")


def indexed_urls(files: Mapping[str, str]) -> dict[str, set[str]]:
    """stem → URLs of the documents the index finds by that stem, read back from the pieces
    as the worker reads them: for checks of what a build wrote (tests, benchmarks)."""
    manifest = json.loads(files[MANIFEST])
    urls: list[str] = []
    for number in range(math.ceil(manifest["documents"] / manifest["chunkSize"])):
        urls += [shown[0] for shown in json.loads(files[f"d{number}.json"])]
    found: dict[str, set[str]] = {}
    for number in range(len(manifest["shards"])):
        for term, encoded in json.loads(files[f"t{number}.json"])["terms"].items():
            documents = itertools.accumulate(encoded[::2])
            found[term] = {urls[document] for document in documents}
    return found


def _shown(document: BrowserDocument) -> list[str]:
    """[url, title, summary, key learning, severity, date]: what a result shows."""
    return [
        document.url,
        _one_line(document.title),
        _snippet(document.summary),
        _snippet(document.key_learning),
        document.severity or "",
        document.date.isoformat() if document.date else "",
    ]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _snippet(text: str) -> str:
    """The opening of `text` on one line, cut at a word with " …" when too long."""
    text = _one_line(text)
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def severity_word(text: str) -> str:
    """A severity or alias reduced to its letters and digits, as the worker matches them:
    "SEV-1", "sev1" and "Sev 1" are all `sev1`."""
    return "".join(char for char in fold(text) if char.isalnum())
