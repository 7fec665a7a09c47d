"""Onboarding reading paths: `_paths.yml` validation, the pages, and internal-only output."""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from postmortem_kb.core.problems import Problems
from postmortem_kb.core.settings import Settings
from postmortem_kb.site.onboarding import PathStep, ReadingPath, load_paths
from postmortem_kb.site.plan import plan_site
from site_builder import REPO_ROOT, BuildFailed, build_site, copy_kb

IDS = ("2021-01-04-holiday-surge", "2019-07-02-waf-regex", "2016-04-12-cert-expired")


def write_paths(tmp_path: Path, yaml_text: str) -> Settings:
    source = tmp_path / "postmortems"
    source.mkdir(exist_ok=True)
    (source / "_paths.yml").write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    return Settings(source_dir=source, build_date=dt.date(2024, 6, 1))


def load(tmp_path: Path, yaml_text: str) -> tuple[list[ReadingPath], list[str]]:
    problems = Problems()
    paths = load_paths(write_paths(tmp_path, yaml_text), IDS, problems)
    return paths, [str(problem) for problem in problems.items]


def test_paths_are_read_in_file_order_with_steps_why_and_questions(tmp_path: Path) -> None:
    paths, problems = load(
        tmp_path,
        """\
        paths:
          - id: first-week
            title: First week on call
            description: Read these before your first shift.
            steps:
              - incident: 2021-01-04-holiday-surge
                why: Automation made it worse.
                questions:
                  - How do you freeze autoscaling?
                  - Who decides?
              - incident: 2016-04-12-cert-expired
          - title: Changes that go global
            steps:
              - incident: 2019-07-02-waf-regex
        """,
    )
    assert problems == []
    assert paths == [
        ReadingPath(
            "first-week",
            "First week on call",
            "Read these before your first shift.",
            (
                PathStep(
                    "2021-01-04-holiday-surge",
                    "Automation made it worse.",
                    ("How do you freeze autoscaling?", "Who decides?"),
                ),
                PathStep("2016-04-12-cert-expired"),
            ),
        ),
        # Without an id, the title's slug names the page.
        ReadingPath(
            "changes-that-go-global",
            "Changes that go global",
            None,
            (PathStep("2019-07-02-waf-regex"),),
        ),
    ]


def test_unknown_incident_names_file_line_field_and_the_nearest_id(tmp_path: Path) -> None:
    paths, problems = load(
        tmp_path,
        """\
        paths:
          - id: first-week
            title: First week on call
            steps:
              - incident: 2021-01-04-holiday-surge
              - incident: 2019-07-02-waf-regexp
                why: A typo in the id.
        """,
    )
    assert problems == [
        "postmortems/_paths.yml:6: paths[0].steps[1].incident: no incident has id "
        "'2019-07-02-waf-regexp' (did you mean `2019-07-02-waf-regex`?); expected the id of "
        "an incident in this knowledge base"
    ]
    # The path keeps its valid steps: one typo hides nothing else.
    assert [step.incident for step in paths[0].steps] == ["2021-01-04-holiday-surge"]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "pathes:\n  - title: x\n",
            [
                "postmortems/_paths.yml:1: pathes: unknown field (did you mean `paths`?); "
                "expected `paths:`",
                "postmortems/_paths.yml: paths: is required; expected a list of reading paths",
            ],
        ),
        (
            "paths:\n  - title: A path\n    step:\n      - incident: 2019-07-02-waf-regex\n",
            [
                "postmortems/_paths.yml:3: paths[0].step: unknown field (did you mean `steps`?);"
                " expected one of id, title, description, steps",
                "postmortems/_paths.yml:2: paths[0].steps: is required; expected a list of "
                "incidents",
            ],
        ),
        (
            "paths:\n  - id: Bad Id\n    title: A path\n    steps:\n"
            "      - incident: 2019-07-02-waf-regex\n",
            [
                "postmortems/_paths.yml:2: paths[0].id: 'Bad Id' is not a valid id; expected "
                "lowercase letters, digits and hyphens (it is the page's URL)"
            ],
        ),
        (
            "paths:\n  - steps:\n      - why: no incident\n",
            [
                "postmortems/_paths.yml:3: paths[0].steps[0].incident: is required; expected text",
                "postmortems/_paths.yml:2: paths[0].title: is required; expected text",
            ],
        ),
        (
            "paths:\n  - {id: a, title: A, steps: [{incident: 2019-07-02-waf-regex}]}\n"
            "  - {id: a, title: B, steps: [{incident: 2016-04-12-cert-expired}]}\n",
            [
                "postmortems/_paths.yml:3: paths[1].id: 'a' is the id of an earlier path; "
                "expected an id unique in this file"
            ],
        ),
        (
            "paths:\n  - &p {title: A, steps: [{incident: 2019-07-02-waf-regex}]}\n",
            [
                "postmortems/_paths.yml:2: paths[0]: YAML anchor '&p' is not allowed; "
                "write each value out in full"
            ],
        ),
    ],
    ids=[
        "unknown-top-level",
        "unknown-path-field",
        "bad-id",
        "missing-fields",
        "duplicate-id",
        "yaml-anchor",
    ],
)
def test_problems_name_file_line_and_field(
    tmp_path: Path, yaml_text: str, expected: list[str]
) -> None:
    paths, problems = load(tmp_path, yaml_text)
    assert sorted(problems) == sorted(expected)
    assert len(paths) <= 1


def test_no_paths_file_means_no_paths_and_no_problem(tmp_path: Path) -> None:
    (tmp_path / "postmortems").mkdir()
    problems = Problems()
    assert load_paths(Settings(source_dir=tmp_path / "postmortems"), IDS, problems) == []
    assert problems.items == []


def test_plan_renders_onboarding_for_internal_and_nothing_for_public() -> None:
    source = REPO_ROOT / "postmortems"
    internal = plan_site(Settings(source_dir=source, build_date=dt.date(2026, 1, 1)))
    assert internal.problems.errors == []
    index = internal.pages["onboarding/index.md"].resolved()
    assert "## [First week on call](first-week-on-call/index.md)" in index
    page = internal.pages["onboarding/first-week-on-call/index.md"].resolved()
    assert (
        "[Read the postmortem](../../incidents/2016-04-12-login-certificate-expired/index.md)"
        in page
    )
    assert "- How do we know today when a certificate is about to expire?" in page
    public = plan_site(
        Settings(source_dir=source, audience="public", build_date=dt.date(2026, 1, 1))
    )
    assert not [uri for uri in public.pages if uri.startswith("onboarding/")]


@pytest.mark.slow
def test_onboarding_is_built_internally_and_absent_from_every_public_file(
    example_sites: dict[str, Path],
) -> None:
    internal = example_sites["internal"]
    assert (internal / "onboarding" / "index.html").is_file()
    assert (internal / "onboarding" / "first-week-on-call" / "index.html").is_file()
    public = example_sites["public"]
    assert not (public / "onboarding").exists()
    # No link of any page, and no search entry, leads to a page under /onboarding/.
    for page in public.rglob("*.html"):
        page_url = "http://site/" + page.relative_to(public).as_posix()
        for href in re.findall(r'href="([^"]*)"', page.read_text(encoding="utf-8")):
            assert not urlsplit(urljoin(page_url, href)).path.startswith("/onboarding"), page
    search = json.loads((public / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [doc for doc in search["docs"] if doc["location"].startswith("onboarding")]


@pytest.mark.slow
def test_a_broken_paths_file_fails_the_strict_build(tmp_path: Path) -> None:
    kb = copy_kb(REPO_ROOT, tmp_path / "kb")
    paths_file = kb / "postmortems" / "_paths.yml"
    text = paths_file.read_text(encoding="utf-8")
    paths_file.write_text(
        text.replace("incident: 2017-01-31-dashboard-data-loss", "incident: 2017-01-31-no-such"),
        encoding="utf-8",
    )
    with pytest.raises(BuildFailed) as failed:
        build_site(kb / "mkdocs.yml", tmp_path / "site")
    assert any(
        "postmortems/_paths.yml:" in line
        and "paths[1].steps[0].incident: no incident has id '2017-01-31-no-such'" in line
        for line in failed.value.logs
    ), failed.value.logs
