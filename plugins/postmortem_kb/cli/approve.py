"""`pmkb approve ID [--public] --by @handle`: record an approval in the postmortem's own file.

The approval lives in the file (`review.approved_by/on`; with `--public` also
`review.public_approved_by/on` and the fingerprint of the public text approved), so it travels
with the text it approves and needs no other store. Only an incident worth approving is:
one that loads without schema errors or error findings, by someone the roles know; a public
approval only for a `published` incident that has public text.

The file is edited as text (`core/review_block.py`), never dumped again, and the result is
read back before it is written: the fields outside `review` must be exactly as they were and
the file must still be valid, or nothing is written.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core.fields import suggest
from ..core.loader import LoadProblem, normalised_text, parse_postmortem
from ..core.model import Incident
from ..core.review_block import ReviewBlockError, with_review_values
from ..core.settings import Settings
from ..core.side_files import ROLES_FILE
from ..core.validate import validate_postmortem
from ..public.approval import public_fingerprint
from ..public.projection import preview_public
from ..site.plan import SitePlan, plan_site
from ..site.quality_pages import broken_file_id


class ApprovalRefused(Exception):
    """Why an approval was not recorded, in one line; the file is left as it was."""


def record_approval(settings: Settings, incident_id: str, handle: str, *, public: bool) -> str:
    """Record `handle`'s approval (dated `settings.build_date`) in the incident's file; return
    what was done, in one line."""
    plan = plan_site(settings)
    incident = approvable_incident(plan, incident_id, handle, public=public)
    day = settings.build_date.isoformat()
    values = {"approved_by": f'"{handle}"', "approved_on": day}
    if public:
        values = {"public_approved_by": f'"{handle}"', "public_approved_on": day,
                  "public_fingerprint": f'"{public_fingerprint(incident)}"'}
    write_review_values(settings.source_dir.parent / incident.source, incident, values, plan)
    kind = "public approval" if public else "approval"
    return f"Recorded the {kind} of {incident.id} by {handle} on {day} in {incident.source}"


def approvable_incident(plan: SitePlan, incident_id: str, handle: str, *, public: bool) -> Incident:
    """The incident `incident_id`, if `handle` may approve it now; else ApprovalRefused."""
    incident = plan.kb.by_id().get(incident_id)
    if incident is None:
        broken = [source for source in plan.kb.skipped if broken_file_id(source) == incident_id]
        if broken:
            raise ApprovalRefused(f"{broken[0]}: has schema errors; fix them first (pmkb check)")
        hint = suggest(incident_id, sorted(plan.kb.by_id()))
        raise ApprovalRefused(f"{incident_id}: no incident has this id{hint}")
    errors = [problem for problem in plan.every_problem
              if problem.file == incident.source and problem.is_error]
    if errors:
        raise ApprovalRefused(f"{incident.source}: {len(errors)} error(s) to fix before"
                              f" approving, first {errors[0]} (see pmkb check)")
    if handle not in incident.roles:
        roles_file = f"{plan.settings.source_dir.name}/{ROLES_FILE}"
        raise ApprovalRefused(f"--by {handle}: has no role{suggest(handle, sorted(incident.roles))}"
                              f"; expected a handle of {roles_file} or of the file's `roles:`")
    if public and not incident.is_published:
        raise ApprovalRefused(f"{incident.id}: its status is `{incident.status}`; a public"
                              " approval is for a `published` incident")
    if public and preview_public(incident, plan.settings).incident is None:
        raise ApprovalRefused(f"{incident.id}: has no public text to approve;"
                              " write `public.summary`")
    return incident


def write_review_values(
    path: Path, incident: Incident, values: dict[str, str], plan: SitePlan
) -> None:
    """Write `values` into the file's `review` block once the edit is shown to be safe."""
    original = path.read_bytes().decode("utf-8")
    raw = parse_postmortem(path, incident.source, normalised_text(original))
    try:
        text = with_review_values(original, raw.lines, values, front_matter=raw.is_markdown)
        edited = parse_postmortem(path, incident.source, normalised_text(text))
    except (ReviewBlockError, LoadProblem) as exc:
        raise ApprovalRefused(f"{incident.source}: cannot record the approval: {exc}") from None
    unchanged = {key: value for key, value in raw.data.items() if key != "review"}
    if {key: value for key, value in edited.data.items() if key != "review"} != unchanged or (
        edited.body != raw.body
    ):
        raise ApprovalRefused(f"{incident.source}: the `review` block could not be edited without"
                       " changing other fields; edit it by hand")
    _, problems = validate_postmortem(edited, plan.settings, plan.kb.roles)
    if problems.errors:
        raise ApprovalRefused(f"{incident.source}: the approval would make the file invalid:"
                       f" {problems.errors[0]}")
    staged = path.with_name(f".{path.name}.pmkb-approve")
    staged.write_bytes(text.encode("utf-8"))
    os.replace(staged, path)

