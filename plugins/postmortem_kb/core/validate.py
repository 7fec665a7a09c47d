"""Turn one raw postmortem into a validated `Incident`, collecting every problem.

The YAML layer hands over strings; `fields.FieldReader` converts them (text, dates,
timestamps with the KB time zone, bools, numbers), `impact_reading.ImpactReader` reads the
timeline and the impact (and derives the times the file leaves out), and this module knows
what every other field of a postmortem means: required fields, the incident type and the
fields it requires, the severity scale and its aliases, follow-ups and their owners,
contributing factors, evidence files beside the postmortem. It never stops at the first
problem: an author fixes a file in one pass. A file with any error yields no incident;
warnings (an unknown tag or factor) keep it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .fields import ID_PATTERN, kind_of, shown, suggest, zone_for
from .impact_reading import IMPACT_TIMES, ImpactReader
from .loader import RawPostmortem
from .model import (
    FACTOR_KINDS,
    FOLLOW_UP_STATUSES,
    FOLLOW_UP_TYPES,
    LEARNING_CATEGORIES,
    OPEN_FOLLOW_UP_STATUSES,
    OWNER_GROUPS,
    RISK_LEVELS,
    STATUSES,
    Evidence,
    Factor,
    FollowUp,
    Impact,
    ImportSource,
    Incident,
    PublicView,
    Review,
    Waiver,
)
from .problems import Problems
from .settings import Settings
from .side_files import HANDLE_PATTERN, ROLES_FILE, read_roles

_SEVERITY_SHORTHAND = re.compile(r"^sev[\s_-]*(\d+)$", re.IGNORECASE)

TOP_LEVEL_FIELDS = (
    "id", "title", "date", "status", "type", "severity", "services", "tags", "trigger",
    "impact", "commander", "owner", "drafted", "published", "key_learning", "summary",
    "timeline", "contributors", "mitigators", "risks", "learnings", "surprises", "went_well",
    "went_wrong", "got_lucky", "five_whys", "evidence", "unknowns", "follow_ups", "related",
    "recurrence_of", "links", "roles", "public", "waive", "review", "source_url", "company",
    "imported_from", "body",
)  # fmt: skip
WAIVER_FIELDS = ("rule", "field", "reason")
#: A quality rule id: `family/name` (the rules themselves are the quality gate's business).
_RULE_ID = re.compile(r"^[a-z][a-z-]*/[a-z][a-z0-9-]*$")
EVIDENCE_FIELDS = ("caption", "link", "file")
FOLLOW_UP_FIELDS = (
    "action", "owner", "due", "status", "closed", "type", "check", "ticket", "priority", "public",
)  # fmt: skip
REVIEW_FIELDS = (
    "meeting", "facilitator", "note_taker", "attendees", "notes", "approved_by", "approved_on",
    "public_approved_by", "public_approved_on", "public_fingerprint",
)  # fmt: skip
#: Who approved, and the date they did: written together, by hand or by `pmkb approve`.
_APPROVALS = (("approved_by", "approved_on"), ("public_approved_by", "public_approved_on"))
#: A fingerprint as `pmkb approve --public` writes it: a version, then a hex digest.
_FINGERPRINT = re.compile(r"^v[0-9]+:[0-9a-f]+$")
PUBLIC_FIELDS = ("title", "summary", "impact", "remediation", "services", "key_learning")
IMPORT_FIELDS = ("path", "sha256")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
REQUIRED_FIELDS = ("title", "date", "severity")
#: Contributors, mitigators and risks: each item a text or a factor object.
FACTOR_LISTS = ("contributors", "mitigators", "risks")
FACTOR_FIELDS = ("text", "kind", "factor")
RISK_FIELDS = (*FACTOR_FIELDS, "likelihood", "severity")
TEXT_LIST_FIELDS = ("surprises", "went_well", "went_wrong", "got_lucky", "five_whys", "unknowns")
#: What a field an incident type requires holds, for the message when it is missing.
_REQUIRED_BY_TYPE_HINT = {
    "source_url": "the http(s) URL of the public postmortem",
    "company": "the company whose incident it was",
}


def normalise_severity(
    value: str, scale: tuple[str, ...], aliases: Mapping[str, str] | None = None
) -> str | None:
    """`sev1`, `Sev 1`, `SEV_1`, `sev01` → `SEV-1` when that is on the scale, as does an alias
    (`p1` with `severity_aliases: {p1: SEV-1}`); None if unknown.

    Leading zeros are stripped as text, not by `int()`, which refuses more than 4,300 digits.
    """
    text = value.strip()
    shorthand = _SEVERITY_SHORTHAND.match(text)
    if shorthand:
        text = f"SEV-{shorthand.group(1).lstrip('0') or '0'}"
    for level in scale:
        if level.lower() == text.lower():
            return level
    for alias, level in (aliases or {}).items():
        if alias.strip().lower() == value.strip().lower():
            return normalise_severity(level, scale)
    return None


def severity_option(written: str | None, scale: tuple[str, ...]) -> str:
    """A severity given on the command line (`pmkb new --severity`, `pmkb import
    --default-severity`): normalised like the files' own, the mildest when none is given.

    Raises ValueError saying what the scale holds; the caller names its option.
    """
    if written is None:
        return scale[-1]
    level = normalise_severity(written, scale)
    if level is None:
        raise ValueError(f"'{written}' is not on the scale; expected one of {', '.join(scale)}")
    return level


class IncidentValidator(ImpactReader):
    """Validate one raw postmortem. Use `validate_postmortem()`.

    The generic getters come from `FieldReader`, the timeline and the impact from
    `ImpactReader`; this class adds what only an incident has: its fields, its type, the
    severity scale, follow-ups, factors, evidence beside the file.
    """

    def __init__(self, raw: RawPostmortem, settings: Settings, roles: dict[str, str]) -> None:
        super().__init__(
            raw.display, raw.data, raw.lines, zone_for(settings), settings.phase_states
        )
        self.raw = raw
        self.settings = settings
        self.kb_roles = roles

    # -- the incident ------------------------------------------------------------------
    def validate(self) -> Incident | None:
        data = self.raw.data
        self.unknown_fields(data, "", TOP_LEVEL_FIELDS)
        for key in REQUIRED_FIELDS:
            if data.get(key) is None:
                self.error(key, f"is required; expected {_REQUIRED_HINT[key]}")
        if self.raw.is_markdown and "body" in data:
            self.error("body", "the narrative of a .md file goes after the front matter")

        date = self.date(data.get("date"), "date", required="date" in data)
        drafted = self.date(data.get("drafted"), "drafted")
        published = self.date(data.get("published"), "published")
        self.check_dates(date, drafted, published)
        body = self.raw.body if self.raw.is_markdown else self.text(data.get("body"), "body")
        roles = {**self.kb_roles, **read_roles(data.get("roles"), "roles", self)}
        incident_type = self.incident_type(data.get("type"))
        timeline = self.timeline(data.get("timeline"), date)
        impact = self.derived_impact(self.impact(data.get("impact")), timeline)
        self.check_required_by_type(incident_type, impact)
        # Read every field before deciding, so one pass reports every problem in the file.
        fields: dict[str, Any] = {
            "id": self.incident_id(data.get("id")),
            "source": self.raw.display,
            "title": self.text(data.get("title"), "title", required="title" in data),
            "date": date,
            "severity": self.severity(data.get("severity")),
            "status": self.choice(data.get("status"), "status", STATUSES, "draft"),
            "type": incident_type,
            "source_url": self.web_address(data.get("source_url"), "source_url"),
            "company": self.text(data.get("company"), "company"),
            "services": self.text_list(data.get("services"), "services"),
            "tags": self.tag_list(data.get("tags"), "tags", tuple(self.settings.tags)),
            "trigger": self.trigger(data.get("trigger")),
            "impact": impact,
            "commander": self.text(data.get("commander"), "commander"),
            "owner": self.text(data.get("owner"), "owner"),
            "drafted": drafted,
            "published": published,
            "key_learning": self.text(data.get("key_learning"), "key_learning"),
            "summary": self.text(data.get("summary"), "summary"),
            "timeline": timeline,
            "learnings": self.learnings(data.get("learnings")),
            "evidence": self.evidence(data.get("evidence")),
            "follow_ups": self.follow_ups(data.get("follow_ups"), date),
            "related": self.ids(data.get("related"), "related"),
            "recurrence_of": self.single_id(data.get("recurrence_of"), "recurrence_of"),
            "links": self.links(data.get("links")),
            "roles": roles,
            "public": self.public(data.get("public")),
            "waivers": self.waivers(data.get("waive")),
            "review": self.review(data.get("review"), roles, date),
            "imported_from": self.import_source(data.get("imported_from")),
            "body": (body or "").strip("\n"),
            "lines": dict(self.raw.lines),
        }
        for name in FACTOR_LISTS:
            fields[name] = self.factors(data.get(name), name)
        for name in TEXT_LIST_FIELDS:
            fields[name] = self.text_list(data.get(name), name)
        if self.problems.errors or None in (fields["title"], date, fields["severity"]):
            return None
        return Incident(**fields)

    def incident_id(self, value: Any) -> str:
        if value is None:
            stem = self.raw.path.stem
            if not ID_PATTERN.match(stem):
                self.error(
                    "id",
                    f"the file name {shown(stem)} is not a valid id; add "
                    "`id:` with lowercase letters, digits and hyphens",
                )
            return stem
        text = self.text(value, "id") or ""
        if not ID_PATTERN.match(text):
            self.error(
                "id",
                f"{shown(text)} is not a valid id; expected lowercase letters, "
                "digits and hyphens, starting with a letter or digit",
            )
        return text

    def severity(self, value: Any) -> str | None:
        text = self.text(value, "severity")
        if text is None:
            return None
        aliases = self.settings.severity_aliases
        level = normalise_severity(text, self.settings.severities, aliases)
        if level is None:
            also = f", or an alias ({', '.join(aliases)})" if aliases else ""
            self.error(
                "severity",
                f"{shown(text)} is not on the severity scale; expected one of "
                f"{', '.join(self.settings.severities)}{also}",
            )
        return level

    def incident_type(self, value: Any) -> str:
        """One of the configured types; a file without `type` has the first (`incident`)."""
        types = tuple(self.settings.types) or ("incident",)
        return self.choice(value, "type", types, types[0])

    def check_required_by_type(self, incident_type: str, impact: Impact) -> None:
        """The fields the type's rule requires (`external`: `source_url`, `company`).

        An impact time counts when it is derived too; any other field when it is written.
        """
        rule = self.settings.types.get(incident_type)
        for name in rule.requires if rule else ():
            time = name.removeprefix("impact.")
            if time in IMPACT_TIMES and name != time:
                present = getattr(impact, time) is not None
            else:
                present = _written(self.raw.data, name)
            if not present:
                hint = _REQUIRED_BY_TYPE_HINT.get(name, "a value")
                self.problems.error(
                    self.display, self.line_of("type") or self.line_of("title"), name,
                    f"is required for an incident of type `{incident_type}`; expected {hint}",
                )

    def trigger(self, value: Any) -> str | None:
        text = self.text(value, "trigger")
        if text is None:
            return None
        trigger = text.lower()
        if self.settings.triggers and trigger not in self.settings.triggers:
            self.warning(
                "trigger",
                f"unknown trigger {shown(text)}"
                f"{suggest(trigger, self.settings.triggers)}; expected one of "
                f"{', '.join(self.settings.triggers)}",
            )
        return trigger

    def check_dates(
        self, date: dt.date | None, drafted: dt.date | None, published: dt.date | None
    ) -> None:
        if date and drafted and drafted < date:
            self.error("drafted", "is before the incident date; expected a later date")
        if drafted and published and published < drafted:
            self.error("published", "is before `drafted`; expected a later date")

    def learnings(self, value: Any) -> dict[str, tuple[str, ...]]:
        if isinstance(value, (list, str)):
            items = self.text_list(value, "learnings")
            return {"general": items} if items else {}
        data = self.mapping(value, "learnings", LEARNING_CATEGORIES)
        return {
            category: items
            for category in LEARNING_CATEGORIES
            if (items := self.text_list(data.get(category), f"learnings.{category}"))
        }

    def evidence(self, value: Any) -> tuple[Evidence, ...]:
        return self.each(value, "evidence", self.one_evidence, EVIDENCE_FIELDS)

    def one_evidence(self, item: dict[str, Any], path: str) -> Evidence | None:
        caption = self.text(item.get("caption"), f"{path}.caption", required=True)
        link = self.text(item.get("link"), f"{path}.link")
        file = self.text(item.get("file"), f"{path}.file")
        if not link and not file:
            self.error(path, "has neither `link` nor `file`; expected one of them")
        problem = self.evidence_file_problem(file) if file else None
        if problem:
            self.error(f"{path}.file", f"{problem}; expected a path relative to this file")
            return None
        return Evidence(caption, link, file) if caption else None

    def evidence_file_problem(self, file: str) -> str | None:
        """Why `file` is not a file beside the postmortem (inside the source folder), or None.

        The name is the author's: the operating system may refuse it outright (too long, a
        NUL character, a symbolic link loop), and that is a problem with this field like a
        missing file, never a crash.
        """
        try:
            target = (self.raw.path.parent.resolve() / file).resolve()
            inside = self.settings.source_dir.resolve() in target.parents
            if inside and target.is_file():
                return _active_content_problem(file, target)
        except (OSError, ValueError, RuntimeError) as error:
            return f"{shown(file)} cannot be a file name: {_path_refusal(file, error)}"
        return f"{shown(file)} does not exist next to the postmortem"

    def waivers(self, value: Any) -> tuple[Waiver, ...]:
        return self.each(value, "waive", self.one_waiver, WAIVER_FIELDS)

    def one_waiver(self, item: dict[str, Any], path: str) -> Waiver | None:
        rule = self.text(item.get("rule"), f"{path}.rule", required=True)
        reason = self.text(item.get("reason"), f"{path}.reason", required=True)
        if rule is not None and not _RULE_ID.match(rule):
            self.error(f"{path}.rule", f"{shown(rule)} is not a rule id; expected one such as"
                       " `complete/analysis` (see `pmkb check` output)")
            return None
        if rule is None or reason is None:
            return None
        return Waiver(rule, reason, self.text(item.get("field"), f"{path}.field"))

    def review(self, value: Any, roles: dict[str, str], date: dt.date | None) -> Review:
        """The `review` block: dates in order (incident, meeting, approvals), every person a
        handle the roles know, each approval with both its who and its when."""
        data = self.mapping(value, "review", REVIEW_FIELDS)
        days = {
            name: self.date(data.get(name), f"review.{name}")
            for name in ("meeting", "approved_on", "public_approved_on")
        }
        meeting = days["meeting"]
        if date and meeting and meeting < date:
            self.error("review.meeting", f"{meeting} is before the incident ({date}); expected"
                       " the date the review meeting was held")
        for who, when in _APPROVALS:
            approved = days[when]
            if meeting and approved and approved < meeting:
                self.error(f"review.{when}", f"{approved} is before the review meeting"
                           f" ({meeting}); expected the meeting first, then the approval")
            if (data.get(who) is None) != (data.get(when) is None):
                present, missing = (who, when) if data.get(when) is None else (when, who)
                self.error(f"review.{present}", f"is written without `review.{missing}`;"
                           " expected both (`pmkb approve` writes them together)")
        fingerprint = self.text(data.get("public_fingerprint"), "review.public_fingerprint")
        if fingerprint is not None and not _FINGERPRINT.match(fingerprint):
            self.error("review.public_fingerprint", f"{shown(fingerprint)} is not a fingerprint;"
                       " expected the value `pmkb approve --public` writes (v1:…)")
        if data.get("public_approved_by") is not None and fingerprint is None:
            self.error("review.public_approved_by", "is written without"
                       " `review.public_fingerprint`; record public approvals with"
                       " `pmkb approve ID --public --by @handle`")
        attendees = self.text_list(data.get("attendees"), "review.attendees")
        for index, handle in enumerate(attendees):
            self.known_handle(handle, f"review.attendees[{index}]", roles)
        def person(name: str) -> str | None:
            path = f"review.{name}"
            return self.known_handle(self.text(data.get(name), path), path, roles)

        return Review(
            meeting=meeting,
            facilitator=person("facilitator"),
            note_taker=person("note_taker"),
            attendees=attendees,
            notes=self.text(data.get("notes"), "review.notes"),
            approved_by=person("approved_by"),
            approved_on=days["approved_on"],
            public_approved_by=person("public_approved_by"),
            public_approved_on=days["public_approved_on"],
            public_fingerprint=fingerprint,
        )

    def known_handle(self, handle: str | None, path: str, roles: dict[str, str]) -> str | None:
        """`handle` when it is a `@handle` the roles know (the file's over `_roles.yml`)."""
        if handle is None or handle in roles:
            return handle
        if not HANDLE_PATTERN.match(handle):
            self.error(path, f"{shown(handle)} is not a handle; expected '@name' (quoted)")
        else:
            roles_file = f"{self.settings.source_dir.name}/{ROLES_FILE}"
            self.error(path, f"{shown(handle)} has no role{suggest(handle, list(roles))};"
                       f" expected a handle of {roles_file} or of this file's `roles:`")
        return handle

    def follow_ups(self, value: Any, date: dt.date | None) -> tuple[FollowUp, ...]:
        def read(item: dict[str, Any], path: str) -> FollowUp | None:
            return self.one_follow_up(item, path, date)

        return self.each(value, "follow_ups", read, FOLLOW_UP_FIELDS)

    def one_follow_up(
        self, item: dict[str, Any], path: str, date: dt.date | None
    ) -> FollowUp | None:
        action = self.text(item.get("action"), f"{path}.action", required=True)
        status = self.choice(item.get("status"), f"{path}.status", FOLLOW_UP_STATUSES, "open")
        closed = self.date(item.get("closed"), f"{path}.closed")
        if closed is not None and status in OPEN_FOLLOW_UP_STATUSES:
            self.error(f"{path}.closed", f"is set while the status is `{status}`; expected"
                       " status done or wont-do with a closed date, or no closed date")
        elif closed is not None and date is not None and closed < date:
            self.error(f"{path}.closed", f"{closed} is before the incident ({date}); expected"
                       " the date the follow-up was done or dropped")
        follow_up = FollowUp(
            action=action or "",
            owner=self.follow_up_owner(item.get("owner"), f"{path}.owner"),
            due=self.date(item.get("due"), f"{path}.due"),
            status=status,
            ticket=self.text(item.get("ticket"), f"{path}.ticket"),
            priority=self.text(item.get("priority"), f"{path}.priority"),
            public=bool(self.boolean(item.get("public"), f"{path}.public")),
            closed=closed,
            type=self.choice(item.get("type"), f"{path}.type", FOLLOW_UP_TYPES, "") or None,
            check=self.text(item.get("check"), f"{path}.check"),
        )
        return follow_up if action else None

    def follow_up_owner(self, value: Any, path: str) -> str | None:
        """`@handle`, a role, `team:<name>` or `vendor:<name>` (written `team:name`).

        A team or vendor without a name, or a prefix one typo away from one (`teams:`), is
        an error: it would otherwise read as a person's role and group with nobody.
        """
        owner = self.text(value, path)
        if owner is None or ":" not in owner or owner.startswith("@"):
            return owner
        prefix, _, name = owner.partition(":")
        kind = prefix.strip().lower()
        if kind in OWNER_GROUPS:
            if not name.strip():
                self.error(path, f"{shown(owner)} names no {kind}; expected {kind}:<name>, e.g."
                           f" {kind}:payments")
                return None
            return f"{kind}:{name.strip()}"
        close = suggest(kind, OWNER_GROUPS) if kind.isalpha() else ""
        if close:
            self.error(path, f"{shown(owner)} is not a kind of owner{close}; expected a"
                       " @handle, a role, team:<name> or vendor:<name>")
            return None
        return owner

    def factors(self, value: Any, path: str) -> tuple[Factor, ...]:
        """Contributors, mitigators or risks: each a text, or `{text, kind?, factor?}` (risks
        also `likelihood`, `severity`); a single text is a list of one, as for tags."""
        if isinstance(value, dict):
            self.error(path, f"is {kind_of(value)}; expected a list of text or of"
                       " {text, kind, factor}")
            return ()
        if not isinstance(value, list):
            return tuple(Factor(text, line=self.line_of(path))
                         for text in self.text_list(value, path))
        found = []
        for item_path, item in self.items(value, path):
            if isinstance(item, dict):
                factor = self.one_factor(item, item_path, risk=path == "risks")
            else:
                text = self.text(item, item_path, required=True)
                factor = Factor(text, line=self.line_of(item_path)) if text else None
            if factor is not None:
                found.append(factor)
        return tuple(found)

    def one_factor(self, item: dict[str, Any], path: str, risk: bool) -> Factor | None:
        known = RISK_FIELDS if risk else FACTOR_FIELDS
        for key in item:
            if key in RISK_FIELDS and key not in known:
                self.error(f"{path}.{key}", f"is for risks only; expected one of"
                           f" {', '.join(known)}")
        self.unknown_fields({k: v for k, v in item.items() if k not in RISK_FIELDS}, path,
                            known, f"one of {', '.join(known)}")
        text = self.text(item.get("text"), f"{path}.text", required=True)
        levels = {
            name: self.choice(item.get(name), f"{path}.{name}", RISK_LEVELS, "") or None
            for name in ("likelihood", "severity") if risk
        }
        factor = Factor(
            text=text or "",
            kind=self.choice(item.get("kind"), f"{path}.kind", FACTOR_KINDS, "") or None,
            factor=self.factor_id(item.get("factor"), f"{path}.factor"),
            line=self.line_of(path),
            **levels,
        )
        return factor if text else None

    def factor_id(self, value: Any, path: str) -> str | None:
        """An id of the `factors` vocabulary; an id outside a non-empty one only warns."""
        text = self.text(value, path)
        if text is None:
            return None
        factor = text.lower()
        vocabulary = tuple(self.settings.factors)
        if not ID_PATTERN.match(factor):
            self.error(path, f"{shown(text)} is not a factor id; expected lowercase letters,"
                       " digits and hyphens, e.g. config-push-without-canary")
            return None
        if vocabulary and factor not in vocabulary:
            self.warning(path, f"unknown factor {shown(factor)}{suggest(factor, vocabulary)};"
                         " add it to the `factors` vocabulary or use a known one")
        return factor

    def import_source(self, value: Any) -> ImportSource | None:
        """`imported_from: {path, sha256}`, as `pmkb import` writes it."""
        data = self.mapping(value, "imported_from", IMPORT_FIELDS)
        if not data:
            return None
        path = self.text(data.get("path"), "imported_from.path", required=True)
        digest = self.text(data.get("sha256"), "imported_from.sha256", required=True)
        if digest is not None and not _SHA256.match(digest.lower()):
            self.error("imported_from.sha256", f"{shown(digest)} is not a SHA-256 digest;"
                       " expected the 64 hexadecimal digits `pmkb import` writes")
            return None
        return ImportSource(path, digest.lower()) if path and digest else None

    def ids(self, value: Any, path: str) -> tuple[str, ...]:
        ids = self.text_list(value, path)
        for index, item in enumerate(ids):
            if not ID_PATTERN.match(item):
                self.error(f"{path}[{index}]", f"{shown(item)} is not an incident id")
        return ids

    def single_id(self, value: Any, path: str) -> str | None:
        text = self.text(value, path)
        if text is not None and not ID_PATTERN.match(text):
            self.error(path, f"{shown(text)} is not an incident id")
        return text

    def links(self, value: Any) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error("links", f"is {kind_of(value)}; expected a mapping of name: URL")
            return {}
        links = {}
        for name, url in value.items():
            text = self.text(url, f"links.{name}", required=True)
            if text is not None:
                links[name] = text
        return links

    def public(self, value: Any) -> PublicView | None:
        if value is None:
            return None
        data = self.mapping(value, "public", PUBLIC_FIELDS)
        if not data:
            return None
        return PublicView(
            summary=self.text(data.get("summary"), "public.summary") or "",
            title=self.text(data.get("title"), "public.title"),
            impact=self.text(data.get("impact"), "public.impact"),
            remediation=self.text(data.get("remediation"), "public.remediation"),
            services=self.text_list(data.get("services"), "public.services"),
            key_learning=self.text(data.get("key_learning"), "public.key_learning"),
        )


_REQUIRED_HINT = {
    "title": "a short description of the incident",
    "date": "the date the incident started, YYYY-MM-DD",
    "severity": "a severity such as SEV-2",
}


def _path_refusal(file: str, error: Exception) -> str:
    """What the operating system holds against a file name, in words."""
    if "\x00" in file:
        return "it contains a NUL character"
    if isinstance(error, RuntimeError):  # pathlib's word for a symbolic link loop
        return "it runs into a symbolic link loop"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error)


def _written(data: dict[str, Any], name: str) -> bool:
    """Whether the file gives the dotted field `name` a value (not null, not empty)."""
    value: Any = data
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value not in (None, "", [], {})


def validate_postmortem(
    raw: RawPostmortem, settings: Settings, roles: dict[str, str]
) -> tuple[Incident | None, Problems]:
    """Validate one raw file: the incident (None when it has errors) and its problems."""
    validator = IncidentValidator(raw, settings, roles)
    incident = validator.validate()
    return incident, validator.problems


#: Evidence types a browser runs script in when the file is opened from the site: they are
#: copied as they are, outside the pages' sanitizer and Content-Security-Policy.
_ACTIVE_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".xht", ".xml", ".js", ".mjs", ".svgz"})
#: What makes an SVG active: scripts, event handlers, embedded HTML, script URLs.
_ACTIVE_SVG = re.compile(rb"<\s*script|<\s*foreignobject|\son[a-z]+\s*=|javascript:|<!entity", re.I)


def _active_content_problem(file: str, target: Path) -> str | None:
    """Why an evidence file could run script when opened from the site, or None."""
    suffix = target.suffix.lower()
    if suffix in _ACTIVE_SUFFIXES:
        return (f"{shown(file)} is a {suffix} file, which a browser runs script in; expected an"
                " image (PNG, JPEG, GIF, WebP, plain SVG), a PDF or a text file")
    if suffix == ".svg" and _ACTIVE_SVG.search(target.read_bytes()):
        return (f"{shown(file)} is an SVG with scripts, event handlers or embedded HTML; expected"
                " a plain drawing: export it again as PNG or a plain SVG")
    return None
