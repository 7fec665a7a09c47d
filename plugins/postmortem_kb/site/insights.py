"""Insights: how fast we detect, recover and write up, what recurs, and the trend by month.

`compute_insights()` is pure arithmetic over validated `Incident`s and the `Settings` (the
types rule, the severity scale, the build date); it returns plain dataclasses.
`insights_pages()` renders them (with server-side SVG charts from `charts.py`) into
`insights/index.md`, a page of the internal site only: the numbers come from internal
fields (impact timestamps, services, owners) that customers never see. The KPI page
(`kpi.py`) has the percentiles, targets and trends; this page has the overview.

Which incidents count is the `types` rule (`incident_types.py`): durations measure the types
with `metrics`, the closure rate the types with `follow_up_closure`, counts, trends and
recurrence the types listed everywhere. Time to publish runs from the end of impact, as on
the KPI page (`kpi.time_to_publish`). The trends end at the build date.

Every metric says what it measured: an incident missing a timestamp is left out of that
metric and counted as missing, never treated as zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..core import urls
from ..core.model import Incident
from ..core.settings import Settings
from .charts import Series, chart_rows, stacked_bar_chart
from .incident_types import closure_counted, listed_everywhere, timed, types_where
from .kpi import format_days, severity_order, time_to_publish
from .recurrence import Recurrence, recurrence
from .render import PageRenderer, RenderedPage

#: How many calendar months the monthly trend covers, ending at the build date's month.
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
    """Follow-up outcomes; overdue is judged against the build date."""

    done: int
    open: int
    in_progress: int
    wont_do: int
    #: Open or in-progress follow-ups whose due date is before the build date.
    overdue: int

    @property
    def closure_rate(self) -> float | None:
        """done / (done + open + in progress): a won't-do is a decision, neither closed work
        nor open."""
        decided = self.done + self.open + self.in_progress
        return self.done / decided if decided else None


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
    #: Incidents counted: the types listed everywhere.
    incidents: int
    #: MTTD: impact.started → impact.detected (types with `metrics`, as the spans below).
    time_to_detect: SpanStats
    #: MTTR: impact.started → impact.resolved, or → impact.mitigated while not resolved.
    time_to_recover: SpanStats
    #: How many of the MTTR spans end at mitigation because the incident is not resolved.
    recovered_at_mitigation: int
    #: date → drafted, and end of impact → published (whole days).
    time_to_draft: SpanStats
    time_to_publish: SpanStats
    #: Follow-ups of the types with `follow_up_closure`.
    follow_ups: FollowUpStats
    recurrence: Recurrence
    monthly: Trend
    yearly: Trend
    #: Which types the counts, the durations and the follow-ups cover.
    counted_types: tuple[str, ...] = ()
    timed_types: tuple[str, ...] = ()
    closure_types: tuple[str, ...] = ()


def compute_insights(incidents: Sequence[Incident], settings: Settings) -> Insights:
    """Every metric of the insights page over `incidents`, as of `settings.build_date`."""
    today, types = settings.build_date, settings.types
    counted = listed_everywhere(incidents, types)
    measured = timed(incidents, types)
    scale = severity_order(counted, settings.severities)
    return Insights(
        incidents=len(counted),
        time_to_detect=span_stats([i.impact.time_to_detect for i in measured]),
        time_to_recover=span_stats([i.impact.duration for i in measured]),
        recovered_at_mitigation=sum(
            1 for i in measured if i.impact.resolved is None and i.impact.duration is not None
        ),
        time_to_draft=span_stats([_days_between(i.date, i.drafted) for i in measured]),
        time_to_publish=span_stats([time_to_publish(i) for i in measured]),
        follow_ups=follow_up_stats(closure_counted(incidents, types), today),
        recurrence=recurrence(counted),
        monthly=monthly_trend(counted, scale, today),
        yearly=yearly_trend(counted, scale, today),
        counted_types=types_where(types, lambda rule: rule.listed == "all", incidents),
        timed_types=types_where(types, lambda rule: rule.metrics, incidents),
        closure_types=types_where(types, lambda rule: rule.follow_up_closure, incidents),
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
        in_progress=sum(1 for f in follow_ups if f.status == "in-progress"),
        wont_do=sum(1 for f in follow_ups if f.status == "wont-do"),
        overdue=sum(1 for f in follow_ups if f.is_overdue(today)),
    )


def monthly_trend(
    incidents: Sequence[Incident],
    severities: Sequence[str],
    today: dt.date,
    months: int = TREND_MONTHS,
) -> Trend:
    """Incidents per month by severity: `months` calendar months ending at the build date's
    month (empty months included, so the time axis is even and reaches today)."""
    if not incidents:
        return Trend(tuple(severities), ())
    last = today.year * 12 + today.month - 1  # months since year 0, to step across years
    keys = [_month(dt.date(n // 12, n % 12 + 1, 1)) for n in range(last - months + 1, last + 1)]
    return _trend(incidents, severities, keys, _month)


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def yearly_trend(incidents: Sequence[Incident], severities: Sequence[str], today: dt.date) -> Trend:
    """Incidents per year by severity, from the first year with an incident to the build
    date's year."""
    if not incidents:
        return Trend(tuple(severities), ())
    first = min(incident.date.year for incident in incidents)
    keys = [f"{year:04d}" for year in range(first, max(first, today.year) + 1)]
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


#: Label spacings that read naturally on a time axis: months by quarter, half and whole
#: year; years by one, two, five and ten.
MONTH_LABEL_STRIDES = (1, 2, 3, 6, 12, 24)
YEAR_LABEL_STRIDES = (1, 2, 5, 10, 20, 50)


def trend_chart(
    trend: Trend, chart_id: str, title: str, period_name: str, label_strides: Sequence[int]
) -> tuple[str, list[str], list[list[str]]]:
    """The trend as a stacked bar chart, one colour per severity, with its table's headers
    and rows."""
    first, last = trend.periods[0].label, trend.periods[-1].label
    total = sum(period.total for period in trend.periods)
    categories = [period.label for period in trend.periods]
    series = [
        Series(severity, tuple(period.counts[severity] for period in trend.periods))
        for severity in trend.severities
    ]
    figure = stacked_bar_chart(
        chart_id=chart_id,
        title=title,
        description=(
            f"Incidents per {period_name} from {first} to {last}, stacked by severity: "
            f"{total} in all. The table below the chart lists the same numbers."
        ),
        categories=categories,
        series=series,
        label_strides=label_strides,
    )
    return (
        figure,
        [period_name.capitalize(), *trend.severities, "Total"],
        chart_rows(categories, series),
    )


def insights_pages(
    incidents: Sequence[Incident], renderer: PageRenderer, settings: Settings
) -> dict[str, RenderedPage]:
    """`insights/index.md` (internal site only)."""
    insights = compute_insights(incidents, settings)
    charts = {
        name: trend_chart(trend, f"pmkb-chart-{name}", title, period_name, strides)
        for name, trend, title, period_name, strides in (
            ("monthly", insights.monthly, "Incidents by month", "month", MONTH_LABEL_STRIDES),
            ("yearly", insights.yearly, "Incidents by year", "year", YEAR_LABEL_STRIDES),
        )
        if trend.periods
    }
    return {
        urls.INSIGHTS_URI: renderer.render(
            "insights.md.j2",
            urls.INSIGHTS_URI,
            insights=insights,
            charts=charts,
            today=settings.build_date,
            format_days=format_days,
        )
    }
