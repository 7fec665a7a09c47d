"""Insights: how fast we detect, recover and write up, what recurs, and the trend by month.

`compute_insights()` is pure arithmetic over validated `Incident`s and the build date; it
returns plain dataclasses. `insights_pages()` renders them (with server-side SVG charts from
`charts.py`) into `insights/index.md`, a page of the internal site only: the numbers come
from internal fields (impact timestamps, services, owners) that customers never see.

The page is one of the few that are about every incident, so its size must not grow with
the library: recurring pairs (which grow with the square of the incidents) are counted, and
only the newest few per service or tag are listed; the lists of services, tags and marked
recurrences are capped too, each saying how many it leaves out (`*_SHOWN` below).

Every metric says what it measured: an incident missing a timestamp is left out of that
metric and counted as missing, never treated as zero.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..core import urls
from ..core.model import Incident
from ..core.settings import DEFAULT_SEVERITIES
from .charts import Series, stacked_bar_chart
from .render import PageRenderer, RenderedPage

#: Two incidents sharing a service or tag this close together (inclusive) count as recurring.
RECURRENCE_WINDOW_DAYS = 90
#: Recurring pairs listed per service or tag, newest first; the others are only counted.
#: Pairs grow with the square of the incidents: listing them all made a page of megabytes.
RECURRENCE_PAIRS_SHOWN = 5
#: Services (and tags) listed in a recurrence table, most pairs first; the others are counted.
RECURRENCE_GROUPS_SHOWN = 20
#: `recurrence_of` links listed, newest incident first; the others are counted.
MARKED_RECURRENCES_SHOWN = 20
#: How many calendar months the monthly trend covers, ending at the latest month with data.
TREND_MONTHS = 24


@dataclass(frozen=True)
class SpanStats:
    """Median and mean of one span (e.g. start → detection) over the incidents that have it."""

    median: dt.timedelta | None
    mean: dt.timedelta | None
    #: Incidents measured.
    measured: int
    #: Incidents left out because a timestamp or date was missing.
    missing: int


@dataclass(frozen=True)
class FollowUpStats:
    """Follow-up outcomes across every incident; overdue is judged against the build date."""

    done: int
    open: int
    wont_do: int
    #: Open follow-ups whose due date is before the build date.
    overdue: int

    @property
    def closure_rate(self) -> float | None:
        """done / (done + open): a won't-do is a decision, neither closed work nor open."""
        decided = self.done + self.open
        return self.done / decided if decided else None


@dataclass(frozen=True)
class RecurrencePair:
    """Two incidents sharing a service or a tag, at most the recurrence window apart."""

    earlier: Incident
    later: Incident

    @property
    def days(self) -> int:
        return (self.later.date - self.earlier.date).days


@dataclass(frozen=True)
class RecurrenceGroup:
    """The recurring pairs of one service or one tag: how many, and the newest few."""

    value: str
    #: Recurring pairs in all.
    pair_count: int
    #: Incidents in at least one of those pairs.
    incident_count: int
    #: The newest pairs (by later, then earlier incident), at most `RECURRENCE_PAIRS_SHOWN`.
    newest_pairs: tuple[RecurrencePair, ...]

    @property
    def pairs_not_shown(self) -> int:
        return self.pair_count - len(self.newest_pairs)


@dataclass(frozen=True)
class MarkedRecurrence:
    """An incident whose author wrote `recurrence_of`: a recurrence by judgement, any gap."""

    incident: Incident
    original_id: str
    #: None when the original is not among the incidents measured.
    original: Incident | None

    @property
    def days(self) -> int | None:
        return (self.incident.date - self.original.date).days if self.original else None


@dataclass(frozen=True)
class Recurrence:
    window_days: int
    #: Services and tags with at least one recurring pair, most pairs first (ties by name),
    #: at most `RECURRENCE_GROUPS_SHOWN` of each.
    by_service: tuple[RecurrenceGroup, ...]
    by_tag: tuple[RecurrenceGroup, ...]
    #: Services and tags with a recurring pair that are not in `by_service`/`by_tag`.
    services_not_shown: int
    tags_not_shown: int
    #: Explicit `recurrence_of` links, newest incident first, at most
    #: `MARKED_RECURRENCES_SHOWN`.
    marked: tuple[MarkedRecurrence, ...]
    #: `recurrence_of` links in all.
    marked_count: int

    @property
    def marked_not_shown(self) -> int:
        return self.marked_count - len(self.marked)


@dataclass(frozen=True)
class Period:
    """Incidents started in one month (`2025-11`) or year (`2025`), by severity."""

    label: str
    #: severity → incidents, for every severity of the trend, in its order.
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Trend:
    """Consecutive periods, oldest first; periods without incidents are kept, at zero."""

    severities: tuple[str, ...]
    periods: tuple[Period, ...]


@dataclass(frozen=True)
class Insights:
    incidents: int
    #: MTTD: impact.started → impact.detected.
    time_to_detect: SpanStats
    #: MTTR: impact.started → impact.resolved, or → impact.mitigated while not resolved.
    time_to_recover: SpanStats
    #: How many of the MTTR spans end at mitigation because the incident is not resolved.
    recovered_at_mitigation: int
    #: date → drafted, and date → published (whole days).
    time_to_draft: SpanStats
    time_to_publish: SpanStats
    follow_ups: FollowUpStats
    recurrence: Recurrence
    monthly: Trend
    yearly: Trend


def compute_insights(
    incidents: Sequence[Incident],
    today: dt.date,
    severities: Sequence[str] = DEFAULT_SEVERITIES,
) -> Insights:
    """Every metric of the insights page over `incidents`, overdue judged against `today`."""
    scale = severity_order(incidents, severities)
    return Insights(
        incidents=len(incidents),
        time_to_detect=span_stats([i.impact.time_to_detect for i in incidents]),
        time_to_recover=span_stats([i.impact.duration for i in incidents]),
        recovered_at_mitigation=sum(
            1 for i in incidents if i.impact.resolved is None and i.impact.duration is not None
        ),
        time_to_draft=span_stats([_days_between(i.date, i.drafted) for i in incidents]),
        time_to_publish=span_stats([_days_between(i.date, i.published) for i in incidents]),
        follow_ups=follow_up_stats(incidents, today),
        recurrence=recurrence(incidents),
        monthly=monthly_trend(incidents, scale),
        yearly=yearly_trend(incidents, scale),
    )


def span_stats(spans: Iterable[dt.timedelta | None]) -> SpanStats:
    """Median and mean of the spans that exist; the others are counted as missing."""
    spans = list(spans)
    measured = sorted(span for span in spans if span is not None)
    missing = len(spans) - len(measured)
    if not measured:
        return SpanStats(None, None, 0, missing)
    middle = len(measured) // 2
    median = (
        measured[middle] if len(measured) % 2 else (measured[middle - 1] + measured[middle]) / 2
    )
    mean = sum(measured, dt.timedelta()) / len(measured)
    return SpanStats(median, mean, len(measured), missing)


def _days_between(start: dt.date, end: dt.date | None) -> dt.timedelta | None:
    return end - start if end is not None else None


def follow_up_stats(incidents: Iterable[Incident], today: dt.date) -> FollowUpStats:
    follow_ups = [follow_up for incident in incidents for follow_up in incident.follow_ups]
    return FollowUpStats(
        done=sum(1 for f in follow_ups if f.status == "done"),
        open=sum(1 for f in follow_ups if f.status == "open"),
        wont_do=sum(1 for f in follow_ups if f.status == "wont-do"),
        overdue=sum(1 for f in follow_ups if f.is_overdue(today)),
    )


def recurrence(
    incidents: Sequence[Incident],
    window_days: int = RECURRENCE_WINDOW_DAYS,
    pairs_shown: int = RECURRENCE_PAIRS_SHOWN,
    groups_shown: int = RECURRENCE_GROUPS_SHOWN,
    marked_shown: int = MARKED_RECURRENCES_SHOWN,
) -> Recurrence:
    """Pairs sharing a service or a tag at most `window_days` apart, and `recurrence_of`.

    Linear in the incidents (after one sort) and in what is shown: pairs are counted, never
    listed, except the newest `pairs_shown` of each group.
    """
    oldest_first = _oldest_first(incidents)
    by_id = {incident.id: incident for incident in incidents}
    links = [
        (incident, original_id)
        for incident in reversed(oldest_first)
        if (original_id := incident.recurrence_of)
    ]
    marked = tuple(
        MarkedRecurrence(incident, original_id, by_id.get(original_id))
        for incident, original_id in links[:marked_shown]
    )
    by_service = _recurring_groups(oldest_first, lambda i: i.services, window_days, pairs_shown)
    by_tag = _recurring_groups(oldest_first, lambda i: i.tags, window_days, pairs_shown)
    return Recurrence(
        window_days=window_days,
        by_service=by_service[:groups_shown],
        by_tag=by_tag[:groups_shown],
        services_not_shown=max(len(by_service) - groups_shown, 0),
        tags_not_shown=max(len(by_tag) - groups_shown, 0),
        marked=marked,
        marked_count=len(links),
    )


def _recurring_groups(
    oldest_first: Sequence[Incident],
    values_of: Callable[[Incident], tuple[str, ...]],
    window_days: int,
    pairs_shown: int,
) -> tuple[RecurrenceGroup, ...]:
    """Every value with a recurring pair, most pairs first; `oldest_first` is date-sorted."""
    members: dict[str, list[Incident]] = defaultdict(list)
    for incident in oldest_first:
        for value in dict.fromkeys(values_of(incident)):
            members[value].append(incident)
    groups = [
        _recurring_group(value, group, window_days, pairs_shown) for value, group in members.items()
    ]
    found = sorted(
        (group for group in groups if group.pair_count),
        key=lambda group: (-group.pair_count, group.value),
    )
    return tuple(found)


def _recurring_group(
    value: str, group: Sequence[Incident], window_days: int, pairs_shown: int
) -> RecurrenceGroup:
    """The pairs of one value's incidents (oldest first), counted with a sliding window.

    `first[j]` is the index of the oldest incident at most the window before incident `j`,
    so `j` pairs with each of `first[j]` … `j - 1`: `j - first[j]` pairs, counted, not made.
    An incident is in a pair when its nearest neighbour on either side is within the window.
    """
    window = dt.timedelta(days=window_days)
    first: list[int] = []
    start = 0
    for later in group:
        while later.date - group[start].date > window:
            start += 1
        first.append(start)
    pair_count = sum(j - first[j] for j in range(len(group)))
    incident_count = sum(
        1 for j in range(len(group)) if first[j] < j or (j + 1 < len(group) and first[j + 1] <= j)
    )
    # Lazily, newest later incident first, then newest earlier one: only the shown are made.
    every_pair = (
        RecurrencePair(group[i], group[j])
        for j in reversed(range(len(group)))
        for i in reversed(range(first[j], j))
    )
    newest = tuple(itertools.islice(every_pair, pairs_shown))
    return RecurrenceGroup(value, pair_count, incident_count, newest)


def _oldest_first(incidents: Iterable[Incident]) -> list[Incident]:
    return sorted(incidents, key=lambda incident: (incident.date, incident.id))


def severity_order(incidents: Iterable[Incident], severities: Sequence[str]) -> tuple[str, ...]:
    """The configured scale, then any other severity found (sorted), so none is dropped."""
    extra = sorted({incident.severity for incident in incidents} - set(severities))
    return (*severities, *extra)


def monthly_trend(
    incidents: Sequence[Incident], severities: Sequence[str], months: int = TREND_MONTHS
) -> Trend:
    """Incidents per month by severity: `months` calendar months ending at the latest one
    with an incident (empty months included, so the time axis is even)."""
    if not incidents:
        return Trend(tuple(severities), ())
    latest = max(incident.date for incident in incidents)
    last = latest.year * 12 + latest.month - 1  # months since year 0, to step across years
    keys = [_month(dt.date(n // 12, n % 12 + 1, 1)) for n in range(last - months + 1, last + 1)]
    return _trend(incidents, severities, keys, _month)


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def yearly_trend(incidents: Sequence[Incident], severities: Sequence[str]) -> Trend:
    """Incidents per year by severity, from the first year with an incident to the last."""
    if not incidents:
        return Trend(tuple(severities), ())
    years = [incident.date.year for incident in incidents]
    keys = [f"{year:04d}" for year in range(min(years), max(years) + 1)]
    return _trend(incidents, severities, keys, lambda day: f"{day.year:04d}")


def _trend(
    incidents: Iterable[Incident],
    severities: Sequence[str],
    keys: list[str],
    key_of: Callable[[dt.date], str],
) -> Trend:
    counts = {key: dict.fromkeys(severities, 0) for key in keys}
    for incident in incidents:
        period = counts.get(key_of(incident.date))
        if period is not None:
            period[incident.severity] += 1
    return Trend(tuple(severities), tuple(Period(key, counts[key]) for key in keys))


def format_days(span: dt.timedelta | None) -> str:
    """`0 days`, `1 day`, `4.5 days`: time-to-draft and -publish are counted in dates."""
    if span is None:
        return ""
    days = round(span / dt.timedelta(days=1), 1)
    text = f"{days:g}"
    return f"{text} day" if text == "1" else f"{text} days"


def trend_chart(trend: Trend, chart_id: str, title: str, period_name: str) -> str:
    """The trend as a stacked bar chart, one colour per severity."""
    first, last = trend.periods[0].label, trend.periods[-1].label
    total = sum(period.total for period in trend.periods)
    return stacked_bar_chart(
        chart_id=chart_id,
        title=title,
        description=(
            f"Incidents per {period_name} from {first} to {last}, stacked by severity: "
            f"{total} in all. The table below lists the same numbers."
        ),
        categories=[period.label for period in trend.periods],
        series=[
            Series(severity, tuple(period.counts[severity] for period in trend.periods))
            for severity in trend.severities
        ],
    )


def insights_pages(
    incidents: Sequence[Incident],
    renderer: PageRenderer,
    today: dt.date,
    severities: Sequence[str] = DEFAULT_SEVERITIES,
) -> dict[str, RenderedPage]:
    """`insights/index.md` (internal site only)."""
    insights = compute_insights(incidents, today, severities)
    charts = {
        name: trend_chart(trend, f"pmkb-chart-{name}", title, period_name)
        for name, trend, title, period_name in (
            ("monthly", insights.monthly, "Incidents by month", "month"),
            ("yearly", insights.yearly, "Incidents by year", "year"),
        )
        if trend.periods
    }
    return {
        urls.INSIGHTS_URI: renderer.render(
            "insights.md.j2",
            urls.INSIGHTS_URI,
            insights=insights,
            charts=charts,
            today=today,
            format_days=format_days,
            actions_uri=urls.ACTIONS_URI,
        )
    }
