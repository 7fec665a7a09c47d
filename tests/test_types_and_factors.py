"""Incident types in the site (which lists, indexes, feeds and gallery show which incidents;
`types/` and each own-list type's page), the `factors/` pages and `near-misses/`, rendered
from hand-made incidents."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from postmortem_kb.core import urls
from postmortem_kb.core.model import Factor, Incident
from postmortem_kb.core.settings import Settings, type_rules
from postmortem_kb.site.factors import factor_index, factor_pages
from postmortem_kb.site.feeds import feed_files
from postmortem_kb.site.gallery import gallery_pages, incident_lessons
from postmortem_kb.site.incident_types import (
    closure_counted,
    in_gallery_only,
    listed_everywhere,
    timed,
)
from postmortem_kb.site.listing import listing
from postmortem_kb.site.near_misses import near_miss_pages
from postmortem_kb.site.render import PageRenderer
from postmortem_kb.site.type_lists import type_pages

TODAY = dt.date(2026, 11, 23)


def incident(incident_id: str, date: dt.date = dt.date(2026, 1, 1), **fields: Any) -> Incident:
    fields.setdefault("severity", "SEV-2")
    fields.setdefault("title", incident_id.title())
    fields.setdefault("status", "published")
    return Incident(id=incident_id, source=f"postmortems/{incident_id}.md", date=date, **fields)


def settings(**options: Any) -> Settings:
    return Settings(source_dir=Path("postmortems"), build_date=TODAY, **options)


KINDS = [
    incident("ours"),
    incident("near", type="near-miss"),
    incident("alarm", type="false-alarm"),
    incident("drill", type="game-day"),
    incident("window", type="maintenance"),
    incident("theirs", type="external", company="Example Edge", source_url="https://example.com/pm",
             key_learning="Generated files deserve validation."),
    incident("odd", type="unconfigured"),  # validation reports it; still listed, never lost
]  # fmt: skip


def ids(items: list[Any]) -> list[str]:
    return [item.id for item in items]


def test_each_type_is_listed_measured_and_closed_by_its_rule() -> None:
    types = settings().types
    assert ids(listed_everywhere(KINDS, types)) == ["ours", "near", "odd"]
    assert ids(in_gallery_only(KINDS, types)) == ["theirs"]
    assert ids(timed(KINDS, types)) == ["ours"]
    assert ids(closure_counted(KINDS, types)) == ["ours", "near"]
    configured = type_rules({"game-day": {"listed": "all", "metrics": True}})
    assert ids(listed_everywhere(KINDS, configured)) == ["ours", "near", "drill", "odd"]
    assert ids(timed(KINDS, configured)) == ["ours", "drill"]


def test_feeds_carry_only_the_types_listed_everywhere_and_incidents_json_all() -> None:
    files = feed_files(settings(), KINDS)
    feed = json.loads(files[urls.JSON_FEED_FILE])
    assert [item["url"] for item in feed["items"]] == [
        "incidents/ours/", "incidents/odd/", "incidents/near/",
    ]  # fmt: skip
    assert "theirs" not in files[urls.RSS_FEED_FILE] and "drill" not in files[urls.RSS_FEED_FILE]
    data = json.loads(files[urls.INCIDENTS_JSON_FILE])
    assert {record["id"]: record["type"] for record in data["incidents"]}["theirs"] == "external"


def test_types_overview_and_a_list_per_own_list_type() -> None:
    pages = type_pages(listing(KINDS), PageRenderer(), settings())
    assert set(pages) == {
        urls.TYPES_URI, urls.type_uri("false-alarm"), urls.type_uri("game-day"),
        urls.type_uri("maintenance"),
    }  # fmt: skip
    overview = pages[urls.TYPES_URI].resolved()
    assert "| **incident** | 1 | [All incidents](../incidents/index.md) | yes | yes |" in overview
    assert (
        "| **near-miss** | 1 | [All incidents](../incidents/index.md), "
        "[Near misses](../near-misses/index.md) | no | yes |"
    ) in overview
    assert "| **game-day** | 1 | [game-day](game-day/index.md) | no | no |" in overview
    assert "| **external** | 1 | [Learning gallery](../gallery/index.md) | no | no |" in overview
    assert "| **unconfigured** | 1 | [All incidents](../incidents/index.md) | no | no |" in overview
    drills = pages[urls.type_uri("game-day")].resolved()
    assert "# Type: game-day" in drills and "1 incident, newest first." in drills
    assert 'href="../../incidents/drill/"' in drills and "incidents/ours/" not in drills


def test_public_type_pages_name_only_types_with_public_incidents() -> None:
    public = settings(audience="public")
    assert type_pages(listing([incident("ours")]), PageRenderer(internal=False), public) == {}
    pages = type_pages(listing([incident("ours"), incident("window", type="maintenance")]),
                       PageRenderer(internal=False), public)  # fmt: skip
    assert set(pages) == {urls.TYPES_URI, urls.type_uri("maintenance")}
    overview = pages[urls.TYPES_URI].resolved()
    assert "game-day" not in overview and "external" not in overview
    assert "metrics" not in overview.lower() and "MTTR" not in overview


def test_internal_gallery_shows_external_incidents_with_company_and_original_link() -> None:
    lessons = incident_lessons(in_gallery_only(KINDS, settings().types))
    page = gallery_pages(listing(listed_everywhere(KINDS, settings().types)), lessons,
                         PageRenderer(), settings())[urls.GALLERY_URI].resolved()  # fmt: skip
    assert '<a href="https://example.com/pm">Example Edge: Theirs</a>' in page
    assert '<a href="../incidents/theirs/">our write-up</a>' in page
    assert "Generated files deserve validation." in page
    # Our own cards: only the types listed everywhere.
    assert 'href="../incidents/ours/"' in page and 'href="../incidents/drill/"' not in page


# --- Factors -----------------------------------------------------------------------------

CANARY = Factor("Pushed to every region at once.", kind="process", factor="no-canary")
VOCABULARY = {"no-canary": "A change reached everything before a canary could catch it",
              "stale-runbook": "The runbook described a system that had changed"}  # fmt: skip


def factor_incidents() -> list[Incident]:
    return [
        incident("a", dt.date(2025, 1, 1), contributors=(CANARY, Factor("plain words"))),
        incident("b", dt.date(2025, 6, 1), contributors=(CANARY,),
                 mitigators=(Factor("<b>kill switch</b>", kind="technical",
                                    factor="kill-switch"),)),
        incident("c", dt.date(2026, 1, 1), type="external", company="Example Edge",
                 risks=(Factor("Same push path for other files.", kind="organisational",
                               factor="no-canary", likelihood="medium", severity="high"),)),
    ]  # fmt: skip


def test_factor_index_counts_incidents_per_factor_and_role() -> None:
    index = factor_index(factor_incidents(), VOCABULARY)
    assert [(f.id, len(f.incidents), f.count("contributor"), f.count("mitigator"),
             f.count("risk"), f.kinds) for f in index.factors] == [
        ("no-canary", 3, 2, 0, 1, ("organisational", "process")),
        ("kill-switch", 1, 0, 1, 0, ("technical",)),
        ("stale-runbook", 0, 0, 0, 0, ()),  # in the vocabulary, named by none yet
    ]  # fmt: skip
    assert [i.id for i in index.factors[0].incidents] == ["c", "b", "a"]  # newest first
    assert index.factors[1].description is None  # not in the vocabulary
    assert index.unclassified == {"contributor": 1, "mitigator": 0, "risk": 0}


def test_factor_pages_list_every_use_with_the_postmortems_words() -> None:
    pages = factor_pages(factor_incidents(), PageRenderer(), VOCABULARY)
    assert set(pages) == {
        urls.FACTORS_URI, urls.factor_uri("no-canary"), urls.factor_uri("kill-switch"),
        urls.factor_uri("stale-runbook"),
    }  # fmt: skip
    overview = pages[urls.FACTORS_URI].resolved()
    assert (
        "| [**no-canary**](no-canary/index.md)<br>A change reached everything before a canary "
        "could catch it | 3 | 2 | 0 | 1 | organisational, process | [C](../incidents/c/index.md)"
    ) in overview
    assert "[**kill-switch**](kill-switch/index.md)<br>*not in the vocabulary* | 1 |" in overview
    assert "1 contributor, 0 mitigators and 0 risks name no factor" in overview
    page = pages[urls.factor_uri("no-canary")].resolved()
    assert "# Factor: no-canary" in page
    assert "Named by 3 incidents: 2 as contributor, 1 as risk." in page
    assert (
        '<tr><td><a href="../../incidents/c/">C</a><br>2026-01-01 · SEV-2 · external (Example '
        "Edge)</td> <td>risk (likelihood medium, severity high)</td> <td>organisational</td> "
        "<td>Same push path for other files.</td></tr>"
    ) in page
    kill_switch = pages[urls.factor_uri("kill-switch")].resolved()
    assert "<b>" not in kill_switch and "&lt;b&gt;kill switch&lt;/b&gt;" in kill_switch
    unnamed = pages[urls.factor_uri("stale-runbook")].resolved()
    assert "No incident names this factor yet." in unnamed


def test_near_misses_page_lists_what_stopped_each_newest_first() -> None:
    incidents = [
        incident("ours"),
        incident("close-call", dt.date(2025, 5, 1), type="near-miss",
                 mitigators=(Factor("The canary caught it at 1 %."),),
                 got_lucky=("It was a quiet Sunday.",), key_learning="Canaries work."),
        incident("newer", dt.date(2026, 2, 1), type="near-miss", services=("<api>",)),
    ]  # fmt: skip
    page = near_miss_pages(incidents, PageRenderer())[urls.NEAR_MISSES_URI].resolved()
    assert "2 near misses, newest first." in page
    assert page.index("## [Newer]") < page.index("## [Close-Call]")
    assert "**What stopped it:**\n\n- The canary caught it at 1 %." in page
    assert "**Where we got lucky:**\n\n- It was a quiet Sunday." in page
    assert "2026-02-01 · SEV-2 · &lt;api&gt;" in page
    assert "[Ours]" not in page
    empty = near_miss_pages([incident("ours")], PageRenderer())[urls.NEAR_MISSES_URI].resolved()
    assert "No near misses yet." in empty
