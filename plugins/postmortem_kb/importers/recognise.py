"""One document's sections and labels into the fields of a postmortem, and its narrative.

Three passes, because later ones need what earlier ones found. First the structure: the
title (front matter, the first heading when it names no section, the page title, the file
name), labelled values ("Severity: SEV-2", "**Date:** …", a Stats list, a two-column table)
and the kind of every section. Then the document's own conventions: its date, time zone and
how it writes numeric dates. Then each section in order becomes fields or narrative, so the
narrative keeps the document's order. A labelled value no field takes goes back into the
narrative as written; every section no field takes is kept under its own heading.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from ..core.fields import zone_for as kb_zone_for
from ..core.formatting import slugify
from ..core.settings import Settings
from ..core.validate import normalise_severity
from .document import Block, Section, SourceDocument
from .follow_ups import MAX_ITEM_LINE, ActionReader, is_lead_in, is_prose
from .headings import label_kind, section_kind
from .markdown_reader import read_blocks
from .moments import (
    Zone,
    find_date,
    is_placeholder,
    numeric_date_order,
    parse_duration,
    parse_moment,
    read_date,
    zone_for,
    zone_note,
)
from .people import People, split_names
from .report import DocumentReport
from .timeline import TimelineReader

_LABEL = re.compile(
    r"^\s*(?:[-*]\s+)?(?P<mark>\*\*|__)?(?P<label>[A-Za-z][\w '\u2019/&()-]{0,48}?)\s*"
    r"(?:(?P=mark)\s*:|:\s*(?P=mark)|:)\s*(?P<value>.*)$"
)
_TITLE_PREFIX = re.compile(
    r"^(?:post[\s-]?mortem|incident(?:\s+report)?|incident\s+review|pir|rca|"
    r"retrospective)\s*(?:#?\d+\s*)?(?:[:\-\u2013\u2014|]\s*|for\s+|of\s+)",
    re.I,
)
_SEVERITY_NUMBER = re.compile(
    r"^(?P<kind>sev(?:erity)?|p|priority|level|s|lvl)\s*[-_ ]?(?P<n>\d)$", re.I
)
#: List fields and the section kinds that fill them.
_LIST_FIELDS = {
    "root_cause": "contributors", "contributing": "contributors", "went_well": "went_well",
    "went_wrong": "went_wrong", "got_lucky": "got_lucky", "mitigators": "mitigators",
    "risks": "risks", "five_whys": "five_whys", "unknowns": "unknowns",
    "surprises": "surprises", "learnings": "learnings",
}  # fmt: skip
_NARRATIVE_KINDS = {"what_happened", "trigger", "resolution", "detection", "supporting"}
#: Field names `--map` accepts, and the section or value kind each one is.
MAP_TARGETS = {
    "title": "value:title", "date": "value:date", "severity": "value:severity",
    "summary": "summary", "impact": "impact", "services": "value:services",
    "tags": "value:category", "trigger": "trigger", "contributors": "contributing",
    "mitigators": "mitigators", "risks": "risks", "learnings": "learnings",
    "went_well": "went_well", "went_wrong": "went_wrong", "got_lucky": "got_lucky",
    "follow_ups": "follow_ups", "timeline": "timeline", "owner": "value:owner",
    "commander": "value:commander", "started": "value:started", "detected": "value:detected",
    "mitigated": "value:mitigated", "resolved": "value:resolved",
    "duration": "value:duration", "time_to_detect": "value:time_to_detect",
    "time_to_mitigate": "value:time_to_mitigate", "time_to_resolve": "value:time_to_resolve",
    "attendees": "attendees", "narrative": "narrative",
}  # fmt: skip
_MAX_ID = 60


@dataclass
class ImportOptions:
    """What `pmkb import` was told: `--default-severity`, `--status`."""

    default_severity: str
    status: str = "draft"


@dataclass
class Converted:
    """A document as a postmortem: its fields (front matter) and narrative body."""

    fields: dict[str, Any]
    body: str
    slug: str


@dataclass
class _Label:
    kind: str
    label: str
    value: str
    #: The line as written, put back into the narrative when no field takes it.
    written: str
    used: bool = False


@dataclass
class _Plan:
    """The document's structure: title, preamble, sections, labels (first pass)."""

    title: str | None
    preamble: list[Block]
    sections: list[Section]
    labels: list[_Label] = field(default_factory=list)


class Recogniser:
    """One document into a `Converted` postmortem (None when it is none); what it did goes
    into the document's report."""

    def __init__(
        self,
        document: SourceDocument,
        settings: Settings,
        people: People,
        options: ImportOptions,
        report: DocumentReport,
    ) -> None:
        self.document = document
        self.settings = settings
        self.people = people
        self.options = options
        self.report = report
        self.fields: dict[str, Any] = {}
        self.narrative: list[str] = []
        self.kinds: dict[int, str | None] = {}
        self.day_first: bool | None = None
        self.zone: Zone | None = None
        self.date: dt.date | None = None
        #: Whether the date is written where postmortems write theirs (a label, the title,
        #: the file name), rather than found in the timeline or the text.
        self.date_written = False
        self.first_moment: dt.datetime | None = None
        self.timeline_read = False
        self.kb_zone = kb_zone_for(settings)

    # -- the three passes --------------------------------------------------------------
    def convert(self) -> Converted | None:
        plan = self._plan()
        self.day_first = numeric_date_order([self.document.root.text()])
        self._conventions(plan)
        if self.date is None:
            unclear = f" ({'; '.join(self.report.needs_human)})" if self.report.needs_human else ""
            self.report.reason = (
                f"no date that can be read{unclear} in the front matter, a 'Date:' line, the "
                "title, the file name, the timeline or the text; add a line 'Date: YYYY-MM-DD'"
            )
            return None
        title = self._title(plan)
        for section in plan.sections:
            self._section(section, depth=1)
        recognised = [kind for kind in self.kinds.values() if kind and kind != "narrative"]
        if not (recognised or any(label.used for label in plan.labels) or self.date_written):
            self.report.reason = (
                "no section of a postmortem was recognised, and no date is "
                "written where a postmortem has one; not imported"
            )
            return None
        self._preamble(plan)
        self._values(plan)
        self._severity(plan)
        for loss in self.document.losses:
            self.report.ask(loss)
        fields = self._assemble(title)
        return Converted(fields, self._body(plan), self._slug(title))

    def _plan(self) -> _Plan:
        root = self.document.root
        preamble, sections = list(root.blocks), list(root.children)
        title = None
        if sections and not _has_text(preamble) and sections[0].forced is None:
            first = sections[0]
            kind = label_kind(first.title)
            if kind == ("value", "title") and first.blocks:
                title = first.blocks[0].text.strip()
                preamble += first.blocks[1:]
                sections = first.children + sections[1:]
            elif kind is None:
                title = first.title
                preamble += first.blocks
                sections = first.children + sections[1:]
        plan = _Plan(title, [], sections)
        for key, value in self.document.front_matter.items():
            text = _front_matter_text(value)
            kind = label_kind(key)
            if text is not None and kind is not None and kind[0] == "value":
                plan.labels.append(_Label(kind[1], key, text, f"- **{key}:** {text}"))
            elif text is not None:
                plan.labels.append(_Label("other", key, text, f"- **{key}:** {text}"))
        plan.preamble = self._take_labels(preamble, plan, sections)
        for section in sections:
            for part in section.walk():
                self._classify(part, plan)
        return plan

    def _classify(self, section: Section, plan: _Plan) -> None:
        if section.forced:
            kind: str | None = section.forced
        else:
            label = label_kind(section.title)
            kind = (
                f"value:{label[1]}"
                if label and label[0] == "value"
                else section_kind(section.title, contained=not section.pseudo)
            )
        if kind and kind.startswith("value:"):
            text = section.text().strip()
            if text and len(text) <= 200 and "\n\n" not in text:
                plan.labels.append(
                    _Label(kind[6:], section.title, text, f"- **{section.title}:** {text}")
                )
                section.blocks = []
        elif kind == "stats":
            section.blocks = self._take_labels(section.blocks, plan, None)
        self.kinds[id(section)] = kind

    def _take_labels(
        self, blocks: list[Block], plan: _Plan, sections: list[Section] | None
    ) -> list[Block]:
        """`blocks` without their labelled lines ("Severity: SEV-2"), which become labels; a
        labelled section ("Root Causes: …") becomes a section of its own in `sections`."""
        kept: list[Block] = []
        new_sections: list[Section] = []
        for block in blocks:
            lines = _labelled_lines(block)
            if lines is None:
                kept.append(block)
                continue
            rest: list[str] = []
            for written, label in lines:
                if label is None:
                    rest.append(written)
                    continue
                name, value = label
                kind = label_kind(name)
                if kind and kind[0] == "value" and value:
                    plan.labels.append(_Label(kind[1], name, value, f"- **{name}:** {value}"))
                elif kind and kind[0] == "section" and value and sections is not None:
                    new_sections.append(Section(name, 2, [Block("paragraph", value, text=value)]))
                else:
                    rest.append(written)
            if rest:
                text = "\n".join(rest)
                kept.append(
                    Block("paragraph", text, text=text) if len(rest) < len(lines) else block
                )
        if sections is not None:
            sections[:0] = new_sections
        return kept

    def _conventions(self, plan: _Plan) -> None:
        for label in plan.labels:
            if label.kind == "timezone" or (label.kind == "other" and "zone" in label.label):
                zone = zone_note(label.value) or zone_for(label.value)
                if zone:
                    self.zone, label.used = zone, True
        notes = list(plan.preamble)
        for section in plan.sections:
            for part in section.walk():
                if section_kind(part.title) != "timeline":
                    notes.extend(part.blocks)
        for block in notes:
            if (
                block.kind == "paragraph"
                and len(block.text) < 160
                and re.search(r"\btimes?\b|\btime ?zone\b", block.text, re.I)
            ):
                self.zone = self.zone or zone_note(block.text)
        self.date = self._document_date(plan)

    def _document_date(self, plan: _Plan) -> dt.date | None:
        for kind in ("date", "started"):
            for label in plan.labels:
                if label.kind != kind:
                    continue
                moment = read_date(label.value, day_first=self.day_first)
                if moment is not None and moment.day is not None:
                    if kind == "date":
                        label.used = True
                    self.date_written = True
                    return moment.day
                if moment is not None and moment.day_problem:
                    self.report.ask(f"{label.label}: {moment.day_problem}")
        stem = PurePath(self.document.name).stem
        candidates = [
            plan.title or "",
            self.document.title_hint or "",
            stem,
            re.sub(r"[-_]+", " ", stem),
        ]
        for text in candidates:
            found = find_date(text)
            if found:
                self.report.assume(f"date {found[0]} read from '{text}'")
                self.date_written = True
                return found[0]
        for section in plan.sections:
            for part in section.walk():
                if section_kind(part.title) == "timeline":
                    day = self._first_timeline_date(part)
                    if day:
                        self.report.assume(f"date {day} taken from the first dated timeline row")
                        return day
        found = find_date(self.document.root.text())
        if found:
            self.report.assume(f"date {found[0]} is the first date written in the text")
            return found[0]
        return None

    def _first_timeline_date(self, section: Section) -> dt.date | None:
        for block in section.blocks:
            texts = (
                [row[0] for row in block.rows if row]
                if block.kind == "table"
                else [item.text for item in block.items] or block.text.split("\n")
            )
            for text in texts:
                moment = parse_moment(re.sub(r"^[\s*_`\[(]+", "", text), day_first=self.day_first)
                if moment is not None and moment.day is not None:
                    return moment.day
        for child in section.children:
            moment = parse_moment(child.title, day_first=self.day_first)
            if moment is not None and moment.day is not None:
                return moment.day
        return None

    # -- sections --------------------------------------------------------------------
    def _section(self, section: Section, depth: int) -> None:
        kind = self.kinds.get(id(section))
        if kind == "summary" and "summary" not in self.fields:
            self._text_field(section, "summary", depth)
        elif kind == "impact" and "customer" not in self.fields.get("impact", {}):
            self._text_field(section, "impact.customer", depth)
        elif kind in _LIST_FIELDS:
            self._list_field(section, _LIST_FIELDS[kind], depth)
        elif kind == "trigger":
            self._trigger(section, depth)
        elif kind == "timeline" and not self.timeline_read:
            self._timeline(section, depth)
        elif kind == "follow_ups" or (kind == "remediation" and _has_items(section)):
            self._follow_ups(section, depth)
        elif kind == "attendees":
            self._attendees(section, depth)
        else:
            if kind in _NARRATIVE_KINDS or kind == "remediation":
                self.report.recognise(f"{section.title} → narrative")
            self._keep(section.title, section.blocks, depth)
            for child in section.children:
                self._section(child, depth + 1)

    def _text_field(self, section: Section, name: str, depth: int) -> None:
        """The section's text, with the subsections no field takes, as the field's value;
        recognised subsections ("### Timeline" under "## Summary") go their own way."""
        own = [child for child in section.children if not self.kinds.get(id(child))]
        text = Section(section.title, section.level, section.blocks, own).text().strip()
        for child in section.children:
            if child not in own:
                self._section(child, depth + 1)
        if not text or is_placeholder(text):
            self.report.assume(f"{section.title}: empty or a placeholder ('{text}'); left out")
            return
        if "." in name:
            parent, key = name.split(".")
            self.fields.setdefault(parent, {})[key] = text
        else:
            self.fields[name] = text
        self.report.recognise(f"{section.title} → {name}")

    def _list_field(self, section: Section, name: str, depth: int) -> None:
        items, leftovers = _items(section.blocks)
        kinds = {id(child): self.kinds.get(id(child)) for child in section.children}
        if items:
            if name == "learnings":
                self.fields.setdefault("learnings", []).extend(items)
            else:
                self.fields.setdefault(name, []).extend(items)
            self.report.recognise(f"{section.title} → {name} ({len(items)})")
        elif not leftovers and not section.children:
            self.report.assume(f"{section.title}: empty or a placeholder; left out")
        elif leftovers:
            self.report.recognise(f"{section.title} → narrative (prose)")
        self._keep(section.title, leftovers, depth)
        for child in section.children:
            if kinds[id(child)] is None and name in ("learnings", "contributors"):
                child_items, child_rest = _items(child.blocks)
                self.fields.setdefault(name, []).extend(child_items)
                self._keep(child.title, child_rest, depth + 1)
                for grandchild in child.children:
                    self._section(grandchild, depth + 2)
            else:
                self._section(child, depth + 1)

    def _trigger(self, section: Section, depth: int) -> None:
        text = section.text().strip()
        word = text.lower().strip(" .")
        if word in self.settings.triggers:
            self.fields["trigger"] = word
            self.report.recognise(f"{section.title} → trigger")
            return
        self.report.recognise(f"{section.title} → narrative")
        self._keep(section.title, section.blocks, depth)
        for child in section.children:
            self._section(child, depth + 1)

    def _timeline(self, section: Section, depth: int) -> None:
        self.timeline_read = True
        reader = TimelineReader(
            self.report,
            document_date=self.date,
            zone=self.zone,
            day_first=self.day_first,
            kb_zone=self.kb_zone,
            kb_zone_name=self.settings.timezone,
        )
        result = reader.read(section)
        if result.entries:
            self.fields["timeline"] = result.entries
        self.first_moment = result.first_moment
        self.report.timeline_found += result.found
        self.report.timeline_carried += len(result.entries)
        self.report.recognise(f"{section.title} → timeline ({len(result.entries)} rows)")
        leftovers = list(result.leftovers)
        if result.unplaced:
            text = "Timeline rows not carried over (see the note at the top):\n\n" + "\n".join(
                f"- {' '.join(row.split())}" for row in result.unplaced
            )
            leftovers.append(Block("paragraph", text, text=text))
        self._keep(section.title, leftovers, depth)
        for child in result.other_children:
            self._section(child, depth + 1)

    def _follow_ups(self, section: Section, depth: int) -> None:
        reader = ActionReader(
            self.report, self.people, day_first=self.day_first, incident_date=self.date
        )
        result = reader.read(section)
        if result.follow_ups:
            self.fields.setdefault("follow_ups", []).extend(result.follow_ups)
        self.report.actions_found += result.found
        self.report.actions_carried += len(result.follow_ups)
        self.report.recognise(f"{section.title} → follow_ups ({len(result.follow_ups)})")
        self._keep(section.title, result.leftovers, depth)

    def _attendees(self, section: Section, depth: int) -> None:
        texts: list[str] = []
        for block in section.blocks:
            if block.kind == "list":
                texts.extend(item.all_text() for item in block.items)
            elif block.kind == "table":
                texts.extend(cell for row in block.rows for cell in row[:1])
            else:
                texts.append(block.text)
        handles, unknown = [], []
        for name in split_names("\n".join(texts)):
            handle = self.people.handle(name)
            if handle and handle not in handles:
                handles.append(handle)
            elif not handle:
                unknown.append(name)
        if handles:
            self.fields.setdefault("review", {})["attendees"] = handles
            self.report.recognise(f"{section.title} → review.attendees ({len(handles)})")
        if unknown:
            self.report.assume(f"attendees kept as text (not in _roles.yml): {', '.join(unknown)}")
            self._keep(section.title, section.blocks, depth)

    def _keep(self, title: str, blocks: list[Block], depth: int) -> None:
        text = "\n\n".join(block.markdown for block in blocks if block.markdown.strip())
        if not text.strip():
            return
        if title:
            self.narrative.append(f"{'#' * min(depth + 1, 6)} {title}")
            self.report.narrative.append(title)
        self.narrative.append(text)

    # -- values ----------------------------------------------------------------------
    def _preamble(self, plan: _Plan) -> None:
        blocks = [block for block in plan.preamble if _has_text([block])]
        if not blocks:
            return
        text = "\n\n".join(block.markdown for block in blocks)
        if "summary" not in self.fields and not is_placeholder(text):
            self.fields["summary"] = text
            self.report.recognise("text before the first section → summary")
        else:
            self.narrative.insert(0, text)
            self.report.narrative.append("(text before the first section)")

    def _values(self, plan: _Plan) -> None:
        times: dict[str, dt.datetime] = {}
        durations: dict[str, tuple[_Label, dt.timedelta]] = {}
        for label in plan.labels:
            if is_placeholder(label.value):
                label.used = True
                self.report.assume(f"{label.label}: not stated ('{label.value}')")
                continue
            kind = label.kind
            if kind in ("started", "detected", "mitigated", "resolved"):
                stamp = self._timestamp(label)
                if stamp is not None and kind not in times:
                    times[kind], label.used = stamp, True
            elif kind in ("duration", "time_to_detect", "time_to_mitigate", "time_to_resolve"):
                span = parse_duration(label.value)
                if span is None:
                    self.report.ask(
                        f"{label.label}: '{label.value}' is not a duration; kept as text"
                    )
                else:
                    durations[kind] = (label, span)
            elif kind == "services":
                self.fields["services"] = split_names(label.value)
                label.used = True
            elif kind == "category":
                label.used = self._category(label)
            elif kind in ("owner", "commander"):
                label.used = self._person(label)
            elif kind == "title":
                label.used = True
        self._impact_times(times, durations)
        for label in plan.labels:
            if label.kind == "title" and label.used and "title" not in self.fields:
                self.fields["title"] = label.value

    def _timestamp(self, label: _Label) -> dt.datetime | None:
        moment = parse_moment(label.value.strip(), day_first=self.day_first)
        if moment is None or moment.clock is None:
            return None
        day = moment.day or self.date
        zone = moment.zone or self.zone
        if moment.day_problem or day is None or (zone is not None and zone.problem):
            self.report.ask(
                f"{label.label}: '{label.value}' cannot be read as a time "
                f"({moment.day_problem or (zone.problem if zone else 'no date')})"
            )
            return None
        return dt.datetime.combine(day, moment.clock, zone.tzinfo if zone else self.kb_zone)

    def _impact_times(
        self,
        times: dict[str, dt.datetime],
        durations: dict[str, tuple[_Label, dt.timedelta]],
    ) -> None:
        targets = {
            "time_to_detect": "detected",
            "time_to_mitigate": "mitigated",
            "time_to_resolve": "resolved",
            "duration": "resolved",
        }
        start = times.get("started")
        if durations and start is None and self.first_moment is not None:
            start = self.first_moment
            times["started"] = start
            self.report.assume(
                f"impact.started {start.isoformat(timespec='minutes')} is the first timeline "
                "row (durations are counted from it)"
            )
        for kind, (label, span) in durations.items():
            if start is None:
                self.report.ask(
                    f"{label.label} '{label.value}' has no start to count from; kept as text"
                )
                continue
            if targets[kind] not in times:
                times[targets[kind]] = start + span
                label.used = True
                self.report.recognise(f"{label.label} → impact.{targets[kind]}")
        order = [
            times[name]
            for name in ("started", "detected", "mitigated", "resolved")
            if name in times
        ]
        if order != sorted(order):
            self.report.ask(
                "impact times are out of order (started ≤ detected ≤ mitigated ≤ "
                "resolved); left out"
            )
            return
        for name in ("started", "detected", "mitigated", "resolved"):
            if name in times:
                self.fields.setdefault("impact", {})[name] = times[name].isoformat("T", "minutes")

    def _category(self, label: _Label) -> bool:
        used = False
        for part in split_names(label.value):
            word = slugify(part)
            if word in self.settings.triggers and "trigger" not in self.fields:
                self.fields["trigger"] = word
                used = True
            elif not self.settings.tags or word in self.settings.tags:
                self.fields.setdefault("tags", []).append(word)
                used = True
            else:
                self.report.assume(
                    f"{label.label} '{part}' is not in the tag vocabulary; kept as text"
                )
        return used

    def _person(self, label: _Label) -> bool:
        names = split_names(label.value)
        handles = [self.people.handle(name) for name in names]
        if len(names) == 1 and handles[0]:
            self.fields[label.kind] = handles[0]
            return True
        self.report.assume(
            f"{label.label} '{label.value}' kept as text: "
            + ("_roles.yml does not know them" if not all(handles) else "more than one person")
        )
        return False

    def _severity(self, plan: _Plan) -> None:
        scale = self.settings.severities
        for label in plan.labels:
            if label.kind != "severity" or label.used:
                continue
            label.used = True
            level = normalise_severity(label.value, scale)
            number = _SEVERITY_NUMBER.match(label.value.strip())
            if level is None and number and 1 <= int(number.group("n")) <= len(scale):
                level = scale[int(number.group("n")) - 1]
                self.report.assume(f"severity '{label.value}' read as {level} (1 is the worst)")
            if level is not None:
                self.fields["severity"] = level
                self.report.recognise(f"{label.label} → severity")
                return
            self.report.ask(
                f"severity '{label.value}' is not on the scale ({', '.join(scale)}); "
                f"written as {self.options.default_severity} until someone decides"
            )
            self.fields["severity"] = self.options.default_severity
            return
        self.fields["severity"] = self.options.default_severity
        self.report.assume(
            f"severity {self.options.default_severity}: the document states none "
            "(--default-severity)"
        )

    # -- the file ----------------------------------------------------------------------
    def _title(self, plan: _Plan) -> str:
        written = next((label.value for label in plan.labels if label.kind == "title"), None)
        title = written or plan.title or self.document.title_hint
        if not title:
            title = re.sub(r"[-_]+", " ", PurePath(self.document.name).stem).strip()
            self.report.assume(f"title taken from the file name: '{title}'")
        title = re.sub(r"[*_`]+", "", " ".join(title.split()))
        if " : " in title:  # a wiki's "Space : Page"
            title = title.split(" : ", 1)[1]
        title = _TITLE_PREFIX.sub("", title).strip() or title
        found = find_date(title)
        if found:
            start, end = found[1]
            shorter = (title[:start] + title[end:]).strip(" -\u2013\u2014:,|()")
            title = shorter if len(shorter) >= 8 else title
        return title

    def _slug(self, title: str) -> str:
        assert self.date is not None
        slug = slugify(title)[: _MAX_ID - 11].rstrip("-")
        return f"{self.date.isoformat()}-{slug}"

    def _assemble(self, title: str) -> dict[str, Any]:
        assert self.date is not None
        status = self.options.status
        if self.report.needs_human and status != "draft":
            self.report.assume(f"status draft, not {status}: something needs a human")
            status = "draft"
        ordered: dict[str, Any] = {"title": title, "date": self.date.isoformat(), "status": status}
        for name in (
            "severity",
            "services",
            "tags",
            "trigger",
            "impact",
            "commander",
            "owner",
            "summary",
            "timeline",
            "contributors",
            "mitigators",
            "risks",
            "learnings",
            "surprises",
            "went_well",
            "went_wrong",
            "got_lucky",
            "five_whys",
            "unknowns",
            "follow_ups",
            "review",
        ):
            if name in self.fields:
                ordered[name] = self.fields[name]
        self.report.status = status
        self.report.fields = [name for name in ordered if name != "status"]
        return ordered

    def _body(self, plan: _Plan) -> str:
        parts = []
        if self.report.needs_human:
            notes = "\n".join(f"    - {message}" for message in self.report.needs_human)
            parts.append(f'!!! warning "Imported: needs a human"\n{notes}')
        unused = [label.written for label in plan.labels if not label.used]
        if unused:
            parts.append("\n".join(unused))
        parts.extend(self.narrative)
        return "\n\n".join(parts).strip() + "\n"


def _front_matter_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    return None


def _labelled_lines(block: Block) -> list[tuple[str, tuple[str, str] | None]] | None:
    """Each line of a paragraph, list or two-column table with its (label, value), or None
    for a block that holds no labelled line."""
    if block.kind == "paragraph":
        lines = block.text.split("\n")
    elif block.kind == "list" and all(not item.children for item in block.items):
        lines = [item.text for item in block.items]
    elif block.kind == "table" and all(len(row) == 2 for row in block.rows) and block.rows:
        rows = ([block.header] if block.header else []) + block.rows
        pairs = [(" | ".join(row), (row[0], row[1])) for row in rows if len(row) == 2]
        labelled = [(written, pair if label_kind(pair[0]) else None) for written, pair in pairs]
        return labelled if any(pair for _, pair in labelled) else None
    else:
        return None
    found: list[tuple[str, tuple[str, str] | None]] = []
    for line in lines:
        match = _LABEL.match(line)
        pair = None
        if match and label_kind(match.group("label")):
            pair = (match.group("label").strip(), match.group("value").strip())
        found.append((line, pair))
    return found if any(pair for _, pair in found) else None


def _items(blocks: list[Block]) -> tuple[list[str], list[Block]]:
    """The items of a list section and the blocks that are not items (kept as narrative)."""
    items: list[str] = []
    leftovers: list[Block] = []
    prose = is_prose(blocks)
    for block in blocks:
        if block.kind == "list":
            for item in block.items:
                text = item.text
                if item.children:
                    details = "; ".join(c.all_text().replace("\n", "; ") for c in item.children)
                    text = f"{text.rstrip(':')}: {details}" if text else details
                if text.strip() and not is_placeholder(text):
                    items.append(" ".join(text.split()) if len(text) <= MAX_ITEM_LINE else text)
        elif block.kind == "paragraph" and not prose and not is_lead_in(block):
            items.extend(
                line.strip()
                for line in block.text.split("\n")
                if line.strip() and not is_placeholder(line)
            )
        elif not (block.kind == "paragraph" and is_placeholder(block.text)):
            leftovers.append(block)
    return items, leftovers


def _has_items(section: Section) -> bool:
    return any(block.kind in ("list", "table") for part in section.walk() for block in part.blocks)


def _has_text(blocks: list[Block]) -> bool:
    return any(block.markdown.strip() for block in blocks)


def read_cells_as_section(title: str, text: str, forced: str | None = None) -> Section:
    """A spreadsheet cell as a section: its text read as Markdown, under its column's name."""
    return Section(title, 2, read_blocks(text.replace("\r\n", "\n").split("\n")), forced=forced)
