"""The learning gallery: `_gallery.yml` validation, the cards of each audience, escaping."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from postmortem_kb.core.problems import Problems
from postmortem_kb.core.settings import Settings
from postmortem_kb.site.gallery import ExternalLesson, gallery_pages, load_gallery
from postmortem_kb.site.listing import ListingEntry
from postmortem_kb.site.plan import plan_site
from postmortem_kb.site.render import PageRenderer
from site_builder import REPO_ROOT, BuildFailed, build_site, copy_kb

LEAKY_KB = Path(__file__).parent / "fixtures" / "leaky_kb"
VALID_ENTRY = """\
entries:
  - company: Example Corp
    year: 2017
    incident: Database deleted during replication repair
    key_learning: Only a restore proves a backup.
    link: https://example.org/postmortem
    tags: [Database, monitoring]
"""


def write_gallery(tmp_path: Path, yaml_text: str, **settings: object) -> Settings:
    source = tmp_path / "postmortems"
    source.mkdir(exist_ok=True)
    (source / "_gallery.yml").write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    return Settings(source_dir=source, build_date=dt.date(2024, 6, 1), **settings)  # type: ignore[arg-type]


def load(
    tmp_path: Path, yaml_text: str, **settings: object
) -> tuple[list[ExternalLesson], list[str]]:
    problems = Problems()
    lessons = load_gallery(write_gallery(tmp_path, yaml_text, **settings), problems)
    return lessons, [str(problem) for problem in problems.items]


def test_external_lessons_are_read_in_file_order(tmp_path: Path) -> None:
    lessons, problems = load(
        tmp_path,
        VALID_ENTRY + "  - {company: Other, year: '2021', incident: Outage, key_learning: Lesson,"
        " link: 'http://example.com/x'}\n",
    )
    assert problems == []
    assert lessons == [
        ExternalLesson(
            "Example Corp",
            2017,
            "Database deleted during replication repair",
            "Only a restore proves a backup.",
            "https://example.org/postmortem",
            ("database", "monitoring"),
        ),
        ExternalLesson("Other", 2021, "Outage", "Lesson", "http://example.com/x"),
    ]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            VALID_ENTRY.replace("key_learning:", "key_lesson:"),
            [
                "postmortems/_gallery.yml:5: entries[0].key_lesson: unknown field (did you mean "
                "`key_learning`?); expected one of company, year, incident, key_learning, link, "
                "tags",
                "postmortems/_gallery.yml:2: entries[0].key_learning: is required; expected text",
            ],
        ),
        (
            VALID_ENTRY.replace("year: 2017", "year: seventeen"),
            [
                "postmortems/_gallery.yml:3: entries[0].year: 'seventeen' is not a year; "
                "expected e.g. 2021"
            ],
        ),
        (
            VALID_ENTRY.replace("year: 2017", "year: 2099"),
            [
                "postmortems/_gallery.yml:3: entries[0].year: '2099' is not a year; "
                "expected e.g. 2021"
            ],
        ),
        (
            VALID_ENTRY.replace("https://example.org/postmortem", "javascript:alert(1)"),
            [
                "postmortems/_gallery.yml:6: entries[0].link: 'javascript:alert(1)' is not a web "
                "address; expected the https:// URL of the report"
            ],
        ),
        (
            "entry:\n  - company: x\n",
            [
                "postmortems/_gallery.yml:1: entry: unknown field (did you mean `entries`?); "
                "expected `entries:`",
                "postmortems/_gallery.yml: entries: is required; expected a list of public "
                "postmortems",
            ],
        ),
        (
            "entries:\n  - just a string\n",
            [
                "postmortems/_gallery.yml:2: entries[0]: is 'just a string'; expected a mapping "
                "with company, year, incident, key_learning, link, tags"
            ],
        ),
        (
            VALID_ENTRY + "entries: []\n",
            ["postmortems/_gallery.yml:8: entries: duplicate key; each field may appear only once"],
        ),
    ],
    ids=[
        "misspelt-field",
        "year-not-a-number",
        "year-in-the-future",
        "link-not-http",
        "unknown-top-level",
        "entry-not-a-mapping",
        "duplicate-key",
    ],
)
def test_problems_name_file_line_and_field(
    tmp_path: Path, yaml_text: str, expected: list[str]
) -> None:
    lessons, problems = load(tmp_path, yaml_text)
    assert lessons == []
    assert sorted(problems) == sorted(expected)


def test_unknown_tags_warn_against_the_vocabulary(tmp_path: Path) -> None:
    lessons, problems = load(tmp_path, VALID_ENTRY, tags={"database": "DB", "monitor": "Alerting"})
    assert len(lessons) == 1  # a warning keeps the entry
    assert problems == [
        "postmortems/_gallery.yml:7: entries[0].tags[1]: unknown tag 'monitoring' (did you mean "
        "`monitor`?); add it to the `tags` vocabulary or use a known one"
    ]


def test_no_gallery_file_means_no_external_section(tmp_path: Path) -> None:
    (tmp_path / "postmortems").mkdir()
    settings = Settings(source_dir=tmp_path / "postmortems")
    problems = Problems()
    assert load_gallery(settings, problems) == []
    page = gallery_pages([], [], PageRenderer(), settings)["gallery/index.md"].resolved()
    assert "Lessons from other companies" not in page
    assert "No incidents yet." in page


ENTRY = ListingEntry(
    id="db-outage",
    title="Disk <full> & *slow*",
    date=dt.date(2024, 3, 5),
    severity="SEV-1",
    key_learning="Watch <disks> | alerts",
    tags=("database", "capacity"),
    services=("Payments API",),
    status="draft",
)
LESSON = ExternalLesson(
    "Other <Corp>",
    2021,
    "Outage & more",
    "A lesson",
    "https://example.org/a?b=1&c=2",
    ("database", "automation"),
)


def test_cards_escape_every_value_and_carry_filter_data() -> None:
    settings = Settings(source_dir=Path("postmortems"), public_tags=("database",))
    page = gallery_pages([ENTRY], [LESSON], PageRenderer(), settings)["gallery/index.md"].resolved()
    assert (
        '<article class="pmkb-item pmkb-card" data-tags="database capacity" '
        'data-services="payments-api" data-severity="sev-1" data-year="2024">'
    ) in page
    assert '<a href="../incidents/db-outage/">Disk &lt;full&gt; &amp; <em>slow</em></a>' in page
    assert "Watch &lt;disks&gt; | alerts" in page
    assert ('<p class="pmkb-card-badges"><span class="pmkb-sev pmkb-sev-1" title="Severity SEV-1">'
            'SEV-1</span> <span class="pmkb-chip pmkb-status pmkb-status-draft">Draft</span>'
            '<span class="pmkb-card-date">2024-03-05</span></p>') in page
    assert ('<a class="pmkb-tag" href="../tags/database/">database</a> '
            '<a class="pmkb-tag" href="../tags/capacity/">capacity</a>' in page)
    assert ('<a href="https://example.org/a?b=1&amp;c=2">Other &lt;Corp&gt;: Outage &amp; more</a>'
            in page)
    assert 'data-tags="database automation" data-year="2021"' in page  # internal: every tag


def test_public_external_lessons_show_public_tags_only() -> None:
    settings = Settings(
        source_dir=Path("postmortems"), audience="public", public_tags=("database",)
    )
    pages = gallery_pages([], [LESSON], PageRenderer(internal=False), settings)
    page = pages["gallery/index.md"].resolved()
    assert 'data-tags="database" data-year="2021"' in page
    assert "automation" not in page


def test_public_gallery_cards_are_built_from_the_public_view() -> None:
    source = LEAKY_KB / "postmortems"
    public = plan_site(Settings(source_dir=source, audience="public", public_tags=("pubmark-tag",)))
    page = public.pages["gallery/index.md"].resolved()
    assert "PUBMARK-TITLE" in page and "PUBMARK-KEYLEARNING" in page
    assert "privmark" not in page.lower()
    internal = plan_site(Settings(source_dir=source, public_tags=("pubmark-tag",)))
    internal_page = internal.pages["gallery/index.md"].resolved()
    # Internally every incident has a card, drafts included, with its internal text.
    assert "PRIVMARK-TITLE" in internal_page and "PRIVMARK-KEYLEARNING" in internal_page
    assert "PRIVMARK-DRAFTTITLE" in internal_page


@pytest.mark.slow
def test_example_gallery_has_a_card_per_incident_and_the_external_section(
    tmp_path: Path,
) -> None:
    site = build_site(REPO_ROOT / "mkdocs.yml", tmp_path / "site")
    html = site.read("gallery/index.html")
    plan = plan_site(Settings(source_dir=REPO_ROOT / "postmortems"))
    # Our incidents as cards; other companies' incidents (`type: external`) with the lessons
    # of `_gallery.yml` (13 of them).
    external = [i for i in plan.kb.incidents if i.type == "external"]
    assert external
    assert html.count('class="pmkb-item pmkb-card"') == len(plan.kb.incidents) - len(external)
    assert html.count("pmkb-card-external") == 13 + len(external)
    assert "Slack: Return-from-holidays traffic" in html
    assert 'href="https://slack.engineering/slacks-outage-on-january-4th-2021/"' in html


@pytest.mark.slow
def test_a_broken_gallery_file_fails_the_strict_build(tmp_path: Path) -> None:
    kb = copy_kb(REPO_ROOT, tmp_path / "kb")
    gallery = kb / "postmortems" / "_gallery.yml"
    gallery.write_text(
        gallery.read_text(encoding="utf-8").replace("year: 2019", "year: 19", 1),
        encoding="utf-8",
    )
    with pytest.raises(BuildFailed) as failed:
        build_site(kb / "mkdocs.yml", tmp_path / "site")
    assert any(
        "postmortems/_gallery.yml:" in line and "entries[5].year: '19' is not a year" in line
        for line in failed.value.logs
    ), failed.value.logs
