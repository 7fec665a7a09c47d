"""Actions: open and in-progress follow-ups grouped by owner (teams, vendors, people; order,
overdue, roles, age), the page, and that the example KB's internal build has it while the
public build has no trace of it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from postmortem_kb.core.model import FollowUp, Incident
from postmortem_kb.site.actions import action_pages, open_actions_by_owner
from postmortem_kb.site.render import PageRenderer

TODAY = dt.date(2026, 1, 15)
YESTERDAY = TODAY - dt.timedelta(days=1)


def incident(incident_id: str, *follow_ups: FollowUp, **fields: Any) -> Incident:
    fields.setdefault("date", dt.date(2025, 3, 1))
    fields.setdefault("title", incident_id.title())
    return Incident(
        id=incident_id, source=f"postmortems/{incident_id}.md", severity="SEV-2",
        follow_ups=follow_ups, **fields,
    )  # fmt: skip


def summary(incidents: list[Incident]) -> list[tuple[str | None, int, int]]:
    return [
        (group.owner, group.open_count, group.overdue_count)
        for group in open_actions_by_owner(incidents, TODAY)
    ]


def test_owners_are_ordered_by_overdue_then_open_count_then_name() -> None:
    incidents = [
        incident(
            "a",
            FollowUp("1", owner="@many", due=dt.date(2027, 1, 1)),
            FollowUp("2", owner="@many"),
            FollowUp("3", owner="@many"),
            FollowUp("4", owner="@late", due=YESTERDAY),
            FollowUp("5", owner="@b-late", due=YESTERDAY),
            FollowUp("6", owner="@b-late"),
            FollowUp("7", owner="@a-late", due=YESTERDAY),
            FollowUp("8", owner="@a-late"),
        ),
        incident(
            "b",
            FollowUp("9", due=YESTERDAY),  # no owner
            FollowUp("11"),
            FollowUp("10", owner="@late", due=dt.date(2020, 1, 1)),
            FollowUp("done", owner="@done-only", status="done", due=YESTERDAY),
            FollowUp("dropped", owner="@many", status="wont-do", due=YESTERDAY),
        ),
    ]
    assert summary(incidents) == [
        ("@late", 2, 2),
        ("@a-late", 2, 1),
        ("@b-late", 2, 1),
        (None, 2, 1),  # unassigned: after the named owners it ties with on both counts
        ("@many", 3, 0),
    ]


def test_a_follow_up_due_on_the_build_date_is_open_but_not_overdue() -> None:
    incidents = [incident("a", FollowUp("x", owner="@o", due=TODAY))]
    assert summary(incidents) == [("@o", 1, 0)]
    [item] = open_actions_by_owner(incidents, TODAY)[0].items
    assert not item.overdue


def test_an_owner_lists_overdue_first_then_by_due_date_with_undated_last() -> None:
    incidents = [
        incident(
            "new",
            FollowUp("later", owner="@o", due=dt.date(2027, 1, 1)),
            FollowUp("undated", owner="@o"),
            FollowUp("overdue-recent", owner="@o", due=YESTERDAY),
            date=dt.date(2025, 6, 1),
        ),
        incident(
            "old",
            FollowUp("sooner", owner="@o", due=dt.date(2026, 6, 1)),
            FollowUp("overdue-oldest", owner="@o", due=dt.date(2021, 1, 1)),
            date=dt.date(2020, 6, 1),
        ),
    ]
    [group] = open_actions_by_owner(incidents, TODAY)
    assert [(item.follow_up.action, item.incident.id, item.overdue) for item in group.items] == [
        ("overdue-oldest", "old", True),
        ("overdue-recent", "new", True),
        ("sooner", "old", False),
        ("later", "new", False),
        ("undated", "new", False),
    ]


def test_a_handle_owner_gets_its_roles_from_every_incident_naming_it() -> None:
    incidents = [
        incident("old", FollowUp("x", owner="@kim"), roles={"@kim": "network engineer"},
                 date=dt.date(2020, 1, 1)),
        # A file's own roles map may name the same person differently: both are shown,
        # newest incident first.
        incident("new", FollowUp("y", owner="@kim"), FollowUp("z", owner="Platform team"),
                 roles={"@kim": "network lead"}, date=dt.date(2025, 1, 1)),
        incident("unknown", FollowUp("w", owner="@nobody"), roles={"@kim": "network engineer"}),
    ]  # fmt: skip
    roles = {group.owner: group.roles for group in open_actions_by_owner(incidents, TODAY)}
    assert roles == {
        "@kim": ("network lead", "network engineer"),
        "Platform team": (),  # an owner named by role: nothing to look up
        "@nobody": (),
    }


def test_owner_anchors_are_unique_even_when_names_slug_alike() -> None:
    incidents = [
        incident("a", FollowUp("1", owner="@kim.o"), FollowUp("2", owner="kim-o"),
                 FollowUp("3")),
    ]  # fmt: skip
    anchors = [group.anchor for group in open_actions_by_owner(incidents, TODAY)]
    assert anchors == ["owner-kim-o", "owner-kim-o-2", "owner-unassigned"]


def test_page_links_every_row_to_its_incident_and_escapes_yaml_values() -> None:
    incidents = [
        incident(
            "2025-03-01-outage",
            FollowUp("<script>alert(1)</script> | pipe", owner="@o", due=YESTERDAY,
                     ticket="<b>T-1</b>"),
            FollowUp("done", owner="@o", status="done"),
            title="<img src=x>",
            roles={"@o": "<i>lead</i>"},
        ),
    ]  # fmt: skip
    page = action_pages(incidents, PageRenderer(), TODAY)["actions/index.md"].resolved()
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "<i>" not in page
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt; | pipe</td>" in page
    assert '<a href="../incidents/2025-03-01-outage/">&lt;img src=x&gt;</a>' in page
    assert "\n### @o (&lt;i&gt;lead&lt;/i&gt;) { #owner-o }" in page
    assert "\n## People\n" in page and "## Teams" not in page
    assert '<a href="#owner-o">@o (&lt;i&gt;lead&lt;/i&gt;)</a>' in page
    assert '2026-01-14 <strong class="pmkb-overdue">overdue</strong>' in page
    assert "1 open,\n1 overdue." in page
    assert "<td>done</td>" not in page  # closed follow-ups are not actions


def test_teams_and_vendors_are_grouped_as_such_before_people() -> None:
    incidents = [
        incident(
            "a",
            FollowUp("1", owner="@kim", due=YESTERDAY),
            FollowUp("2", owner="vendor:Acme Networks"),
            FollowUp("3", owner="team:payments"),
            FollowUp("4", owner="team: payments", due=YESTERDAY),  # the same team
            FollowUp("5", owner="Team:search"),
            FollowUp("6", owner="platform lead"),  # a role, in words: a person
            FollowUp("7"),
        ),
    ]
    owners = open_actions_by_owner(incidents, TODAY)
    assert [(o.group, o.owner, o.name, o.anchor, o.open_count) for o in owners] == [
        ("team", "team:payments", "payments", "team-payments", 2),
        ("team", "team:search", "search", "team-search", 1),
        ("vendor", "vendor:Acme Networks", "Acme Networks", "vendor-acme-networks", 1),
        ("person", "@kim", "@kim", "owner-kim", 1),
        ("person", "platform lead", "platform lead", "owner-platform-lead", 1),
        ("person", None, "Unassigned", "owner-unassigned", 1),
    ]
    page = action_pages(incidents, PageRenderer(), TODAY)["actions/index.md"].resolved()
    teams, vendors, people = (page.index(f"\n## {name}\n") for name in
                              ("Teams", "Vendors", "People"))  # fmt: skip
    assert teams < page.index("### payments { #team-payments }") < vendors
    assert vendors < page.index("### Acme Networks { #vendor-acme-networks }") < people
    assert '<a href="#team-payments">payments</a></td> <td>Teams</td>' in page


def test_in_progress_follow_ups_are_open_and_overdue_past_due_and_age_from_the_incident() -> None:
    incidents = [
        incident(
            "old",
            FollowUp("busy", owner="@o", status="in-progress", due=YESTERDAY),
            FollowUp("finished", owner="@o", status="done", due=YESTERDAY),
            date=TODAY - dt.timedelta(days=40),
        ),
        # Follow-ups of every type are actions, whatever the metrics count.
        incident("drill", FollowUp("fix runbook", owner="@o"), type="game-day", date=TODAY),
        incident("theirs", FollowUp("check our limits", owner="@o"), type="external",
                 date=TODAY - dt.timedelta(days=3)),
    ]  # fmt: skip
    [group] = open_actions_by_owner(incidents, TODAY)
    assert [(i.follow_up.action, i.overdue, i.age_days) for i in group.items] == [
        ("busy", True, 40), ("fix runbook", False, 0), ("check our limits", False, 3),
    ]  # fmt: skip
    page = action_pages(incidents, PageRenderer(), TODAY)["actions/index.md"].resolved()
    assert "<td>in progress</td>" in page
    assert '<td align="right">40 d</td>' in page
    assert "3 open,\n1 overdue." in page


def test_page_without_open_follow_ups_says_so() -> None:
    page = action_pages([incident("a")], PageRenderer(), TODAY)["actions/index.md"].resolved()
    assert "No open follow-ups." in page


@pytest.mark.slow
def test_internal_build_has_the_actions_page_linking_to_incidents(
    example_sites: dict[str, Path],
) -> None:
    site = example_sites["internal"]
    html = (site / "actions" / "index.html").read_text(encoding="utf-8")
    incident_links = set(re.findall(r'href="\.\./incidents/([^/"]+)/"', html))
    assert incident_links
    for incident_id in incident_links:
        assert (site / "incidents" / incident_id / "index.html").is_file()
    assert 'class="pmkb-overdue"' in html
    assert not re.findall(r'\ssrc="(?:https?:)?//', html)
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="actions/"' in home


@pytest.mark.slow
def test_public_build_has_no_actions_page_and_no_link_to_one(
    example_sites: dict[str, Path],
) -> None:
    public = example_sites["public"]
    assert not (public / "actions").exists()
    for page in public.rglob("*.html"):
        page_url = "http://site/" + page.relative_to(public).as_posix()
        for href in re.findall(r'href="([^"]*)"', page.read_text(encoding="utf-8")):
            assert not urlsplit(urljoin(page_url, href)).path.startswith("/actions"), page
