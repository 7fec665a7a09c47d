"""The quality gate: every rule over every valid incident, at the level its status calls for.

`check_quality` returns plain `Problem`s with a rule id and a suggestion. They never change
what a build includes and are not MkDocs warnings: only `pmkb check` exits on them, and the
internal site shows them (each incident's page, and the `problems/` page). A finding the
authors accepted is waived in the file (`waive: [{rule, field?, reason}]`) and not reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence

from ..core.fields import suggest
from ..core.model import Incident
from ..core.problems import Problem
from ..core.settings import QualityOptions
from .blameless import BlamelessWording, find_blame, person_as_subject
from .complete import default_completeness, missing_items
from .follow_ups import starts_with_a_verb, vague_phrase
from .rules import NO_EXEMPTION, RULES_BY_ID, TYPE_EXEMPTIONS


def check_quality(
    incidents: Iterable[Incident],
    options: QualityOptions,
    severities: Sequence[str],
    today: dt.date,
    people: Mapping[str, Sequence[str]],
) -> list[Problem]:
    """Every finding of every incident. `people`: handle → the names the roles file gives."""
    completeness = options.completeness or default_completeness(severities)
    findings: list[Problem] = []
    for incident in incidents:
        wording = BlamelessWording(
            _people_of(incident, people), options.blame_phrases, options.blame_allow
        )
        found = [
            *_completeness(incident, completeness),
            *_blame(incident, wording),
            *_follow_ups(incident),
            *_process(incident, options, today),
        ]
        exempt = TYPE_EXEMPTIONS.get(incident.type, NO_EXEMPTION).rules
        findings.extend(
            _as_problem(incident, rule, field, message, suggestion, options)
            for rule, field, message, suggestion in found
            if rule not in exempt and not _waived(incident, rule, field)
        )
        findings.extend(_unknown_waivers(incident))
    return findings


def _unknown_waivers(incident: Incident) -> Iterator[Problem]:
    """A waiver of a rule that does not exist waives nothing: say so (a typo, a renamed rule)."""
    known = sorted(RULES_BY_ID)
    for index, waiver in enumerate(incident.waivers):
        if waiver.rule not in RULES_BY_ID:
            field = f"waive[{index}].rule"
            yield Problem(
                incident.source, incident.line_of(field), field,
                f"'{waiver.rule}' is not a rule{suggest(waiver.rule, known)}; expected a rule"
                " id that `pmkb check` prints", "warning",
            )


_Finding = tuple[str, str, str, str | None]  # rule, field, message, suggestion
#: Where a finding about a missing field points: what the family's requirement depends on.
_CAUSE_FIELD = {"complete": "severity", "process": "date"}


def _as_problem(
    incident: Incident,
    rule_id: str,
    field: str,
    message: str,
    suggestion: str | None,
    options: QualityOptions,
) -> Problem:
    rule = RULES_BY_ID[rule_id]
    error = rule.level == "error" and options.configured and incident.status != "draft"
    line = (
        incident.line_of(field)
        or incident.line_of(field.split("[", 1)[0].split(".")[0])
        # A missing field has no line: point at what the requirement comes from.
        or incident.line_of(_CAUSE_FIELD.get(rule.family, "title"))
        or incident.line_of("title")
    )
    return Problem(
        incident.source, line, field, message, "error" if error else "warning", rule_id, suggestion
    )


def _waived(incident: Incident, rule: str, field: str) -> bool:
    return any(
        waiver.rule == rule and (waiver.field is None or field.startswith(waiver.field))
        for waiver in incident.waivers
    )


def _people_of(incident: Incident, people: Mapping[str, Sequence[str]]) -> set[str]:
    handles = {*people, *incident.roles, *filter(None, [incident.commander, incident.owner])}
    names = {name for handle in handles for name in people.get(handle, ())}
    return {*handles, *names}


def _completeness(incident: Incident, completeness: Mapping[str, Sequence[str]]) -> Iterator[
    _Finding
]:
    for rule, field, message in missing_items(incident, completeness):
        yield rule, field, message, RULES_BY_ID[rule].fix


def narrative_texts(incident: Incident) -> Iterator[tuple[str, str]]:
    """(field, text) for every text an author writes as prose or as a list item."""
    single = {
        "summary": incident.summary,
        "body": incident.body,
        "key_learning": incident.key_learning,
        "impact.customer": incident.impact.customer,
    }
    yield from ((field, text) for field, text in single.items() if text)
    lists = {
        "surprises": incident.surprises,
        "risks": tuple(risk.text for risk in incident.risks),
        "mitigators": tuple(mitigator.text for mitigator in incident.mitigators),
        "went_well": incident.went_well,
        "went_wrong": incident.went_wrong,
        "got_lucky": incident.got_lucky,
        "five_whys": incident.five_whys,
        "unknowns": incident.unknowns,
    }
    for field, items in lists.items():
        yield from ((f"{field}[{index}]", item) for index, item in enumerate(items))
    for category, items in incident.learnings.items():
        yield from ((f"learnings.{category}[{index}]", item) for index, item in enumerate(items))
    for index, entry in enumerate(incident.timeline):
        yield f"timeline[{index}].event", entry.event
    for index, follow_up in enumerate(incident.follow_ups):
        yield f"follow_ups[{index}].action", follow_up.action
    if incident.public is not None:
        view = incident.public
        public = {"public.summary": view.summary, "public.impact": view.impact,
                  "public.remediation": view.remediation, "public.title": view.title,
                  "public.key_learning": view.key_learning}  # fmt: skip
        yield from ((field, text) for field, text in public.items() if text)


def _blame(incident: Incident, wording: BlamelessWording) -> Iterator[_Finding]:
    contributors = [(f"contributors[{i}]", factor.text)
                    for i, factor in enumerate(incident.contributors)]
    texts = [*narrative_texts(incident), *contributors]
    for field, text in texts:
        for finding in find_blame(text, wording):
            yield (finding.rule, field, f"blaming language: “{finding.matched}” in"
                   f" “{_shortened(finding.sentence)}”", finding.suggestion)
    for field, text in contributors:
        person = person_as_subject(text, wording)
        if person is not None:
            rule = "blameless/person-contributor"
            yield (rule, field, f"the contributor is about a person ({person}):"
                   f" “{_shortened(text)}”", RULES_BY_ID[rule].fix)


def _follow_ups(incident: Incident) -> Iterator[_Finding]:
    for index, follow_up in enumerate(incident.follow_ups):
        field = f"follow_ups[{index}]"
        action = follow_up.action
        vague = vague_phrase(action)
        if vague is not None:
            yield ("follow-up/vague", f"{field}.action", f"“{_shortened(action)}” is vague"
                   f" (“{vague}”); expected the change to make", RULES_BY_ID["follow-up/vague"].fix)
        elif not starts_with_a_verb(action):
            yield ("follow-up/verb", f"{field}.action", f"“{_shortened(action)}” does not start"
                   " with a verb; expected what to do first", RULES_BY_ID["follow-up/verb"].fix)
        if follow_up.status in {"done", "wont-do"} or incident.status == "draft":
            continue
        if not follow_up.owner:
            yield ("follow-up/owner", field, "has no owner; expected a @handle, team:<name> or"
                   " vendor:<name>", None)
        if follow_up.due is None:
            yield "follow-up/due", field, "has no due date; expected `due: YYYY-MM-DD`", None


def _process(incident: Incident, options: QualityOptions, today: dt.date) -> Iterator[_Finding]:
    age = (today - incident.date).days
    if incident.status == "draft" and age > options.draft_days:
        yield ("process/draft-age", "status", f"still a draft {age} days after the incident;"
               f" expected review within {options.draft_days} days", None)
    if incident.status != "published" and age > options.publish_days:
        yield ("process/publish-age", "status", f"not published {age} days after the incident;"
               f" expected within {options.publish_days} days", None)
    for index, follow_up in enumerate(incident.follow_ups):
        if follow_up.is_overdue(today) and follow_up.due is not None:
            action = _shortened(follow_up.action)
            yield ("process/overdue", f"follow_ups[{index}].due",
                   f"“{action}” was due {follow_up.due.isoformat()}", None)


def _shortened(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
