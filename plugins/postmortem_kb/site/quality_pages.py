"""The quality gate on the internal site: `problems/`, the writing guide, and a page for every
postmortem file that could not be built.

An author who opens a broken or incomplete incident sees what is wrong at the top of its page
(never a 404): a valid incident's page lists its findings (see `plan.incident_pages`), and a
file that failed validation gets a page of its own at the address its file name gives it.
`problems/` lists every problem and finding of the knowledge base by rule; the guide is
rendered from the rules' own documentation (`quality/rules.py`), so the advice and the checks
cannot drift apart. Internal site only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from ..core import urls
from ..core.formatting import slugify
from ..core.model import Incident
from ..core.problems import Problem, in_reading_order
from ..quality.rules import FAMILIES, RULES, RULES_BY_ID
from .render import PageRenderer, RenderedPage


def quality_pages(
    problems: Sequence[Problem],
    skipped: Iterable[str],
    incidents: Sequence[Incident],
    renderer: PageRenderer,
) -> dict[str, RenderedPage]:
    """`problems/`, the writing guide, and a page per file that could not be built."""
    ordered = in_reading_order(problems)
    page_of = {incident.source: urls.incident_uri(incident.id) for incident in incidents}
    taken_ids = {incident.id for incident in incidents}
    pages: dict[str, RenderedPage] = {}
    for source in skipped:
        incident_id = broken_file_id(source)
        if incident_id in taken_ids:
            continue  # a valid incident has this address; `problems/` lists the file
        uri = page_of[source] = urls.incident_uri(incident_id)
        pages[uri] = renderer.render(
            "broken_incident.md.j2", uri, source=source,
            problems=[problem for problem in ordered if problem.file == source],
        )
    by_rule: defaultdict[str, list[Problem]] = defaultdict(list)
    for problem in ordered:
        by_rule[problem.rule].append(problem)
    pages[urls.PROBLEMS_URI] = renderer.render(
        "problems.md.j2", urls.PROBLEMS_URI, rules=RULES_BY_ID, page_of=page_of,
        by_rule=sorted(by_rule.items(), key=lambda item: _rule_order(item[0])),
        errors=sum(problem.is_error for problem in problems), total=len(problems),
    )
    pages[urls.WRITING_GUIDE_URI] = renderer.render(
        "writing_guide.md.j2", urls.WRITING_GUIDE_URI, rules=RULES, families=FAMILIES
    )
    return pages


def broken_file_id(source: str) -> str:
    """The address a file that could not be read gets: its file name as an id."""
    return slugify(PurePosixPath(source).stem) or "unnamed"


def _rule_order(rule: str) -> tuple[int, str]:
    family = rule.split("/", 1)[0]
    return (FAMILIES.index(family) if family in FAMILIES else len(FAMILIES), rule)
