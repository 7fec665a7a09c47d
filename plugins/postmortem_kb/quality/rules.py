"""Every quality rule, documented once: the checks and the guidance page are made from this.

A rule has an id in a family, a default level, and its documentation: what it checks, why it
matters, how to fix it, and an example of a rewrite. `pmkb check` names the rule with each
finding; the internal site's "Writing a good postmortem" page is rendered from this table, so
the guidance and the checks cannot drift apart.

Levels: `schema/` errors always stop a build. The other families are errors from `review` on
and warnings in `draft` (an author is still writing), except `process/`, which is always a
warning: a date passing must not turn CI red. Without a `quality:` section in the plugin
options every finding is a warning, so an existing knowledge base does not fail on upgrade.

Incident types (`type:`) other than `incident` need less: a near miss has no customer impact
to time, a false alarm nothing to analyse but the alarm, a game day no customers meant to
notice, maintenance nothing to detect, another company's postmortem (`external`, summarised
for its lesson) no times, timeline, owner or follow-ups of ours and no drafting deadline of
ours. `TYPE_EXEMPTIONS` lists exactly what each type need not have, with why; a type a
knowledge base adds needs everything.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    #: "error" or "warning": the level once the postmortem is in review (see module docstring).
    level: str
    title: str
    what: str
    why: str
    fix: str
    before: str
    after: str

    @property
    def family(self) -> str:
        return self.id.split("/", 1)[0]


RULES: tuple[Rule, ...] = (
    Rule(
        "schema/format", "error", "The file follows the format",
        "Fields, types, dates and values are what the format expects; unknown fields are"
        " reported with a suggestion.",
        "A file the tool cannot read is not published at all, and a typo in a field name would"
        " silently drop what the author wrote.",
        "Follow the message: it names the file, the line, the field and what is expected.",
        "severty: sev2", "severity: SEV-2",
    ),
    Rule(
        "complete/impact-times", "error", "Impact has its times",
        "When impact started, when it was detected, and when it was resolved (or mitigated).",
        "Time to detect and time to resolve are the numbers a team improves; without the times"
        " the incident is missing from every trend.",
        "Take the times from the alert history and the status page; write them with an offset.",
        "impact: {customer: Checkout failed for a while.}",
        "impact: {started: 2024-03-12T14:02+01:00, detected: 2024-03-12T14:09+01:00,"
        " resolved: 2024-03-12T15:10+01:00}",
    ),
    Rule(
        "complete/summary", "error", "There is a summary",
        "A few sentences: what happened, who was affected, how it ended.",
        "Most readers read only the summary; a reviewer needs it to start.",
        "Write what a colleague from another team would need to know in one minute.",
        "summary: (empty)",
        "summary: A connection-pool change cut checkout capacity by a third for 68 minutes.",
    ),
    Rule(
        "complete/timeline", "error", "The timeline shows detection",
        "A timeline, with the moment the problem was detected (an entry of kind `alert` or"
        " `detection`).",
        "The gap between the start and the first signal is where detection improves.",
        "Add the alert or the customer report that first showed the problem, with its kind.",
        "timeline: [{at: '14:30', event: Rolled back.}]",
        "timeline: [{at: '14:09', event: Error-rate alert fires., kind: alert}, …]",
    ),
    Rule(
        "complete/analysis", "error", "Contributors and mitigators are named",
        "What made the incident possible or worse (`contributors`) and what limited it"
        " (`mitigators`).",
        "Incidents have several contributing conditions; naming them is where follow-ups come"
        " from, and mitigators are what to keep.",
        "Ask what made each decision reasonable at the time, and what stopped it being worse.",
        "contributors: []",
        "contributors: [The pool limit was set per host, not per cluster.]",
    ),
    Rule(
        "complete/learnings", "error", "Learnings and a key learning",
        "What the team learned, and the one sentence worth remembering (`key_learning`).",
        "The key learning is what the gallery and onboarding show; it is how others learn.",
        "Write the lesson as something a reader can apply elsewhere.",
        "key_learning: We fixed the config.",
        "key_learning: Capacity limits must be checked against peak load before they ship.",
    ),
    Rule(
        "complete/follow-ups", "error", "At least one follow-up",
        "A follow-up action that changes the system or the process.",
        "A postmortem without follow-ups changes nothing.",
        "Turn each contributor into an action that would have prevented or shortened it.",
        "follow_ups: []",
        "follow_ups: [{action: Validate pool limits against peak load in CI, owner: '@dana',"
        " due: 2024-04-01}]",
    ),
    Rule(
        "blameless/blame-word", "error", "No words that judge a person",
        "Careless, negligent, sloppy, 'be more careful', someone's fault or mistake.",
        "Blame makes people hide what they know, and hides the conditions that will cause the"
        " next incident.",
        "Describe what the person did and what made it reasonable at the time.",
        "The engineer was careless and deleted the wrong directory.",
        "The command deleted the data directory on the primary; both shells looked identical.",
    ),
    Rule(
        "blameless/human-error", "error", "Not 'human error'",
        "'Human error', 'operator error' and the like as a cause.",
        "'Human error' is where an investigation stops, not a cause: it names no condition"
        " anyone can change.",
        "Name the condition that made the action possible.",
        "The outage was caused by human error.",
        "The outage began when a manual step ran against the wrong cluster.",
    ),
    Rule(
        "blameless/counterfactual", "error", "No 'should have' about people",
        "A person as the subject of 'should have', 'failed to', 'forgot to', 'neglected to',"
        " 'ignored'. Systems are fine: 'the alert should have fired'.",
        "Hindsight makes the right action look obvious; it was not, at the time.",
        "Say what happened and what would have helped.",
        "The on-call engineer should have checked the replica lag first.",
        "The runbook did not ask for a replica lag check before promotion; it does now.",
    ),
    Rule(
        "blameless/person-contributor", "error", "Contributors are conditions, not people",
        "A contributor whose subject is a person: a `@handle`, the commander or owner, a name"
        " from the roles file.",
        "A contributor is something to change; people are not the thing to change.",
        "Rewrite it as the condition the person worked in.",
        "@dana ran the cleanup against the primary.",
        "The replica and primary shells had identical prompts.",
    ),
    Rule(
        "follow-up/verb", "error", "A follow-up starts with a verb",
        "The action begins with what to do: add, change, remove, automate, alert …",
        "An action that is a noun ('Monitoring improvements') has no clear end.",
        "Start with the verb, then name what changes.",
        "Monitoring improvements", "Alert when replica lag exceeds 5 minutes for 10 minutes",
    ),
    Rule(
        "follow-up/vague", "error", "A follow-up is specific",
        "Not 'investigate', 'look into', 'be more careful', 'improve monitoring' or 'add more"
        " tests' without saying what.",
        "A vague action is closed without changing anything.",
        "Name the change and how you will know it is done.",
        "Improve monitoring", "Page the storage on-call when a backup has not succeeded in 24 h",
    ),
    Rule(
        "follow-up/owner", "error", "A follow-up has an owner",
        "Every follow-up names an owner (a @handle, `team:<name>` or `vendor:<name>`) once the"
        " postmortem is in review.",
        "Actions without an owner are not done.",
        "Agree the owner in the review meeting.",
        "{action: Add a canary stage}", "{action: Add a canary stage, owner: 'team:platform'}",
    ),
    Rule(
        "follow-up/due", "error", "A follow-up has a due date",
        "Every follow-up has a `due` date once the postmortem is in review.",
        "A date makes the action part of planning, and makes overdue actions visible.",
        "Agree the date in the review meeting.",
        "{action: Add a canary stage, owner: '@dana'}",
        "{action: Add a canary stage, owner: '@dana', due: 2024-05-01}",
    ),
    Rule(
        "process/draft-age", "warning", "Drafted soon after the incident",
        "A postmortem still in `draft` more than `draft_days` (default 3) after the incident.",
        "Memories fade and logs expire within days.",
        "Finish the draft and move it to `review`.",
        "status: draft (two weeks after)", "status: review",
    ),
    Rule(
        "process/publish-age", "warning", "Published on time",
        "Not `published` within `publish_days` (default 10) after the incident.",
        "Customers and colleagues are waiting for it; late postmortems lose their audience.",
        "Hold the review meeting and publish.",
        "status: review (a month after)", "status: published",
    ),
    Rule(
        "process/overdue", "warning", "Follow-ups are done by their due date",
        "A follow-up `open` or `in-progress` past its `due` date.",
        "An overdue action is a risk the team accepted without saying so.",
        "Do it, move the date with a reason, or mark it `wont-do` and say why.",
        "{due: 2024-01-10, status: open}", "{due: 2024-01-10, status: done}",
    ),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}


@dataclass(frozen=True)
class TypeExemption:
    """What incidents of one type need not have, and why."""

    #: Completeness items (`quality/complete.py`) the type does not need.
    items: tuple[str, ...]
    why: str
    #: Rules that do not apply to the type at all.
    rules: tuple[str, ...] = ()


TYPE_EXEMPTIONS: dict[str, TypeExemption] = {
    "near-miss": TypeExemption(
        ("impact.started", "impact.resolved", "impact.customer"),
        "nothing reached customers: there is no impact to time or describe",
    ),
    "false-alarm": TypeExemption(
        ("impact.started", "impact.detected", "impact.resolved", "impact.customer",
         "contributors", "mitigators"),
        "nothing was wrong: what there is to learn is why the alarm fired",
    ),
    "game-day": TypeExemption(
        ("impact.customer",), "the failure was planned: customers were not meant to notice"
    ),
    "maintenance": TypeExemption(
        ("impact.detected", "timeline.detection"), "planned work is known before it starts"
    ),
    "external": TypeExemption(
        ("impact.started", "impact.detected", "impact.resolved", "impact.customer", "timeline",
         "timeline.detection", "follow_ups", "services", "commander", "owner"),
        "another company's incident, summarised for its lesson: its times, people, actions and"
        " deadlines are theirs, and it counts in none of our metrics",
        ("process/draft-age", "process/publish-age"),
    ),
}  # fmt: skip
NO_EXEMPTION = TypeExemption((), "")
FAMILIES = ("schema", "complete", "blameless", "follow-up", "process")
