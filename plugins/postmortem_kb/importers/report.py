"""What `pmkb import` did with each document, for people (text) and for tools (`--json`).

Per document: where it went, which sections and fields were recognised, how many timeline
rows and action items were carried over of how many found, which sections were kept as
narrative, what was assumed, what needs a human, and warnings. The totals give the share of
documents, timeline rows and action items carried over.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

#: What happened to a document.
IMPORTED, WOULD_IMPORT, ALREADY_IMPORTED, NOT_IMPORTED = (
    "imported", "would import", "already imported", "not imported",
)  # fmt: skip


@dataclass
class DocumentReport:
    """One document (or one spreadsheet row) and what became of it."""

    source: str
    outcome: str = NOT_IMPORTED
    #: The file written (or that would be, with --dry-run), or the one it was imported as.
    target: str | None = None
    id: str | None = None
    status: str | None = None
    #: "Heading → field" for every section and value recognised.
    recognised: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    timeline_found: int = 0
    timeline_carried: int = 0
    actions_found: int = 0
    actions_carried: int = 0
    #: Headings whose text was kept in the narrative body.
    narrative: list[str] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)
    needs_human: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Why the document was not imported, or what it was already imported as.
    reason: str | None = None

    def assume(self, message: str) -> None:
        _add_once(self.assumed, message)

    def ask(self, message: str) -> None:
        _add_once(self.needs_human, message)

    def warn(self, message: str) -> None:
        _add_once(self.warnings, message)

    def recognise(self, message: str) -> None:
        _add_once(self.recognised, message)

    @property
    def carried_over(self) -> bool:
        return self.outcome in (IMPORTED, WOULD_IMPORT, ALREADY_IMPORTED)


def _add_once(messages: list[str], message: str) -> None:
    if message not in messages:
        messages.append(message)


@dataclass(frozen=True)
class Totals:
    documents: int
    carried: int
    timeline_found: int
    timeline_carried: int
    actions_found: int
    actions_carried: int

    @staticmethod
    def of(reports: Sequence[DocumentReport]) -> Totals:
        counted = [report for report in reports if report.outcome != ALREADY_IMPORTED]
        return Totals(
            documents=len(reports),
            carried=sum(report.carried_over for report in reports),
            timeline_found=sum(report.timeline_found for report in counted),
            timeline_carried=sum(
                report.timeline_carried for report in counted if report.carried_over
            ),
            actions_found=sum(report.actions_found for report in counted),
            actions_carried=sum(
                report.actions_carried for report in counted if report.carried_over
            ),
        )


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "0/0"


def format_text(reports: Sequence[DocumentReport], *, dry_run: bool) -> str:
    lines: list[str] = []
    for report in reports:
        arrow = f" → {report.target}" if report.target else ""
        state = f" ({report.status})" if report.status and report.carried_over else ""
        lines.append(f"{report.source}{arrow}: {report.outcome}{state}")
        if report.reason:
            lines.append(f"  {report.reason}")
        if report.outcome in (IMPORTED, WOULD_IMPORT):
            lines.extend(_details(report))
        lines.append("")
    totals = Totals.of(reports)
    verb = "would be carried over" if dry_run else "carried over"
    lines.append(
        f"{totals.documents} document(s): {share(totals.carried, totals.documents)} {verb}; "
        f"timeline rows {share(totals.timeline_carried, totals.timeline_found)}; "
        f"action items {share(totals.actions_carried, totals.actions_found)}"
    )
    if dry_run:
        lines.append("Dry run: nothing was written.")
    return "\n".join(lines)


def _details(report: DocumentReport) -> list[str]:
    lines = []
    if report.recognised:
        lines.append("  recognised: " + "; ".join(report.recognised))
    lines.append(
        f"  timeline: {report.timeline_carried} of {report.timeline_found} row(s) carried over;"
        f" action items: {report.actions_carried} of {report.actions_found}"
    )
    if report.narrative:
        lines.append("  kept as narrative: " + "; ".join(report.narrative))
    for title, messages in (
        ("assumed", report.assumed),
        ("needs a human", report.needs_human),
        ("warning", report.warnings),
    ):
        lines.extend(f"  {title}: {message}" for message in messages)
    return lines


def format_json(reports: Sequence[DocumentReport], *, dry_run: bool) -> str:
    totals = Totals.of(reports)
    return json.dumps(
        {
            "dry_run": dry_run,
            "documents": [asdict(report) for report in reports],
            "totals": asdict(totals),
        },
        indent=2,
        ensure_ascii=False,
    )
