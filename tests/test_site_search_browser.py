"""The site's search box, typed into in Chromium at 1280 px on the example internal site.

The questions of the CLI's relevance suite (`test_search_relevance.py`) must find the same
incidents in the top three; severity words rank their severity first; a word one typo away
still finds; snippets are summary or key-learning text; the keyboard opens a result. One
site (the session's example build) serves every test.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from conftest import OpenPage, ServeDir
from postmortem_kb.cli.main import load_settings
from postmortem_kb.search.browser_index import BrowserDocument, browser_index_files
from postmortem_kb.search.documents import SearchDocument
from postmortem_kb.site.plan import project_audience
from postmortem_kb.site.search_box import SEARCH_INDEX_FOLDER, SEARCH_WORKER, worker_path
from site_builder import REPO_ROOT
from test_search_relevance import QUESTIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: What the theme's result list says once the worker is ready, and with nothing typed.
READY = "Type to start searching"


@dataclass(frozen=True)
class Result:
    """One result as the box shows it."""

    id: str
    title: str
    snippet: str
    #: The chips under it: severity, date.
    tags: tuple[str, ...]
    #: Words marked as matches in the title and snippet.
    marked: tuple[str, ...]


class SearchBox:
    """The theme's header search box on one page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.input = page.locator("input.md-search__input")
        self.meta = page.locator(".md-search-result__meta")
        self.input.click()
        self.meta.filter(has_text=READY).wait_for()

    def ask(self, question: str, shown: int = 0) -> list[Result]:
        """Type `question` (its last key as a key press) and read the results it brings,
        once at least `shown` of them are listed (the first few come first).

        The box is emptied first, so the results read are this question's: the worker
        answers in order, and the empty box's answer is the theme's "type to start".
        """
        self.input.fill("")
        self.input.press("End")
        self.meta.filter(has_text=READY).wait_for()
        self.input.fill(question[:-1])
        self.input.press(question[-1])
        expect(self.meta).not_to_have_text(READY)
        items = self.page.locator(".md-search-result__item")
        if shown:
            expect(items).to_have_count(shown)
        return [self._read(item) for item in items.all()]

    @staticmethod
    def _read(item: Locator) -> Result:
        article = item.locator("article").first
        href = item.locator("a").first.get_attribute("href") or ""
        snippet = article.locator(":scope > p:not(.md-search-result__terms)")
        return Result(
            id=href.split("?")[0].rstrip("/").rsplit("/", 1)[-1],
            title=article.locator("h1").inner_text(),
            snippet=snippet.inner_text() if snippet.count() else "",
            tags=tuple(article.locator(".md-tag").all_inner_texts()),
            marked=tuple(article.locator("mark").all_inner_texts()),
        )


@pytest.fixture
def box(
    example_sites: dict[str, Path], serve_dir: ServeDir, open_page: OpenPage
) -> Iterator[SearchBox]:
    page, watch = open_page(serve_dir(example_sites["internal"]))
    yield SearchBox(page)
    watch.assert_clean()


@pytest.fixture(scope="module")
def documents() -> dict[str, SearchDocument]:
    view = project_audience(load_settings("internal", str(REPO_ROOT / "mkdocs.yml")))
    return {document.id: document for document in view.search_documents()}


def test_each_question_of_the_cli_suite_finds_its_incident_in_the_top_three(
    box: SearchBox,
) -> None:
    misses = {}
    for question, answers in QUESTIONS.items():
        top = [result.id for result in box.ask(question)[:3]]
        if not answers & set(top):
            misses[question] = top
    assert not misses


def test_a_severity_word_lists_that_severity_newest_first(
    box: SearchBox, documents: dict[str, SearchDocument]
) -> None:
    """`p1` is an alias of SEV-1 in the example's `severity_aliases`."""
    newest_first = [d.id for d in documents.values() if d.severity == "SEV-1"]
    assert len(newest_first) > 2
    first_screen = newest_first[:10]  # the theme lists ten before the list is scrolled
    for words in ("sev1", "SEV-1", "Sev 1", "p1"):
        results = box.ask(words, shown=len(first_screen))
        assert [result.id for result in results] == first_screen, words
        assert {result.tags[0] for result in results} == {"SEV-1"}, words


def test_a_severity_word_ranks_that_severity_first_among_matches(box: SearchBox) -> None:
    results = box.ask("SEV-2 certificate expired")
    severities = [result.tags[0] for result in results]
    assert results[0].id == "2016-04-12-login-certificate-expired"
    others = [number for number, severity in enumerate(severities) if severity != "SEV-2"]
    assert others and "SEV-2" not in severities[others[0] :], severities


#: Questions with one word one edit away from a word of the answer.
TYPOS = {
    "certifcate": "2016-04-12-login-certificate-expired",  # a letter left out
    "certificste": "2016-04-12-login-certificate-expired",  # one letter for another
    "duplciate push notifications": "2025-10-07-duplicate-push-notifications",  # swapped
    "regexx outage": "2019-07-02-waf-regex-outage",  # one letter too many
    "leap yaer bug": "2012-02-29-leap-day-certificates",
}


def test_a_word_one_typo_away_still_finds(box: SearchBox) -> None:
    found = {question: [result.id for result in box.ask(question)[:3]] for question in TYPOS}
    assert {question: answer in found[question] for question, answer in TYPOS.items()} == {
        question: True for question in TYPOS
    }, found


def test_snippets_are_the_summary_or_key_learning_with_the_words_marked(
    box: SearchBox, documents: dict[str, SearchDocument]
) -> None:
    results = box.ask("certificate expired")
    assert len(results) >= 3
    for result in results:
        document = documents[result.id]
        opening = result.snippet.removesuffix(" …")
        assert opening and any(
            " ".join(text.split()).startswith(opening)
            for text in (document.summary, document.key_learning)
        )
        assert not re.search(r"Key facts|INTERNAL|\binternal\b|SEV-\d", result.snippet)
    first = results[0]
    assert {word.lower() for word in first.marked} >= {"certificate", "expired"}
    assert first.title == documents[first.id].title


def test_an_unfinished_word_finds_the_words_it_begins(box: SearchBox) -> None:
    results = box.ask("datab")
    assert results and all("database" in (r.title + r.snippet).lower() for r in results[:3])


def test_the_public_site_answers_from_public_text_only(
    example_sites: dict[str, Path], serve_dir: ServeDir, open_page: OpenPage
) -> None:
    box = SearchBox(open_page(serve_dir(example_sites["public"]))[0])
    assert box.ask("dns outage")[0].id == "2021-11-09-lumen-pay-unreachable"
    leaked = [result.id for result in box.ask("crypto mining cloud key")]
    assert "2023-08-09-leaked-cloud-key" not in leaked  # it has no public text


def test_arrow_down_and_enter_open_the_result(box: SearchBox) -> None:
    results = box.ask("leap year bug")
    box.input.press("ArrowDown")
    box.page.keyboard.press("Enter")
    box.page.wait_for_url(re.compile(rf"/incidents/{results[0].id}/"))
    assert results[0].title in box.page.locator("h1").inner_text()


# -- the worker alone, on an index made for the test ---------------------------------------

#: Starts the worker as the theme does and asks it each question: SETUP → READY, then
#: QUERY → RESULT, one at a time. Returns each RESULT's data.
ASK_WORKER = """async ([worker, questions]) => {
  const search = new Worker(worker)
  const reply = () => new Promise(resolve =>
    search.addEventListener("message", event => resolve(event.data), {once: true}))
  search.postMessage({type: 0, data: {config: {}, docs: [], options: {suggest: true}}})
  const ready = await reply()
  const answers = []
  for (const question of questions) {
    search.postMessage({type: 2, data: question})
    answers.push((await reply()).data)
  }
  search.terminate()
  return [ready.type, answers]
}"""


def ask_worker(
    documents: list[BrowserDocument],
    questions: list[str],
    tmp_path: Path,
    serve_dir: ServeDir,
    open_page: OpenPage,
) -> list[dict[str, Any]]:
    """The worker's answers to `questions` from an index of `documents` only."""
    (tmp_path / "index.html").write_text("<!doctype html><title>worker</title>")
    worker = tmp_path / "assets" / "pmkb" / SEARCH_WORKER
    worker.parent.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "plugins" / "postmortem_kb" / "assets" / SEARCH_WORKER, worker)
    folder = tmp_path / SEARCH_INDEX_FOLDER
    folder.mkdir(parents=True)
    for name, text in browser_index_files(documents, ("SEV-1", "SEV-2"), {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    page, watch = open_page(serve_dir(tmp_path))
    ready, answers = page.evaluate(ASK_WORKER, [worker_path(), questions])
    watch.assert_clean()
    assert ready == 1  # READY
    return answers


def incident(url: str, title: str, **fields: str) -> BrowserDocument:
    return BrowserDocument(
        url=url, title=title, fields={"title": title, **fields}, summary=fields.get("summary", "")
    )


def test_an_incident_matching_more_of_the_question_ranks_first(
    tmp_path: Path, serve_dir: ServeDir, open_page: OpenPage
) -> None:
    """The first matches two of the question's words in every field, the second all four
    once in its narrative: each word is as rare as the others. Counted alone, the first's
    weights win; the second covers the question."""
    documents = [
        incident(
            "two-words/",
            "Disk filled",
            key_learning="A filled disk.",
            summary="The disk filled.",
            text="The disk filled up, and the disk filled again.",
        ),
        incident(
            "all-words/", "Checkout slowed down", text="A log file filled the disk of one server."
        ),
        incident("log-file/", "Payments stalled", text="A queue backed up; its log file rotated."),
        incident("other/", "Login failed", text="Tokens expired."),
        incident("another/", "Cache flushed", text="Nothing else."),
    ]
    [answer] = ask_worker(documents, ["log file filled the disk"], tmp_path, serve_dir, open_page)
    assert [item[0]["location"] for item in answer["items"]] == [
        "all-words/",
        "two-words/",
        "log-file/",
    ]


def test_results_are_escaped_text_with_only_the_matches_marked(
    tmp_path: Path, serve_dir: ServeDir, open_page: OpenPage
) -> None:
    documents = [
        incident(
            "x/",
            '<img src=x onerror="alert(1)"> & co',
            summary="<script>alert(1)</script> Escaping matters.",
            text="escaping",
        )
    ]
    [answer, unfinished] = ask_worker(
        documents, ["escaping", "escap"], tmp_path, serve_dir, open_page
    )
    [[item]] = answer["items"]
    assert item["title"] == "&#60;img src=x onerror=&#34;alert(1)&#34;&#62; &#38; co"
    assert item["text"] == (
        "<p>&#60;script&#62;alert(1)&#60;/script&#62; <mark>Escaping</mark> matters.</p>"
    )
    assert unfinished["suggest"] == ["escaping"]


def test_an_empty_library_answers_every_question_with_nothing(
    tmp_path: Path, serve_dir: ServeDir, open_page: OpenPage
) -> None:
    answers = ask_worker([], ["certificate", "sev1", "x"], tmp_path, serve_dir, open_page)
    assert [answer["items"] for answer in answers] == [[], [], []]
