"""How text becomes search terms for the site's search box: one definition for two languages.

The browser index is written in Python at build time (`browser_index.py`) and queried in the
reader's browser by the search worker (`assets/search-worker.js`). Both must turn
"Certificates?" into the same term, or a word the index holds is never found. So the rules
are data, defined here and shipped in the index's manifest (`term_rules()`): the stop words
(the ones `pmkb search` ignores), the shortest word kept, and the Porter stemmer's suffix
tables and patterns. Only the few lines that walk the stemmer's steps, and the token pattern
(which no regex syntax shares), exist in each language; a browser test runs both on the same
words (`tests/test_site_search_terms.py`).

The stemmer is the one `pmkb search` uses through whoosh (`whoosh.lang.porter`), quirks
included (its `match` anchors two step-1b patterns at the start of the word, so "hopping"
stems to "hopp"), so the box and the command line agree on which words are one word.

A text is folded before it is split: lower case, compatibility decomposition (NFKD), combining
marks dropped, so "Café" and "cafe" meet. Tokens are runs of letters and digits.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from typing import Any

from .documents import STOP_WORDS

#: Shorter tokens are no terms: a lone letter or digit ("a", the "1" of "SEV-1") finds noise.
MIN_TERM_LENGTH = 2

#: Runs of letters and digits (`[\p{L}\p{N}]+` in the worker), after `fold()`; the same for
#: ASCII text, twice as fast.
_TOKEN = re.compile(r"[^\W_]+")
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")

#: whoosh's Porter tables and patterns (`whoosh/lang/porter.py`), as data. Every pattern is
#: used as a search (`re.search`, JavaScript's `test`); where whoosh calls `match`, the
#: pattern is anchored with `^` here, so it means the same in both languages.
PORTER: dict[str, Any] = {
    "step2": {
        "ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize",
        "bli": "ble", "alli": "al", "entli": "ent", "eli": "e", "ousli": "ous",
        "ization": "ize", "ation": "ate", "ator": "ate", "alism": "al", "iveness": "ive",
        "fulness": "ful", "ousness": "ous", "aliti": "al", "iviti": "ive", "biliti": "ble",
        "logi": "log",
    },
    "step3": {
        "icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "",
        "ness": "",
    },
    "step4": [
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ou",
        "ism", "ate", "iti", "ous", "ive", "ize",
    ],
    "patterns": {
        # m > 0, m == 1, m > 1: the measure of the stem (vowel-consonant sequences).
        "mgr0": "^([^aeiouy]+)?[aeiou]+[^aeiouy]+",
        "meq1": "^([^aeiouy]+)?[aeiou]+[^aeiouy]+([aeiou]+)?$",
        "mgr1": "^([^aeiouy]+)?[aeiou]+[^aeiouy]+[aeiou]+[^aeiouy]+",
        # A vowel in the stem; consonant-vowel-consonant ending (not w, x, y).
        "vowel": "^([^aeiouy]+)?[aeiouy]",
        "cvc": "^[^aeiouy]+[aeiouy][^aeiouwxy]$",
        "edIng": "^(.*)(ed|ing)$",
        "atBlIz": "^(at|bl|iz)$",
        "double": "^([^aeiouylsz])\\1$",
        "step4Tion": "^(.+?)(s|t)(ion)$",
        "step5": "^(.+?)e$",
    },
}  # fmt: skip


def term_rules() -> dict[str, Any]:
    """The rules the search worker reads from the manifest: stop words, shortest term,
    Porter's tables and patterns."""
    return {
        "stopWords": sorted(STOP_WORDS),
        "minLength": MIN_TERM_LENGTH,
        "porter": PORTER,
    }


def fold(text: str) -> str:
    """Lower case without accents: "Café" → "cafe" (`fold()` in the worker)."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.category(char).startswith("M"))


def words(text: str) -> list[str]:
    """The folded words of `text` that can be terms: no stop words, none too short."""
    return [
        word
        for word in _TOKEN.findall(fold(text))
        if len(word) >= MIN_TERM_LENGTH and word not in STOP_WORDS
    ]


def word_counts(text: str) -> dict[str, int]:
    """How often each of `words(text)` occurs: counted before filtering, which is cheaper."""
    folded = fold(text)
    tokens = (_ASCII_TOKEN if folded.isascii() else _TOKEN).findall(folded)
    return {
        word: count
        for word, count in Counter(tokens).items()
        if len(word) >= MIN_TERM_LENGTH and word not in STOP_WORDS
    }


def terms(text: str) -> Iterator[str]:
    """The stems of `words(text)`, in order, repeats kept."""
    return map(stem, words(text))


_PATTERNS = {name: re.compile(source) for name, source in PORTER["patterns"].items()}
_STEP2 = re.compile("^(.+?)(" + "|".join(PORTER["step2"]) + ")$")
_STEP3 = re.compile("^(.+?)(" + "|".join(PORTER["step3"]) + ")$")
_STEP4 = re.compile("^(.+?)(" + "|".join(PORTER["step4"]) + ")$")


@functools.lru_cache(maxsize=1 << 17)
def stem(word: str) -> str:
    """The Porter stem of a folded word, as whoosh computes it ("certificates" → "certif").

    Cached: a library repeats its vocabulary endlessly.
    """
    if len(word) < 3:
        return word
    first_is_y = word[0] == "y"
    if first_is_y:
        word = "Y" + word[1:]
    # Step 1a: plurals.
    if word.endswith("sses") or word.endswith("ies"):
        word = word[:-2]
    elif word.endswith("s") and word[-2] != "s":
        word = word[:-1]
    # Step 1b: -eed, -ed, -ing.
    if word.endswith("eed"):
        if _PATTERNS["mgr0"].search(word[:-3]):
            word = word[:-1]
    elif found := _PATTERNS["edIng"].search(word):
        base = found.group(1)
        if _PATTERNS["vowel"].search(base):
            word = base
            if _PATTERNS["atBlIz"].search(word):
                word += "e"
            elif _PATTERNS["double"].search(word):
                word = word[:-1]
            elif _PATTERNS["cvc"].search(word):
                word += "e"
    # Step 1c: y → i after a vowel in the stem.
    if word.endswith("y") and _PATTERNS["vowel"].search(word[:-1]):
        word = word[:-1] + "i"
    # Steps 2 and 3: double and single suffixes.
    for step, table in ((_STEP2, PORTER["step2"]), (_STEP3, PORTER["step3"])):
        if (found := step.search(word)) and _PATTERNS["mgr0"].search(found.group(1)):
            word = found.group(1) + table[found.group(2)]
    # Step 4: -ant, -ence, …; -ion after s or t.
    if found := _STEP4.search(word):
        if _PATTERNS["mgr1"].search(found.group(1)):
            word = found.group(1)
    elif found := _PATTERNS["step4Tion"].search(word):
        base = found.group(1) + found.group(2)
        if _PATTERNS["mgr1"].search(base):
            word = base
    # Step 5: a final -e, a double l.
    if found := _PATTERNS["step5"].search(word):
        base = found.group(1)
        if _PATTERNS["mgr1"].search(base) or (
            _PATTERNS["meq1"].search(base) and not _PATTERNS["cvc"].search(base)
        ):
            word = base
    if word.endswith("ll") and _PATTERNS["mgr1"].search(word):
        word = word[:-1]
    if first_is_y:
        word = "y" + word[1:]
    return word
