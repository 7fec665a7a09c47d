"""Action items (tables, task lists, plain lists, lines) into `follow_ups`.

Columns are found by name (action, owner, due, status, ticket, priority), the action being
the longest column when none is named. A ticked task box or a status such as "Done",
"Completed", "WIP" or "Won't fix" becomes the follow-up's status; a group heading such as
"Immediate actions (completed)" gives the status of the items under it and becomes their
`priority` (how the team ranked them). Owners become handles only when the roles file knows
them. Cells no field takes stay in the action's text, in brackets.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from ..core.model import FOLLOW_UP_STATUSES, FOLLOW_UP_TYPES
from .document import Block, ListItem, Section
from .headings import normalise
from .moments import is_placeholder, parse_moment
from .people import People
from .report import DocumentReport

_COLUMNS = {
    "action": ("action", "action item", "action items", "item", "task", "description", "what",
               "title", "summary", "follow up", "todo", "remediation", "details", "name",
               "corrective action", "actions"),
    "owner": ("owner", "owners", "assignee", "assigned to", "who", "responsible", "team", "dri",
              "lead", "assigned"),
    "due": ("due", "due date", "deadline", "target", "target date", "eta", "by when", "when",
            "date", "due by"),
    "status": ("status", "state", "done", "progress", "complete", "completed", "resolution"),
    "ticket": ("ticket", "bug", "issue", "jira", "link", "tracking", "reference", "ref", "id",
               "tracker", "pr", "tickets", "bugs", "issue link", "tracking bug"),
    "priority": ("priority", "prio", "p", "importance"),
    "type": ("type", "kind", "category", "action type"),
}  # fmt: skip
#: A status written at the end of another cell, as the SRE book's example does: `Bug 42 DONE`.
_TRAILING_STATUS = re.compile(
    r"\s*(?:\*\*|__)?\b(DONE|TODO|COMPLETED?|IN PROGRESS|WIP|OPEN|CLOSED|WON'?T FIX)\b(?:\*\*|__)?"
    r"\s*$"
)
_DONE = {"done", "complete", "completed", "closed", "fixed", "resolved", "finished", "shipped",
         "deployed", "implemented", "yes", "x", "true", "y", "merged", "mitigated"}  # fmt: skip
_IN_PROGRESS = {"in progress", "ongoing", "wip", "started", "doing", "in review", "underway",
                "in flight", "partially done", "partial"}  # fmt: skip
_WONT_DO = {"won t do", "wont do", "wontfix", "won t fix", "cancelled", "canceled",
            "rejected", "dropped", "declined", "not doing", "obsolete", "will not do",
            "not planned"}  # fmt: skip
_OPEN = {"open", "todo", "to do", "not started", "planned", "pending", "new", "backlog", "no",
         "false", "n", "proposed", "tbd"}  # fmt: skip
_DONE_MARKS = {"✓", "✔", "☑", "✅", "[x]", "[X]"}
_OPEN_MARKS = {"☐", "[ ]", "❌", "⬜"}
_TICKET = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d+\b")
_OWNER_IN_TEXT = re.compile(
    r"\b(?:owner|assignee|assigned to|who)\s*[:=]\s*(?P<who>[^,;)\]\n]+)", re.I
)
_DUE_IN_TEXT = re.compile(
    r"\b(?:due|deadline|target(?: date)?)\s*[:=]?\s*(?P<when>[\w ,./-]{4,20})", re.I
)
_HANDLE = re.compile(r"(?<![\w.])@[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]")
#: Lines longer than this are prose, not one action each.
MAX_ITEM_LINE = 300


@dataclass
class ActionsResult:
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    found: int = 0
    leftovers: list[Block] = field(default_factory=list)


def follow_up_status(written: str) -> str | None:
    """The status a cell, a group heading or a box says, or None when it says none."""
    text = written.strip()
    if text in _DONE_MARKS:
        return "done"
    if text in _OPEN_MARKS:
        return "open"
    words = normalise(text)
    in_progress = "in-progress" if "in-progress" in FOLLOW_UP_STATUSES else "open"
    for status, vocabulary in (
        ("wont-do", _WONT_DO),
        (in_progress, _IN_PROGRESS),
        ("done", _DONE),
        ("open", _OPEN),
    ):
        if words in vocabulary or any(
            f" {term} " in f" {words} " for term in vocabulary if " " in term
        ):
            return status
    return None


class ActionReader:
    """An action-items section into follow-ups; owners the roles do not know, due dates that
    cannot be read and statuses we do not know go into the document's report."""

    def __init__(
        self,
        report: DocumentReport,
        people: People,
        *,
        day_first: bool | None,
        incident_date: dt.date | None,
    ) -> None:
        self.report = report
        self.people = people
        self.day_first = day_first
        self.incident_date = incident_date
        self.result = ActionsResult()

    def read(self, section: Section) -> ActionsResult:
        self._read_section(section, status=None, group=None)
        return self.result

    def _read_section(self, section: Section, status: str | None, group: str | None) -> None:
        prose = is_prose(section.blocks)
        for block in section.blocks:
            if block.kind == "table" and self._read_table(block, status, group):
                continue
            if block.kind == "list":
                for item in block.items:
                    self._read_item(item, status, group)
            elif block.kind == "paragraph" and not prose and not is_lead_in(block):
                for line in block.text.split("\n"):
                    if line.strip() and not is_placeholder(line):
                        self._add(line.strip(), {}, status, group)
            else:
                self.result.leftovers.append(block)
        for child in section.children:
            heading = re.sub(r"\s*\([^)]*\)\s*", " ", child.title).strip()
            self._read_section(
                child,
                follow_up_status(child.title) or _status_in(child.title) or status,
                heading or child.title,
            )

    def _read_item(self, item: ListItem, status: str | None, group: str | None) -> None:
        text = item.text
        if item.children:
            details = "; ".join(child.all_text().replace("\n", "; ") for child in item.children)
            text = f"{text} ({details})" if text else details
        if item.checked is not None:
            status = "done" if item.checked else (status or "open")
        if text.strip() and not is_placeholder(text):
            self._add(text, {}, status, group)

    def _read_table(self, block: Block, status: str | None, group: str | None) -> bool:
        header, rows = block.header, list(block.rows)
        names = [normalise(cell) for cell in header or []]
        if (
            header is None
            and rows
            and any(normalise(cell) in _COLUMNS["action"] + _COLUMNS["owner"] for cell in rows[0])
        ):
            header, rows = rows[0], rows[1:]
            names = [normalise(cell) for cell in header]
        roles: dict[int, str] = {}
        for index, name in enumerate(names):
            for role, words in _COLUMNS.items():
                if name in words and role not in roles.values():
                    roles[index] = role
                    break
        width = max([len(names)] + [len(row) for row in rows] + [0])
        if width == 0:
            return False
        if "action" not in roles.values():
            free = [i for i in range(width) if i not in roles]
            if not free:
                return False
            roles[max(free, key=lambda i: sum(len(r[i]) for r in rows if i < len(r)))] = "action"
        for cells in rows:
            if not any(cell.strip() for cell in cells):
                continue
            values: dict[str, str] = {}
            extras = []
            for index, cell in enumerate(cells):
                if not cell.strip():
                    continue
                column = roles.get(index)
                if column:
                    values[column] = cell.strip()
                else:
                    label = header[index] if header and index < len(header) else ""
                    extras.append(f"{label}: {cell.strip()}" if label else cell.strip())
            action = values.pop("action", "")
            for role in [role for role in values if role not in ("status", "action")]:
                trailing = _TRAILING_STATUS.search(values[role])
                if trailing and "status" not in values:
                    values["status"] = trailing.group(1)
                    values[role] = values[role][: trailing.start()].strip()
            written_type = values.pop("type", None)
            if written_type and written_type.strip().lower() in FOLLOW_UP_TYPES:
                values["type"] = written_type.strip().lower()
            elif written_type:
                label = (
                    next((header[i] for i, r in roles.items() if r == "type"), "Type")
                    if (header)
                    else "Type"
                )
                extras.insert(0, f"{label}: {written_type}")
            if extras:
                action = f"{action} ({'; '.join(extras)})" if action else "; ".join(extras)
            self._add(action, values, status, group)
        return True

    def _add(
        self, action: str, values: dict[str, str], status: str | None, group: str | None
    ) -> None:
        self.result.found += 1
        action = action.strip()
        if not action:
            self.report.ask("an action item without an action was left out")
            return
        follow_up: dict[str, Any] = {"action": action}
        owner = values.get("owner") or _first_group(_OWNER_IN_TEXT, action, "who")
        if owner is None:
            handles = [h for h in _HANDLE.findall(action) if self.people.handle(h)]
            owner = handles[0] if handles else None
        if owner and not is_placeholder(owner):
            follow_up["owner"] = self._owner(owner)
        due = values.get("due") or _first_group(_DUE_IN_TEXT, action, "when")
        if due and not is_placeholder(due):
            day = self._due(due, explicit="due" in values)
            if day is not None:
                follow_up["due"] = day.isoformat()
        written_status = values.get("status")
        read = follow_up_status(written_status) if written_status else None
        if written_status and read is None and not is_placeholder(written_status):
            follow_up["action"] = f"{action} (status: {written_status})"
            self.report.ask(
                f"follow-up status '{written_status}' is not one we know; written as "
                "open with the status in the action's text"
            )
        follow_up["status"] = read or status or "open"
        ticket = values.get("ticket") or _first_group(_TICKET, action, None)
        if ticket and not is_placeholder(ticket):
            follow_up["ticket"] = ticket
        if values.get("type"):
            follow_up["type"] = values["type"]
        priority = values.get("priority") or group
        if priority and not is_placeholder(priority):
            follow_up["priority"] = priority
        self.result.follow_ups.append(follow_up)

    def _owner(self, written: str) -> str:
        handle = self.people.handle(written)
        if handle:
            return handle
        self.report.assume(
            f"follow-up owner '{written.strip()}' kept as text: _roles.yml has no such name"
        )
        return written.strip()

    def _due(self, written: str, *, explicit: bool) -> dt.date | None:
        moment = parse_moment(written.strip(), day_first=self.day_first)
        if moment is None or not moment.has_date:
            if explicit:
                self.report.ask(f"follow-up due date '{written}' is not a date; left out")
            return None
        if moment.day_problem:
            self.report.ask(f"follow-up due date {moment.day_problem}; left out")
            return None
        if moment.day is not None:
            return moment.day
        if moment.month_day and self.incident_date:
            month, day = moment.month_day
            year = self.incident_date.year + (
                (month, day) < (self.incident_date.month, self.incident_date.day)
            )
            self.report.assume(f"follow-up due date '{written}' read in {year}")
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None
        return None


def _first_group(pattern: re.Pattern[str], text: str, group: str | None) -> str | None:
    match = pattern.search(text)
    if match is None:
        return None
    return (match.group(group) if group else match.group()).strip()


def _status_in(title: str) -> str | None:
    """A status named in a group heading's brackets: "Short-term (In Progress - #39133)"."""
    for note in re.findall(r"\(([^)]*)\)", title):
        for part in re.split(r"\s+[-\u2013\u2014]\s+|,", note):
            status = follow_up_status(part)
            if status:
                return status
    return None


def is_lead_in(block: Block) -> bool:
    return block.text.rstrip().endswith(":")


def is_prose(blocks: list[Block]) -> bool:
    """Whether a section's paragraphs are prose to keep as narrative rather than one item per
    line: there is a list or table beside them, or a line is too long to be one item."""
    if any(block.kind in ("list", "table") for block in blocks):
        return True
    return any(
        len(line) > MAX_ITEM_LINE
        for block in blocks if block.kind == "paragraph"
        for line in block.text.split("\n")
    )  # fmt: skip
