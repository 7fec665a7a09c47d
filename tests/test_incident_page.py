"""The rendered incident page: golden Markdown for both audiences, and the built HTML.

Golden files live in tests/golden/; after an intended change to a template, regenerate them
with `PMKB_UPDATE_GOLDEN=1 ./dev.sh test -k golden` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest

from postmortem_kb.core.model import Evidence, Incident
from postmortem_kb.core.settings import Settings
from postmortem_kb.site.plan import evidence_files, evidence_links, plan_site
from site_builder import build_site
from test_loading import front

FIXTURE = Path(__file__).parent / "fixtures" / "golden_kb"
GOLDEN = Path(__file__).parent / "golden"


def golden_plan(audience: str):  # type: ignore[no-untyped-def]
    settings = Settings(
        source_dir=FIXTURE / "postmortems",
        audience=audience,
        public_tags=("dns",),
        build_date=dt.date(2024, 6, 1),
    )
    return plan_site(settings)


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PMKB_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_incident_page_markdown_matches_golden(audience: str) -> None:
    plan = golden_plan(audience)
    assert plan.problems.items == []
    assert_golden(f"incident-{audience}.md", plan.pages["incidents/dns-outage/index.md"].resolved())


def test_internal_page_shows_every_section_and_marks_what_public_drops() -> None:
    page = golden_plan("internal").pages["incidents/dns-outage/index.md"].resolved()
    assert "\n# Postmortem: DNS &lt;records&gt; vanished &amp; came back (2024-05-02)\n" in page
    for heading in (
        "Summary",
        "Timeline",
        "Contributors",
        "Mitigators",
        "Risks",
        "Learnings",
        "Surprises",
        "What went well",
        "What went wrong",
        "Where we got lucky",
        "Five whys",
        "Evidence",
        "Follow-ups",
        "Links",
        "Narrative",
        "Public version",
    ):
        assert f"## {heading}" in page, heading
    assert "<td><strong>Time to detect</strong></td> <td>4 min</td>" in page
    assert "<td><strong>Duration</strong></td> <td>2 h 00 min</td>" in page
    assert ">edge|proxy</a>" in page  # a pipe in a value is just a character in HTML
    assert "Alert &lt;b&gt;fires&lt;/b&gt;" in page  # YAML values never become raw HTML
    assert '<span class="pmkb-internal">Pushed by the nightly job</span>' in page
    assert '!!! internal "Internal only"' in page
    assert "**Fig. 1.** Error rate graph" in page
    assert '<strong class="pmkb-overdue">overdue</strong>' in page  # due 2024-05-20, built 06-01
    assert page.count("pmkb-overdue") == 1  # the done follow-up is never overdue
    assert "### What happened" in page and "# not a heading" in page
    assert "incident commander (incident commander)" not in page
    assert "@ann (incident commander)" in page


def test_public_page_is_built_from_the_allowlist_only() -> None:
    page = golden_plan("public").pages["incidents/dns-outage/index.md"].resolved()
    assert "\n# Postmortem: DNS resolution failures (2024-05-02)\n" in page
    assert "incident commander led the response" in page  # @ann shown as her role
    for private in (
        "records&gt; vanished",
        "nightly job",
        "ns1",
        "@bob",
        "OPS-1",
        "Lower TTLs",
        "No dry run",
        "grafana",
        "monitoring",
        "edge",
    ):
        assert private not in page, private
    assert "Add a zone dry run" in page and "Zone push removes records" in page


def test_drafts_carry_a_banner(tmp_path: Path) -> None:
    source = tmp_path / "postmortems"
    source.mkdir()
    (source / "a.md").write_text(front("status: review\n"), encoding="utf-8")
    plan = plan_site(Settings(source_dir=source))
    assert (
        '!!! warning "Review: this postmortem is not final"'
        in plan.pages["incidents/a/index.md"].markdown
    )
    assert "its status is `review`" in plan.pages["incidents/a/index.md"].resolved()


def test_templates_can_be_overridden_from_the_kb(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides" / "pmkb"
    overrides.mkdir(parents=True)
    (overrides / "incident.md.j2").write_text("# Custom {{ incident.title | inline }}\n")
    settings = Settings(source_dir=FIXTURE / "postmortems", public_tags=("dns",))
    plan = plan_site(settings, tmp_path / "overrides")
    page = plan.pages["incidents/dns-outage/index.md"].markdown
    assert page == "# Custom DNS &lt;records&gt; vanished &amp; came back\n"  # no front matter


def test_built_page_renders_tables_links_and_escapes(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURE, kb)
    site = build_site(kb / "mkdocs.yml", tmp_path / "site")
    assert site.warnings() == []
    html = site.read("incidents/dns-outage/index.html")
    # The theme prints titles unescaped: ours never carry a tag into <title>.
    assert "<title>Postmortem: DNS \u2039records\u203a vanished & came back (2024-05-02)" in html
    assert "<b>fires</b>" not in html and "<records>" not in html
    assert re.search(r'href="\.\./\.\./tags/dns/"', html)
    assert re.search(r'href="\.\./\.\./severity/sev-2/"', html)
    assert '<div class="admonition internal">' in html


def test_evidence_files_sharing_a_name_are_all_published(tmp_path: Path) -> None:
    folder = tmp_path / "postmortems"
    for sub in ("before", "after"):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "graph.png").write_bytes(sub.encode())
    incident = Incident(
        id="2024-01-01-disk", source="postmortems/2024-01-01-disk.md", title="Disk",
        date=dt.date(2024, 1, 1), severity="SEV-2",
        evidence=(Evidence("Before", file="before/graph.png"),
                  Evidence("After", file="after/graph.png"),
                  Evidence("Before, again", file="before/graph.png")),
    )  # fmt: skip
    assert evidence_links(incident) == {
        "before/graph.png": "evidence/graph.png",
        "after/graph.png": "evidence/graph-2.png",
    }
    files = evidence_files([incident], folder)
    assert {uri: path.read_bytes() for uri, path in files.items()} == {
        "incidents/2024-01-01-disk/evidence/graph.png": b"before",
        "incidents/2024-01-01-disk/evidence/graph-2.png": b"after",
    }
