"""The search box's index: what each audience's pieces hold, how they are cut, and how every
page points the theme's search box at our worker.

Pure functions first (severity words, hand-written pages, shards), then the example sites
built once per session. What the box answers, typed into it, is in
`test_site_search_browser.py`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from postmortem_kb.cli.main import load_settings
from postmortem_kb.core.settings import Settings
from postmortem_kb.search import browser_index
from postmortem_kb.search.browser_index import (
    MANIFEST,
    BrowserDocument,
    browser_index_files,
    indexed_urls,
)
from postmortem_kb.search.terms import stem
from postmortem_kb.site.hand_written import HandWrittenPage
from postmortem_kb.site.plan import project_audience
from postmortem_kb.site.search_box import (
    SEARCH_INDEX_FOLDER,
    page_document,
    severity_words,
    use_search_worker,
)
from site_builder import REPO_ROOT

#: The theme's configuration block as it writes it (`tojson`), with its own worker.
THEME_CONFIG = (
    '<html><body><p>x</p><script id="__config" type="application/json">'
    '{"base": "../..", "features": [], "search": '
    '"../../assets/javascripts/workers/search.a7633da7.min.js", "version": null}'
    '</script><script src="../../assets/javascripts/bundle.js"></script></body></html>'
)


def pieces(site: Path) -> dict[str, str]:
    return {
        path.name: path.read_text(encoding="utf-8")
        for path in (site / SEARCH_INDEX_FOLDER).iterdir()
    }


def utf16(text: str) -> bytes:
    return text.encode("utf-16-be")


def shown(files: dict[str, str]) -> list[list[str]]:
    """Every document's [url, title, summary, key learning, severity, date], in order."""
    chunks = sorted(
        (name for name in files if re.fullmatch(r"d\d+\.json", name)),
        key=lambda name: int(name[1:-5]),
    )
    return [entry for name in chunks for entry in json.loads(files[name])]


# -- pure functions ---------------------------------------------------------------------------


def test_severity_words_are_the_scale_and_the_aliases_on_it() -> None:
    settings = Settings(
        source_dir=Path("postmortems"),
        severity_aliases={"P1": "sev1", "Prio 2": "SEV-2", "p9": "SEV-9"},
    )
    assert severity_words(settings) == {
        "sev1": "SEV-1",
        "sev2": "SEV-2",
        "sev3": "SEV-3",
        "sev4": "SEV-4",
        "p1": "SEV-1",
        "prio2": "SEV-2",
    }


def test_the_theme_config_names_our_worker_and_the_manifest_beside_it() -> None:
    html = use_search_worker(THEME_CONFIG)
    config = json.loads(
        re.search(r'id="__config" type="application/json">(.*?)</script>', html).group(1)
    )
    page = "http://site/incidents/x/"
    worker = urljoin(page, config["search"])
    assert urlsplit(worker).path == "/assets/pmkb/search-worker.js"
    index = dict(part.split("=") for part in urlsplit(worker).query.split("&"))["index"]
    assert urljoin(worker, index) == f"http://site/{SEARCH_INDEX_FOLDER}/{MANIFEST}"
    assert {key: value for key, value in config.items() if key != "search"} == {
        "base": "../..",
        "features": [],
        "version": None,
    }
    assert html.endswith('<script src="../../assets/javascripts/bundle.js"></script></body></html>')
    assert use_search_worker("<p>no theme here</p>") == "<p>no theme here</p>"


@pytest.mark.parametrize(
    ("text", "title", "summary"),
    [
        (
            "---\naudience: both\n---\n\n# On call\n\nWho is paged.\n",
            "On call",
            "Who is paged.",
        ),
        ("audience: both\n\n# On call\n\nWho is paged.\n", "On call", "Who is paged."),
        ("Who is paged, and when.\n", "Paging rules", "Who is paged, and when."),
    ],
)
def test_a_hand_written_page_is_found_by_its_title_and_text_not_its_front_matter(
    text: str, title: str, summary: str
) -> None:
    page = HandWrittenPage("team/paging-rules.md", "both", text)
    document = page_document(page.uri, page.body, Settings(source_dir=Path("postmortems")))
    assert (document.url, document.title, document.summary) == (
        "team/paging-rules/",
        title,
        summary,
    )
    assert "audience" not in document.fields["text"]


def test_shards_cut_the_stems_in_order_and_each_word_finds_its_documents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(browser_index, "SHARD_BYTES", 30)
    monkeypatch.setattr(browser_index, "CHUNK_DOCUMENTS", 2)
    letters = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike"
    words = [*letters.split(), "zulu", "\U0002000bcha"]  # and one beyond U+FFFF
    documents = [
        BrowserDocument(
            url=f"page-{number}/",
            title=f"Page {number}",
            fields={"text": " ".join(words[3 * number : 3 * number + 3])},
            severity="SEV-2",
            date=dt.date(2024, 1, number + 1),
        )
        for number in range(5)
    ]
    files = browser_index_files(documents, ("SEV-1", "SEV-2"), {"sev2": "SEV-2"})
    manifest = json.loads(files[MANIFEST])
    firsts = manifest["shards"]
    assert len(firsts) > 3 and firsts[0] == ""
    # JavaScript's order (UTF-16 code units), in which the worker finds a stem's shard.
    assert firsts == sorted(firsts, key=utf16)
    for number, first in enumerate(firsts):
        terms = json.loads(files[f"t{number}.json"])["terms"]
        following = firsts[number + 1] if number + 1 < len(firsts) else None
        assert all(utf16(first) <= utf16(term) for term in terms)
        assert following is None or all(utf16(term) < utf16(following) for term in terms)
    found = indexed_urls(files)
    assert {found[stem(word)] == {f"page-{n // 3}/"} for n, word in enumerate(words)} == {True}
    assert manifest["severityOf"] == [1] * 5 and manifest["severityWords"] == {"sev2": 1}
    assert [entry[0] for entry in shown(files)] == [f"page-{n}/" for n in range(5)]


# -- the example sites --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("audience", ["internal", "public"])
def test_every_page_runs_our_worker_and_the_theme_indexes_no_page(
    example_sites: dict[str, Path], audience: str
) -> None:
    site = example_sites[audience]
    assert json.loads((site / "search" / "search_index.json").read_text("utf-8"))["docs"] == []
    pages = [site / "index.html", site / "404.html", *sorted(site.glob("incidents/*/index.html"))]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        config = json.loads(
            re.search(r'<script id="__config" type="application/json">(.*?)</script>', html).group(
                1
            )
        )
        url = "http://site/" + page.relative_to(site).as_posix()
        worker = urljoin(url, config["search"])
        index = urljoin(worker, worker.split("?index=")[1])
        if page.name != "404.html":  # served from any folder: relative links are the theme's
            assert (site / urlsplit(worker).path.lstrip("/")).is_file(), page
            assert (site / urlsplit(index).path.lstrip("/")).is_file(), page
        assert "search-worker.js" not in "".join(re.findall(r"<script[^>]*>", html)), page


@pytest.mark.slow
def test_the_public_index_holds_public_incidents_in_public_words_only(
    example_sites: dict[str, Path],
) -> None:
    view = project_audience(load_settings("public", str(REPO_ROOT / "mkdocs.public.yml")))
    files = pieces(example_sites["public"])
    assert [entry[0] for entry in shown(files)] == [
        f"incidents/{incident.id}/" for incident in view.incidents
    ]
    internal = pieces(example_sites["internal"])
    for word in ("crypto", "mining"):  # the leaked key's incident has no public summary
        assert f'"{word}"' in "".join(internal.values())
        assert f'"{word}"' not in "".join(files.values())
    every = project_audience(load_settings("internal", str(REPO_ROOT / "mkdocs.yml")))
    not_public = [i for i in every.incidents if i.id not in view.public]
    assert not_public and all(i.title not in "".join(files.values()) for i in not_public)


@pytest.mark.slow
def test_results_show_the_summary_and_key_learning_never_page_text(
    example_sites: dict[str, Path],
) -> None:
    view = project_audience(load_settings("internal", str(REPO_ROOT / "mkdocs.yml")))
    documents = {f"incidents/{d.id}/": d for d in view.search_documents()}
    entries = shown(pieces(example_sites["internal"]))
    incidents = [entry for entry in entries if entry[0] in documents]
    assert len(incidents) == len(documents)
    for url, title, summary, key_learning, severity, date in incidents:
        document = documents[url]
        assert (title, severity, date) == (
            document.title,
            document.severity,
            document.date.isoformat(),
        )
        assert " ".join(document.summary.split()).startswith(summary.removesuffix(" …"))
        assert " ".join(document.key_learning.split()).startswith(key_learning.removesuffix(" …"))
    text = json.dumps(entries)
    assert "Key facts" not in text and "INTERNAL" not in text
    pages = {entry[0]: entry for entry in entries if entry[0] not in documents}
    assert pages["how-we-work/"][1] == "How we write postmortems"
