"""The console: one line per cause of a problem, and a progress line only on a terminal."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from postmortem_kb.cli.main import main
from postmortem_kb.core.console_report import Progress, collapse
from postmortem_kb.core.problems import Problem
from site_builder import build_site, write_small_kb


def unknown_tag(number: int, tag: str, position: int = 1) -> Problem:
    return Problem(
        f"postmortems/{number:04}.md",
        5,
        f"tags[{position}]",
        f"unknown tag '{tag}'; add it to the `tags` vocabulary or use a known one",
        "warning",
    )


def test_a_thousand_files_with_two_unknown_tags_are_two_lines() -> None:
    # Each file lists the tags in its own order: the field's position differs.
    problems = [
        unknown_tag(n, tag, (n + index) % 3)
        for n in range(1000)
        for index, tag in enumerate(["capcity", "netwrk"])
    ]
    groups = collapse(problems)
    assert [str(group) for group in groups] == [
        "tags[]: unknown tag 'capcity'; add it to the `tags` vocabulary or use a known one — "
        "in 1,000 files: postmortems/0000.md:5, postmortems/0001.md:5, postmortems/0002.md:5 "
        "and 997 more",
        "tags[]: unknown tag 'netwrk'; add it to the `tags` vocabulary or use a known one — "
        "in 1,000 files: postmortems/0000.md:5, postmortems/0001.md:5, postmortems/0002.md:5 "
        "and 997 more",
    ]
    assert sum(len(group.problems) for group in groups) == 2000


def test_a_problem_said_once_reads_as_it_always_did() -> None:
    problem = unknown_tag(7, "capcity")
    (group,) = collapse([problem])
    assert (
        str(group)
        == str(problem)
        == (
            "postmortems/0007.md:5: tags[1]: unknown tag 'capcity'; add it to the `tags` vocabulary"
            " or use a known one"
        )
    )


def test_numbers_the_files_disagree_on_are_elided_and_quoted_values_keep_causes_apart() -> None:
    def draft(number: int, days: int) -> Problem:
        return Problem(
            f"{number}.md",
            3,
            "status",
            f"still a draft {days} days after the incident; expected review within 3 days",
            "warning",
            "process/draft-age",
        )

    groups = collapse(
        [draft(1, 152), draft(2, 40), draft(3, 40), unknown_tag(4, "a"), unknown_tag(5, "b")]
    )
    assert [str(group) for group in groups] == [
        "status: still a draft … days after the incident; expected review within 3 days — in 3 "
        "files: 1.md:3, 2.md:3, 3.md:3",
        str(unknown_tag(4, "a")),
        str(unknown_tag(5, "b")),
    ]


def test_rule_severity_and_suggestion_are_part_of_the_cause() -> None:
    base = Problem("a.md", 1, "summary", "is missing", "warning", "complete/summary", "Write it.")
    others = [
        Problem("b.md", 1, "summary", "is missing", "error", "complete/summary", "Write it."),
        Problem("c.md", 1, "summary", "is missing", "warning", "other/rule", "Write it."),
        Problem("d.md", 1, "summary", "is missing", "warning", "complete/summary", "Other."),
    ]
    assert len(collapse([base, *others])) == 4


def test_one_file_with_the_same_problem_twice_is_counted_as_such() -> None:
    (group,) = collapse([unknown_tag(1, "x", 0), unknown_tag(1, "x", 3), unknown_tag(2, "x")])
    assert str(group).endswith(
        "— 3 times in 2 file(s): postmortems/0001.md:5, postmortems/0002.md:5"
    )


# `pmkb check` and the build


@pytest.fixture(scope="module")
def repeated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six valid files, each with the same two unknown tags."""
    files = {
        f"2024-01-0{n}-x.md": f"---\ntitle: Incident\ndate: 2024-01-0{n}\nseverity: SEV-3\n"
        "tags: [dns, capcity, netwrk]\n---\nBody.\n"
        for n in range(1, 7)
    }
    return write_small_kb(tmp_path_factory.mktemp("repeated") / "kb", "Repeated", files)


def test_check_prints_one_line_per_cause_and_json_keeps_every_finding(
    repeated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repeated)
    assert main(["check"]) == 0
    tag_lines = [line for line in capsys.readouterr().err.splitlines() if "unknown tag" in line]
    assert tag_lines == [
        "warning: tags[]: unknown tag 'capcity' (did you mean `capacity`?); add it to the "
        "`tags` vocabulary or use a known one — in 6 files: postmortems/2024-01-01-x.md:5, "
        "postmortems/2024-01-02-x.md:5, postmortems/2024-01-03-x.md:5 and 3 more [schema/format]",
        "warning: tags[]: unknown tag 'netwrk'; add it to the `tags` vocabulary or use a known "
        "one — in 6 files: postmortems/2024-01-01-x.md:5, postmortems/2024-01-02-x.md:5, "
        "postmortems/2024-01-03-x.md:5 and 3 more [schema/format]",
    ]
    assert main(["check", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len([p for p in report["problems"] if "unknown tag" in p["message"]]) == 12
    assert main(["check", "--format", "github"]) == 0
    assert capsys.readouterr().out.count("unknown tag") == 12


def test_the_build_logs_one_warning_per_cause_and_shows_progress_on_a_terminal(
    repeated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    site = build_site(repeated / "mkdocs.yml", tmp_path / "site", strict=False)
    assert len([line for line in site.warnings() if "unknown tag" in line]) == 2
    shown = terminal.getvalue()
    assert "\rReading pages 1/" in shown and "\rWriting pages 1/" in shown
    assert shown.rindex("\r\x1b[K") > shown.rindex("Writing pages")  # erased when done


# The progress line


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> FakeTerminal:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    return FakeTerminal()


def test_progress_is_drawn_at_most_every_interval_and_erased_when_done(
    terminal: FakeTerminal,
) -> None:
    clock = Clock()
    progress = Progress(terminal, logging.getLogger("pmkb-test"), interval=1.0, clock=clock)
    for step in range(1, 5):
        clock.now = step * 0.6
        progress.advance("Writing pages", 4)
    assert terminal.getvalue() == (
        "\rWriting pages 1/4\x1b[K"  # the first step draws
        "\rWriting pages 3/4\x1b[K"  # a second later
        "\r\x1b[K"  # done: erased
    )


def test_a_log_record_erases_the_line_first(terminal: FakeTerminal) -> None:
    logger = logging.getLogger("pmkb-test-progress")
    handler = logging.StreamHandler(terminal)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        progress = Progress(terminal, logger, interval=0.0)
        progress.advance("Reading pages", 10)
        logger.warning("a warning")
        progress.advance("Reading pages", 10)
        progress.clear()
        logger.warning("after")
    finally:
        logger.removeHandler(handler)
    assert terminal.getvalue() == (
        "\rReading pages 1/10\x1b[K\r\x1b[Ka warning\n\rReading pages 2/10\x1b[K\r\x1b[Kafter\n"
    )
    assert handler.filters == []


@pytest.mark.parametrize("where", ["pipe", "ci", "dumb"])
def test_no_progress_outside_a_terminal_a_person_watches(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream: io.StringIO = io.StringIO() if where == "pipe" else FakeTerminal()
    monkeypatch.setenv("TERM", "dumb" if where == "dumb" else "xterm")
    if where == "ci":
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
    progress = Progress(stream, logging.getLogger("pmkb-test"), interval=0.0)
    for _ in range(3):
        progress.advance("Writing pages", 5)
    progress.clear()
    assert stream.getvalue() == ""
