"""Public text carries no script in any renderer: the projection refuses, with an error naming
file, line and field, what a Markdown export would hand to another renderer unsanitized."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from html_safety import load_payloads
from postmortem_kb.core.model import Incident, PublicView
from postmortem_kb.core.settings import Settings
from postmortem_kb.public.projection import project_public


def project(summary: str) -> list[str]:
    incident = Incident(
        id="x", source="postmortems/x.md", title="T", date=dt.date(2024, 3, 5),
        severity="SEV-2", status="published", public=PublicView(summary=summary),
        lines={"public.summary": 7},
    )  # fmt: skip
    projection = project_public(incident, Settings(Path("postmortems"), audience="public"))
    assert projection.incident is None or not projection.problems
    return [str(problem) for problem in projection.problems]


@pytest.mark.parametrize(
    ("summary", "named"),
    [
        ("[status](javascript:alert(1))", "link to `javascript:alert(1)`"),
        ("[status](JaVaScRiPt:alert(1))", "link to"),
        ("[status](jav&#x09;ascript:alert(1))", "link to"),
        ("![chart](data:image/svg+xml;base64,PHN2Zz4=)", "link to"),
        ("[x](vbscript:msgbox(1))", "link to"),
        ("![chart](chart.png){onerror=alert(1)}", "attribute `onerror`"),
        ("[status](https://status.example){: onclick=alert(1) }", "attribute `onclick`"),
        ("![chart](chart.png){style=position:fixed}", "attribute `style`"),
        ("Read <img src=x onerror=window.a=1> now", "text that starts a tag (`<img`)"),
        # Unclosed here, but closed by a `>` in the next text of an export or a feed.
        ("Read <img src=x onerror=window.a=1//", "text that starts a tag (`<img`)"),
        ("Latency over <p99 targets", "text that starts a tag (`<p99`)"),
    ],
)
def test_unsafe_public_text_is_an_error_naming_file_line_and_field(
    summary: str, named: str
) -> None:
    [problem] = project(summary)
    assert problem.startswith("postmortems/x.md:7: public.summary: public text cannot carry ")
    assert named in problem


@pytest.mark.parametrize(
    "summary",
    [
        "[status page](https://status.example/incidents/1) and [mail](mailto:help@example.com)",
        "See [the timeline](#timeline) and [the report](../report/).",
        "Latency went above <5 ms; a < b and b > c.",
        "Use `<script>` in code, and `javascript:` in code, freely.",
    ],
)
def test_safe_public_text_is_projected(summary: str) -> None:
    assert project(summary) == []


@pytest.mark.parametrize("payload", load_payloads())
def test_no_payload_of_the_attack_corpus_is_accepted_as_public_text(payload: str) -> None:
    problems = project(f"Our summary. {payload}")
    assert problems and all(p.startswith("postmortems/x.md:7: public.summary: ") for p in problems)
