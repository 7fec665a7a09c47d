"""Payloads planted in every field authors write, built for both audiences and exported:
no output file holds a handler, a `style`, an active element or an unsafe URL.

The planted knowledge bases (`planted_kb.py`) carry the whole corpus in every internal field
and in the side files, and in the public fields the payloads the public build accepts (raw
HTML in public text is a projection error:
`test_raw_html_in_public_text_refuses_the_public_build`). Pages are read whole (the theme's
own scripts are there, holding no payload); feeds, the client search index and the export
are read for the HTML they carry. `incidents.json` carries none: its texts are the authors'
Markdown, as data.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import markdown
import pytest
import yaml

from html_safety import unsafe_markup
from planted_kb import (
    NOT_TEXT,
    PAYLOADS,
    PLAIN,
    PLAIN_URLS,
    URL_PAYLOADS,
    labels_in,
    planted_incident,
)
from postmortem_kb.cli.main import main
from site_builder import BuildFailed, BuiltSite, build_site, write_small_kb

pytestmark = pytest.mark.slow


def html_in(path: Path) -> Iterator[tuple[str, str, bool]]:
    """(where, HTML, whole page?) for every piece of HTML an output file holds."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        yield str(path), text, True
    elif path.name == "feed.xml":
        for item in ET.fromstring(text).iter("item"):
            yield f"{path} description", item.findtext("description") or "", False
    elif path.name == "feed.json":
        for item in json.loads(text)["items"]:
            yield f"{path} content_html", item["content_html"], False
    elif path.name == "search_index.json":
        # The client search shows titles and texts as HTML.
        for doc in json.loads(text)["docs"]:
            yield f"{path} {doc['location']}", doc["title"] + doc["text"], False


def unsafe_in_site(site_dir: Path) -> dict[str, list[str]]:
    found = {}
    for path in sorted(site_dir.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".xml", ".json"):
            for where, html, whole_page in html_in(path):
                if unsafe := unsafe_markup(html, whole_page=whole_page):
                    found[where] = unsafe
    return found


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_no_planted_payload_is_live_in_any_output_file(
    planted_sites: dict[str, BuiltSite], audience: str
) -> None:
    site = planted_sites[audience]
    # (The internal `planted` holds payloads in its narrative, which comes before the preview.)
    incident = "planted-title" if audience == "internal" else "planted"
    assert "psummary0 " in site.read(f"incidents/{incident}/index.html")
    assert "pcompany0 " in site.read("gallery/index.html")
    assert unsafe_in_site(site.site_dir) == {}


def internal_labels(value: object) -> set[str]:
    return {label for label in labels_in(yaml.safe_dump(value)) if label.startswith("i")}


def test_every_planted_field_reached_the_internal_site(
    planted_kbs: dict[str, Path], planted_sites: dict[str, BuiltSite]
) -> None:
    """Not a vacuous pass: each payload-holding field shows on its pages."""
    site, side_files = planted_sites["internal"], planted_kbs["internal"] / "postmortems"
    full = planted_incident(PAYLOADS, URL_PAYLOADS)
    expected = {
        f"incidents/planted-{name.replace('_', '-')}/index.html": internal_labels(full[name])
        for name in full if name not in NOT_TEXT
    } | {
        "incidents/planted/index.html": {"ibody", "iheading"},
        "gallery/index.html": labels_in((side_files / "_gallery.yml").read_text("utf-8")),
    } | {
        f"onboarding/planted-{name}/index.html": {f"ipath-{name}", f"i{name}"}
        for name in ("description", "why", "questions")
    }
    missing = {
        uri: sorted(label for label in labels if f"{label}0 " not in site.read(uri))
        for uri, labels in expected.items()
    }
    assert {uri: labels for uri, labels in missing.items() if labels} == {}


def export(kb: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(kb)
    output = kb / f"export.{fmt}"
    code = main(["export", "planted", "--audience", "public", "--format", fmt,
                 "-o", str(output)])
    assert code == 0
    document = output.read_text(encoding="utf-8")
    assert labels_in(document) >= {"ptitle", "psummary", "pimpact", "premediation", "ptimeline"}
    return document


def test_no_planted_payload_is_live_in_an_html_export(
    planted_kbs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    document = export(planted_kbs["public"], "html", monkeypatch)
    assert unsafe_markup(document, whole_page=True) == []
    # Nothing may run or load in it, whatever got in.
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">"
    ) in document


def test_the_tables_of_a_markdown_export_are_markdown_and_hold_payloads_as_text(
    planted_kbs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    document = export(planted_kbs["public"], "md", monkeypatch)
    assert "<table" not in document
    rendered = markdown.markdown(document, extensions=["tables"])
    tables = re.findall(r"<table>.*?</table>", rendered, re.DOTALL)
    assert len(tables) == 3  # key facts, timeline, follow-ups
    assert [unsafe_markup(table) for table in tables] == [[], [], []]


def test_a_markdown_export_is_safe_in_any_markdown_renderer(
    planted_kbs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    document = export(planted_kbs["public"], "md", monkeypatch)
    assert unsafe_markup(markdown.markdown(document, extensions=["tables"])) == []
    assert unsafe_markup(document) == []


def test_raw_html_in_public_text_refuses_the_public_build(tmp_path: Path) -> None:
    incident = planted_incident(PLAIN, PLAIN_URLS)
    incident["public"] = {"summary": "<img src=x onerror=alert(1)>"}
    text = f"---\n{yaml.safe_dump(incident, sort_keys=False)}---\n"
    root = write_small_kb(tmp_path / "kb", "Refused", {"refused.md": text})
    with pytest.raises(BuildFailed) as failure:
        build_site(root / "mkdocs.yml", tmp_path / "site", strict=False, audience="public")
    assert any("public.summary" in line and "raw HTML" in line for line in failure.value.logs)
