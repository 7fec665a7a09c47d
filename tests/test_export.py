"""`pmkb export ID --audience public [--format md|html]`, end to end on the leak fixture.

The document is the customer-facing postmortem — title, date, duration, customer impact,
summary, apology, public timeline, what we fixed, public follow-ups — and nothing private. HTML
is one self-contained file that opens offline. Ids that are unknown or not public are refused
with a reason, and a document that would leak is never written.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from playwright.sync_api import Browser

from conftest import OpenPage, ServeDir
from postmortem_kb.cli.main import main
from postmortem_kb.core.settings import DEFAULT_APOLOGY
from site_builder import copy_kb
from test_redaction_build import (
    LEAKY_KB,
    PRIVATE_PREFIX,
    PUBLIC_ID,
    plant_in_public_summary,
    visible_text,
)

#: What the exported document must say, as a reader reads it (cells in row order).
CUSTOMER_FACING = {
    "title": "PUBMARK-TITLE",
    "date": "Date 2024-03-05",
    "duration": "Duration 1 h 00 min",
    "customer impact": "Customer impact PUBMARK-IMPACT some checkouts failed for 40 minutes.",
    "summary": "Summary PUBMARK-SUMMARY some checkout requests failed. Our PUBMARK-ROLE "
               "coordinated the response.",
    "apology": DEFAULT_APOLOGY,
    "public timeline": "2024-03-05 10:00 UTC PUBMARK-TIMELINE errors rose for some customers",
    "what we fixed": "What we fixed PUBMARK-REMEDIATION we moved the database to a new disk.",
    "public follow-ups": "Action Status Due PUBMARK-FUACTION add a second replica open 2024-04-01",
}


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_kb(LEAKY_KB, tmp_path / "kb")
    monkeypatch.chdir(root)
    return root


def export(kb: Path, incident_id: str, fmt: str) -> tuple[int, Path]:
    """Run `pmkb export` into a file; the exit code and where the document would be."""
    output = kb / f"export.{fmt}"
    code = main(["export", incident_id, "--audience", "public", "--format", fmt,
                 "-o", str(output)])
    return code, output


def reading(document: Path) -> str:
    """The document's words as a reader meets them: Markdown is read rendered."""
    if document.suffix == ".md":
        rendered = document.with_suffix(".rendered.html")
        rendered.write_text(markdown.markdown(document.read_text(encoding="utf-8"),
                                              extensions=["tables"]), encoding="utf-8")
        document = rendered
    return " ".join(visible_text(document).split()).lower()


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_export_holds_the_customer_facing_postmortem_and_nothing_private(
    kb: Path, fmt: str
) -> None:
    code, document = export(kb, PUBLIC_ID, fmt)
    assert code == 0
    text = reading(document)
    missing = {part: words for part, words in CUSTOMER_FACING.items()
               if " ".join(words.split()).lower() not in text}
    assert not missing, f"the {fmt} export lacks {missing}"
    assert PRIVATE_PREFIX not in document.read_text(encoding="utf-8").lower()


def configure(kb: Path, *options: str) -> None:
    """Add plugin options (`name: value` lines) to the knowledge base's `mkdocs.yml`."""
    config = kb / "mkdocs.yml"
    anchor = "    source_dir: postmortems\n"
    added = "".join(f"    {option}\n" for option in options)
    text = config.read_text(encoding="utf-8")
    assert text.count(anchor) == 1
    config.write_text(text.replace(anchor, anchor + added), encoding="utf-8")


def test_a_configured_apology_closes_the_export(kb: Path) -> None:
    apology = "We are truly sorry; PUBMARK-APOLOGY."
    configure(kb, f"apology: {apology}")
    code, document = export(kb, PUBLIC_ID, "md")
    assert code == 0
    text = document.read_text(encoding="utf-8")
    assert apology in text and DEFAULT_APOLOGY not in text


#: An HTML tag, opening or closing, as a Markdown reader would pass it through as raw HTML.
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def test_the_md_export_is_plain_markdown_with_markdown_tables(kb: Path) -> None:
    """Key facts, timeline and follow-ups are Markdown tables, not the site's HTML blocks;
    a value with a table's `|` or HTML's `<` in it stays text in its own cell (public text
    holds no HTML tags: validation refuses them)."""
    (kb / "postmortems" / "pubmark-pipes.md").write_text(
        "---\nid: pubmark-pipes\ntitle: Pipes\ndate: 2024-03-05\nseverity: SEV-2\n"
        "status: published\nservices: [api]\ntimeline:\n  - at: 2024-03-05T10:00:00+00:00\n"
        "    event: \"errors | latency < 2 s\"\n    public: true\nfollow_ups:\n"
        "  - action: \"fix a | b & c\"\n    owner: \"@pubmark-owner\"\n"
        "    status: open\n    public: true\npublic:\n  title: \"Pipes | tubes < 3\"\n"
        "  summary: Some requests failed.\n  services: [api]\n---\nNarrative.\n",
        encoding="utf-8")
    for incident_id in (PUBLIC_ID, "pubmark-pipes"):
        code, document = export(kb, incident_id, "md")
        assert code == 0
        text = document.read_text(encoding="utf-8")
        assert _HTML_TAG.findall(text) == []
        assert "| Key facts | |\n| --- | --- |\n| **Date** | 2024-03-05 |" in text
        assert "| Time | Event |\n| --- | --- |\n" in text
        assert "| Action | Status | Due |\n| --- | --- | --- |\n" in text
    assert "# Pipes \\| tubes &lt; 3\n" in text
    assert "| errors \\| latency &lt; 2 s |" in text
    html = markdown.markdown(text, extensions=["tables"])
    assert "<td>errors | latency &lt; 2 s</td>" in html
    assert "<td>fix a | b &amp; c</td>\n<td>open</td>" in html


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_approximate_times_and_ranges_are_exported_as_written(kb: Path, fmt: str) -> None:
    """A customer reads `~10:00` as the estimate it is, and a range with its end."""
    (kb / "postmortems" / "pubmark-rough.md").write_text(
        "---\nid: pubmark-rough\ntitle: Rough\ndate: 2024-03-05\nseverity: SEV-2\n"
        "status: published\nservices: [api]\ntimeline:\n"
        "  - at: \"~2024-03-05T10:00:00+00:00\"\n    event: errors rose\n    public: true\n"
        "  - at: 2024-03-05T10:05:00+00:00..2024-03-05T10:40:00+00:00\n"
        "    event: checkouts failed\n    public: true\n"
        "  - at: \"~2024-03-06\"\n    event: all clear\n    public: true\n"
        "public:\n  summary: Some requests failed.\n---\nNarrative.\n",
        encoding="utf-8")
    code, document = export(kb, "pubmark-rough", fmt)
    assert code == 0
    text = reading(document)
    assert "2024-03-05 ~10:00 utc errors rose" in text
    assert "2024-03-05 10:05\u201310:40 utc checkouts failed" in text
    assert "~2024-03-06 all clear" in text


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_export_names_the_organisation_the_publication_date_and_the_contact(
    kb: Path, fmt: str
) -> None:
    configure(kb, "organisation: PUBMARK Org", "contact: help@status.example.org")
    code, document = export(kb, PUBLIC_ID, fmt)
    assert code == 0
    text = reading(document)
    # A public incident records no publication date: the document is published at the build.
    assert "pubmark-title published 2024-06-01 by pubmark org. key facts" in text
    assert (f"{DEFAULT_APOLOGY} questions about this incident? contact pubmark org: ".lower()
            in text)
    assert text.endswith("help@status.example.org")
    written = document.read_text(encoding="utf-8")
    link = ("[help@status.example.org](mailto:help@status.example.org)" if fmt == "md" else
            '<a href="mailto:help@status.example.org">help@status.example.org</a>')
    assert link in written


def test_without_an_organisation_or_contact_the_site_name_publishes_the_export(kb: Path) -> None:
    code, document = export(kb, PUBLIC_ID, "md")
    assert code == 0
    text = document.read_text(encoding="utf-8")
    assert "\nPublished 2024-06-01 by Leaky KB.\n" in text
    assert "Contact" not in text and text.endswith(f"{DEFAULT_APOLOGY}\n")


def test_a_contact_url_stays_one_markdown_link(kb: Path) -> None:
    configure(kb, "contact: https://status.example.org/help_(desk)")
    code, document = export(kb, PUBLIC_ID, "md")
    assert code == 0
    html = markdown.markdown(document.read_text(encoding="utf-8"))
    assert ('<a href="https://status.example.org/help_%28desk%29">'
            "https://status.example.org/help_(desk)</a>") in html


class _Resources(HTMLParser):
    """Every tag, every attribute that can load or link something, and the inline CSS."""

    LOADING = frozenset({"src", "href", "srcset", "action", "poster", "data", "formaction"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.references: list[str] = []
        self.css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self._in_style = tag == "style"
        self.references.extend(f"{tag} {name}={value}" for name, value in attrs
                               if name in self.LOADING and not (value or "").startswith("#"))
        self.css.extend(value for name, value in attrs if name == "style" and value)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css.append(data)


def test_html_export_is_one_self_contained_file(kb: Path) -> None:
    code, document = export(kb, PUBLIC_ID, "html")
    assert code == 0
    parser = _Resources()
    parser.feed(document.read_text(encoding="utf-8"))
    assert "style" in parser.tags and "".join(parser.css).strip()
    assert not parser.tags & {"script", "link", "img", "iframe", "object", "embed", "base",
                              "video", "audio", "source", "svg", "form"}
    assert parser.references == []
    css = "".join(parser.css).lower()
    assert "url(" not in css and "@import" not in css and "@font-face" not in css


@pytest.mark.browser
def test_html_export_opens_offline_from_a_file(kb: Path, chromium_browser: Browser) -> None:
    code, document = export(kb, PUBLIC_ID, "html")
    assert code == 0
    context = chromium_browser.new_context(offline=True)
    try:
        page = context.new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
        page.goto(document.as_uri())
        assert page.locator("h1").inner_text() == "PUBMARK-TITLE"
        assert page.locator("table").count() == 3  # key facts, timeline, follow-ups
        # The inline stylesheet applies.
        assert page.locator("table").first.evaluate(
            "el => getComputedStyle(el).borderCollapse") == "collapse"
        assert requests == [document.as_uri()]
        assert errors == []
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.browser
def test_html_export_prints_cleanly(kb: Path, chromium_browser: Browser) -> None:
    """Printed (or saved as PDF), the page keeps to its margins, no table row is split across
    pages, each table's header repeats, and every link shows its address."""
    configure(kb, "contact: https://status.example.org/help")
    code, document = export(kb, PUBLIC_ID, "html")
    assert code == 0
    context = chromium_browser.new_context(offline=True, viewport={"width": 600, "height": 800})
    try:
        page = context.new_page()
        page.goto(document.as_uri())
        page.emulate_media(media="print")
        assert page.evaluate(
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        row = page.locator("tr").first
        assert row.evaluate("el => getComputedStyle(el).breakInside") == "avoid"
        assert page.locator("thead").first.evaluate(
            "el => getComputedStyle(el).display") == "table-header-group"
        link = page.locator("a")
        assert link.count() == 1
        assert link.evaluate("el => getComputedStyle(el, '::after').content") == (
            '" (https://status.example.org/help)"')
        assert page.pdf(format="A4")[:4] == b"%PDF"
    finally:
        context.close()


@pytest.mark.browser
def test_html_export_served_makes_no_other_request(
    kb: Path, serve_dir: ServeDir, open_page: OpenPage
) -> None:
    code, document = export(kb, PUBLIC_ID, "html")
    assert code == 0
    page, watch = open_page(serve_dir(document.parent) + document.name)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.reload()
    assert requests == [page.url]
    assert DEFAULT_APOLOGY in page.locator("body").inner_text()
    watch.assert_clean()


def test_an_unknown_id_is_refused_with_a_suggestion(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, document = export(kb, "pubmark-idalfa", "md")
    assert code == 1 and not document.exists()
    assert ("pmkb: pubmark-idalfa: no incident has this id (did you mean `pubmark-idalpha`?)"
            in capsys.readouterr().err)


@pytest.mark.parametrize(
    ("incident_id", "reason"),
    [
        ("privmark-draftid", "its status is `draft`, not `published`"),
        ("privmark-reviewid", "its status is `review`, not `published`"),
        ("privmark-nosumid", "it has no `public.summary`"),
    ],
    ids=["draft", "review", "no-public-summary"],
)
def test_an_incident_that_is_not_public_is_refused_with_the_reason(
    kb: Path, capsys: pytest.CaptureFixture[str], incident_id: str, reason: str
) -> None:
    code, document = export(kb, incident_id, "html")
    assert code == 1 and not document.exists()
    assert f"{incident_id}: not published publicly: {reason}" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_an_incident_whose_id_is_its_file_stem_exports(kb: Path, fmt: str) -> None:
    """The source file's name is private, and the id defaults to its stem: the guard reads
    the document's text, not the name of the file it was put in to be read."""
    (kb / "postmortems" / "2024-03-05-checkout.md").write_text(
        "---\ntitle: Checkout errors after the PRIVMARK-STEMTITLE deploy\ndate: 2024-03-05\n"
        "severity: SEV-2\nstatus: published\npublic:\n  summary: Some payments failed for "
        "twenty minutes.\n---\nNarrative.\n", encoding="utf-8")
    code, document = export(kb, "2024-03-05-checkout", fmt)
    assert code == 0
    assert "some payments failed for twenty minutes." in reading(document)
    assert "2024-03-05-checkout.md" not in document.read_text(encoding="utf-8")


@pytest.mark.parametrize("output", ["missing-folder/export.md", ".", "a" * 5000])
def test_an_output_file_that_cannot_be_written_is_one_line(
    kb: Path, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    code = main(["export", PUBLIC_ID, "--audience", "public", "-o", output])
    assert code == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"pmkb: {output}: cannot write the document (")
    assert line.endswith("); expected a file name in a folder you can write")


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_document_that_would_leak_is_never_written(
    kb: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    plant_in_public_summary(kb, "The database at 10.20.30.40 lost its disk.")
    code, document = export(kb, PUBLIC_ID, fmt)
    assert code == 1 and not document.exists()
    captured = capsys.readouterr()
    assert "nothing was written" in captured.err
    assert f"leak: {PUBLIC_ID}.{fmt}: deny pattern RFC 1918 address: " in captured.err
    assert captured.out == ""
    assert "10.20.30.40" not in captured.err
