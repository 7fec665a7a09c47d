"""Words become the same terms at build time (Python) and in the reader's browser (the search
worker's JavaScript), and the same stems as in `pmkb search` (whoosh's Porter stemmer).

The rules are shared data (`search/terms.py`, shipped in the manifest); these tests prove that
both walks of them agree, on every word of the example knowledge base and on text made to
trip up folding and splitting.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from whoosh.lang.porter import stem as whoosh_stem

from postmortem_kb.search.terms import stem, term_rules, words
from site_builder import REPO_ROOT

WORKER = REPO_ROOT / "plugins" / "postmortem_kb" / "assets" / "search-worker.js"

#: Accents, cases, ligatures, scripts and separators where two languages could differ.
TRICKY_TEXTS = [
    "Café résumé NAÏVE déjà-vu",
    "İstanbul ΟΔΟΣ straße ǅungla",
    "ﬁle ﬂow x² ½ Ⅻ",
    "日本語のテキスト 한국어 текст नमस्ते",
    "\U0002000bcha \U0001d537eta",
    "max_connections CamelCase resolv.conf SEV-1 p1 2016-04-12",
    "COVID\u201119 tab\tseparated new\nline em—dash",
    "the a to I of it's don't we've",
    "Hopping flying agreed conflated sized generously relational",
]


@pytest.fixture(scope="module")
def vocabulary() -> list[str]:
    """Every word of the example knowledge base's postmortems, each once."""
    found: set[str] = set()
    for path in (REPO_ROOT / "postmortems").rglob("*"):
        if path.suffix in (".md", ".yaml", ".yml", ".txt"):
            found.update(words(path.read_text(encoding="utf-8")))
    return sorted(found)


def test_there_is_a_vocabulary_to_compare(vocabulary: list[str]) -> None:
    assert len(vocabulary) > 2000


def test_stems_are_the_ones_pmkb_search_uses(vocabulary: list[str]) -> None:
    extra = [word for text in TRICKY_TEXTS for word in words(text)]
    assert [stem(word) for word in [*vocabulary, *extra]] == [
        whoosh_stem(word) for word in [*vocabulary, *extra]
    ]
    assert stem("certificates") == stem("certificate") == "certif"


def test_words_drop_stop_words_and_fold_accents() -> None:
    assert words("Have we had Certificate problems before? Café SEV-1") == [
        "certificate",
        "problems",
        "cafe",
        "sev",
    ]


@pytest.mark.browser
def test_the_worker_splits_folds_and_stems_as_the_build_does(
    chromium_browser: Browser, vocabulary: list[str]
) -> None:
    context = chromium_browser.new_context()
    try:
        page = context.new_page()
        page.set_content("<!doctype html><title>terms</title>")
        page.add_script_tag(content=WORKER.read_text(encoding="utf-8"))
        split, stems = page.evaluate(
            """([rules, texts, words]) => {
              const terms = termRules(rules)
              return [texts.map(text => terms.words(text)), words.map(word => terms.stem(word))]
            }""",
            [term_rules(), TRICKY_TEXTS, vocabulary],
        )
    finally:
        context.close()
    assert split == [words(text) for text in TRICKY_TEXTS]
    mismatched = {
        word: (ours, stem(word))
        for word, ours in zip(vocabulary, stems, strict=True)
        if ours != stem(word)
    }
    assert not mismatched


def test_the_worker_reads_the_rules_it_is_given() -> None:
    """No copy of the shared rules in the worker: its stop words and suffixes come from the
    manifest, so the two sides cannot drift apart by an edit to one of them."""
    script = Path(WORKER).read_text(encoding="utf-8")
    assert not re.search(r'"(ational|ization|because|through)"', script)
