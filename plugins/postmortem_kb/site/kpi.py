"""The KPI page: targets, current values and trends of how we detect, recover, write up and
follow up, in the shape postmortem guides recommend.

`compute_kpis()` is pure arithmetic over validated `Incident`s, the `Settings` (types,
severities, `kpi_targets`) and the build date; it returns plain dataclasses, and
`kpi_pages()` renders them into `kpi/index.md`, a page of the internal site only.

Definitions (SPEC.md, "Incident model, v2"), each said on the page too:

* Durations are percentiles, nearest-rank: p50 is the smallest value at least half the
  measured incidents reach, p90 the same for nine in ten. Fewer than `MIN_MEASURED` measured
  incidents give "too few" rather than a number that one incident can swing. Every figure
  says how many incidents it measured and how many lacked the timestamps it needs.
* Time to publish runs from the end of impact (`resolved`, else `mitigated`, else the
  incident's date) to `published`, in days.
* Which incidents count where is the `types` rule (`incident_types.py`): durations only for
  types with `metrics`, follow-up closure only for types with `follow_up_closure`, counts,
  severity shares and recurrence for the types listed everywhere.
* A follow-up is closed on schedule when `closed` is on or before `due`; open or in progress
  past `due` is late; a `done` without `closed` (as every v1 file has) lacks data, never late.
  Its age counts from the incident's date.
* Current is the last `WINDOW_DAYS` days up to the build date; the trend compares it with the
  `WINDOW_DAYS` days before. Incidents fall in a window by their date, follow-ups by `due`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..core import urls
from ..core.formatting import format_duration
from ..core.model import FollowUp, Incident
from ..core.settings import Settings
from .charts import Series, chart_rows, stacked_bar_chart
from .incident_types import closure_counted, listed_everywhere, timed, types_where
from .recurrence import Recurrence, contributing_factors, recurrence
from .render import PageRenderer, RenderedPage

#: Days in the Current window, and in the window the trend compares it with.
WINDOW_DAYS = 90
#: Fewer measured incidents than this show "too few" instead of a percentile.
MIN_MEASURED = 5
#: The percentiles shown for every duration.
PERCENTILES = (50, 90)
#: How many windows the charts show, the newest ending at the build date (two years).
CHART_WINDOWS = 8
#: Chart colours of outcomes: on time, late, neither (lacking data, not yet due).
GOOD, BAD, NONE = "#00897b", "#c62828", "#90a4ae"

T = TypeVar("T")


def nearest_rank(ordered: Sequence[T], percent: float) -> T:
    """The nearest-rank percentile of sorted values: the value at rank ⌈percent/100 · n⌉."""
    rank = math.ceil(percent / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True)
class Distribution:
    """p50 and p90 of one duration over the incidents that have it."""

    #: Incidents measured, and incidents left out for a missing timestamp or date.
    measured: int
    lacking: int
    #: None when fewer than `MIN_MEASURED` incidents were measured.
    p50: dt.timedelta | None = None
    p90: dt.timedelta | None = None

    @property
    def too_few(self) -> bool:
        return self.measured < MIN_MEASURED


def distribution(spans: Iterable[dt.timedelta | None]) -> Distribution:
    spans = list(spans)
    measured = sorted(span for span in spans if span is not None)
    lacking = len(spans) - len(measured)
    if len(measured) < MIN_MEASURED:
        return Distribution(len(measured), lacking)
    p50, p90 = (nearest_rank(measured, percent) for percent in PERCENTILES)
    return Distribution(len(measured), lacking, p50, p90)


def end_of_impact(incident: Incident) -> dt.date:
    """The day impact ended: resolved, else mitigated, else the incident's date."""
    end = incident.impact.resolved or incident.impact.mitigated
    return end.date() if end is not None else incident.date


def time_to_publish(incident: Incident) -> dt.timedelta | None:
    """End of impact → `published`, in whole days; None when not published, or published
    before impact ended (contradictory dates lack data rather than count as zero)."""
    if incident.published is None:
        return None
    span = incident.published - end_of_impact(incident)
    return span if span >= dt.timedelta() else None


@dataclass(frozen=True)
class DurationKpi:
    """One duration KPI: its `kpi_targets` key, its name, what it measures and how."""

    key: str
    name: str
    measures: str
    span: Callable[[Incident], dt.timedelta | None]
    #: Counted in dates (time to publish), shown in days rather than hours and minutes.
    in_days: bool = False


DURATION_KPIS = (
    DurationKpi("mttd", "MTTD", "start of impact → detected", lambda i: i.impact.time_to_detect),
    DurationKpi("mttm", "MTTM", "start of impact → mitigated", lambda i: i.impact.time_to_mitigate),
    DurationKpi(
        "mttr",
        "MTTR",
        "start of impact → resolved (mitigated, while not resolved)",
        lambda i: i.impact.duration,
    ),
    DurationKpi(
        "time_to_publish",
        "Time to publish",
        "end of impact (resolved, else mitigated, else the date) → published",
        time_to_publish,
        in_days=True,
    ),
)


@dataclass(frozen=True)
class SplitRow:
    """A duration's distribution over the incidents of one severity, service or trigger."""

    dimension: str
    value: str
    distribution: Distribution


@dataclass(frozen=True)
class DurationReport:
    kpi: DurationKpi
    overall: Distribution
    #: By severity (in scale order), then by trigger and by service (by name).
    splits: tuple[SplitRow, ...]


#: How an incident without a trigger is shown in the splits.
NO_TRIGGER = "(no trigger)"


def duration_report(
    kpi: DurationKpi, incidents: Sequence[Incident], severities: Sequence[str]
) -> DurationReport:
    """`kpi` over `incidents` (the timed ones), overall and split three ways."""
    spans = {incident.id: kpi.span(incident) for incident in incidents}
    splits: list[SplitRow] = []
    for dimension, values_of, order in (
        ("Severity", lambda i: (i.severity,), _scale_order(severities)),
        ("Trigger", lambda i: (i.trigger or NO_TRIGGER,), _by_name),
        ("Service", lambda i: i.services, _by_name),
    ):
        groups = _group(incidents, values_of)
        for value in order(list(groups)):
            members = groups[value]
            splits.append(SplitRow(dimension, value, distribution(spans[i.id] for i in members)))
    return DurationReport(kpi, distribution(spans.values()), tuple(splits))


def _group(
    incidents: Iterable[Incident], values_of: Callable[[Incident], Iterable[str]]
) -> dict[str, list[Incident]]:
    groups: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        for value in dict.fromkeys(values_of(incident)):
            groups[value].append(incident)
    return groups


def _scale_order(severities: Sequence[str]) -> Callable[[list[str]], list[str]]:
    rank = {level: index for index, level in enumerate(severities)}
    return lambda values: sorted(values, key=lambda v: (rank.get(v, len(rank)), v))


def _by_name(values: list[str]) -> list[str]:
    return sorted(values, key=lambda value: (value == NO_TRIGGER, value.lower(), value))


@dataclass(frozen=True)
class SevereShare:
    """How many incidents of one trigger or factor were of the two worst severities."""

    value: str
    incidents: int
    severe: int

    @property
    def share(self) -> float:
        return self.severe / self.incidents


def severe_shares(
    incidents: Iterable[Incident],
    values_of: Callable[[Incident], Iterable[str]],
    severe_levels: Sequence[str],
) -> tuple[SevereShare, ...]:
    """Per value: incidents and how many were severe; most incidents first, then by name."""
    shares = [
        SevereShare(value, len(members), sum(1 for i in members if i.severity in severe_levels))
        for value, members in _group(incidents, values_of).items()
    ]
    shares.sort(key=lambda share: (-share.incidents, share.value))
    return tuple(shares)


#: How a follow-up counts for closure on schedule (`follow_up_outcome`).
ON_TIME, CLOSED_LATE, OPEN_LATE, NOT_DUE, LACKING = (
    "on time", "closed late", "open past due", "not due yet", "lacking data",
)  # fmt: skip


def follow_up_outcome(follow_up: FollowUp, today: dt.date) -> str | None:
    """How one follow-up counts for closure on schedule, as of `today`; None for won't-do
    (a decision, neither on time nor late)."""
    if follow_up.status == "wont-do":
        return None
    if follow_up.is_open:
        if follow_up.due is None:
            return LACKING
        return OPEN_LATE if follow_up.is_overdue(today) else NOT_DUE
    if follow_up.due is None or follow_up.closed is None:
        return LACKING  # a v1 `done` has no `closed`: never late on a guess
    return ON_TIME if follow_up.closed <= follow_up.due else CLOSED_LATE


@dataclass(frozen=True)
class Closure:
    """Follow-ups by how they count for closure on schedule."""

    on_time: int = 0
    closed_late: int = 0
    open_late: int = 0
    not_due: int = 0
    lacking: int = 0

    @property
    def late(self) -> int:
        return self.closed_late + self.open_late

    @property
    def judged(self) -> int:
        return self.on_time + self.late

    @property
    def rate(self) -> float | None:
        """Closed on schedule ÷ (on schedule + late); None when nothing could be judged."""
        return self.on_time / self.judged if self.judged else None


def closure(follow_ups: Iterable[FollowUp], today: dt.date) -> Closure:
    counts: dict[str | None, int] = defaultdict(int)
    for follow_up in follow_ups:
        counts[follow_up_outcome(follow_up, today)] += 1
    return Closure(
        counts[ON_TIME], counts[CLOSED_LATE], counts[OPEN_LATE], counts[NOT_DUE], counts[LACKING]
    )


@dataclass(frozen=True)
class AgeBucket:
    """Open follow-ups whose incident is `low`..`high` days old (inclusive; None: no end)."""

    label: str
    low: int
    high: int | None
    open: int = 0
    in_progress: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.open + self.in_progress


#: The age buckets, in days since the incident.
AGE_BUCKETS = ((0, 30), (31, 90), (91, 180), (181, 365), (366, None))


def open_by_age(incidents: Iterable[Incident], today: dt.date) -> tuple[AgeBucket, ...]:
    """Open and in-progress follow-ups by the age of their incident on `today`."""
    counts = [[0, 0, 0] for _ in AGE_BUCKETS]
    for incident in incidents:
        age = (today - incident.date).days
        index = next(
            (n for n, (low, high) in enumerate(AGE_BUCKETS) if high is None or age <= high), 0
        )
        for follow_up in incident.follow_ups:
            if follow_up.is_open:
                counts[index][0 if follow_up.status == "open" else 1] += 1
                counts[index][2] += follow_up.is_overdue(today)
    return tuple(
        AgeBucket(_age_label(low, high), low, high, *bucket)
        for (low, high), bucket in zip(AGE_BUCKETS, counts, strict=True)
    )


def _age_label(low: int, high: int | None) -> str:
    return f"{low}\u2013{high}" if high is not None else f"{low}+"  # an en dash


@dataclass(frozen=True)
class Window:
    """The days `first` … `last`, both included."""

    first: dt.date
    last: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first <= day <= self.last

    @property
    def label(self) -> str:
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


def windows(today: dt.date, count: int, days: int = WINDOW_DAYS) -> list[Window]:
    """`count` back-to-back windows of `days`, the newest ending on `today`; newest first."""
    return [
        Window(today - dt.timedelta(days=days * (n + 1) - 1), today - dt.timedelta(days=days * n))
        for n in range(count)
    ]


@dataclass(frozen=True)
class Measurement:
    """A KPI's value over some incidents: a number to judge (hours for durations, a
    fraction for rates; None when it cannot be judged) and how the page shows it."""

    value: float | None
    text: str


@dataclass(frozen=True)
class KpiRow:
    """Target / Current / Trend of one KPI."""

    key: str
    name: str
    #: What it measures, in words.
    measures: str
    lower_is_better: bool
    #: From `kpi_targets`: hours for durations, a fraction for rates; None: no target set.
    target: float | None
    target_text: str
    current: Measurement
    previous: Measurement
    all_time: Measurement

    @property
    def met(self) -> bool | None:
        """Whether Current meets the target; None without a target or a current value."""
        if self.target is None or self.current.value is None:
            return None
        if self.lower_is_better:
            return self.current.value <= self.target
        return self.current.value >= self.target

    @property
    def trend(self) -> str | None:
        """`better`, `worse` or `same` against the previous window; None when either
        window has no value."""
        now, before = self.current.value, self.previous.value
        if now is None or before is None:
            return None
        if now == before:
            return "same"
        return "better" if (now < before) == self.lower_is_better else "worse"


@dataclass(frozen=True)
class WindowCounts:
    """What the charts show for one window."""

    window: Window
    #: severity → incidents started in the window.
    incidents: dict[str, int]
    #: Follow-ups due in the window, by outcome.
    closure: Closure


@dataclass(frozen=True)
class KpiReport:
    today: dt.date
    current: Window
    previous: Window
    rows: tuple[KpiRow, ...]
    durations: tuple[DurationReport, ...]
    #: The two worst severities of the scale, and their share by trigger and by factor.
    severe_levels: tuple[str, ...]
    severe_by_trigger: tuple[SevereShare, ...]
    severe_by_factor: tuple[SevereShare, ...]
    closure: Closure
    age: tuple[AgeBucket, ...]
    recurrence: Recurrence
    #: Oldest first, the last ending on the build date.
    chart_windows: tuple[WindowCounts, ...]
    severities: tuple[str, ...]
    #: Incidents counted (types listed everywhere), timed, and with follow-ups counted.
    counted: int
    timed: int
    closure_incidents: int
    #: Which types each of those covers.
    counted_types: tuple[str, ...]
    timed_types: tuple[str, ...]
    closure_types: tuple[str, ...]


def compute_kpis(incidents: Sequence[Incident], settings: Settings) -> KpiReport:
    """Every number of the KPI page, as of `settings.build_date`."""
    today, types, targets = settings.build_date, settings.types, settings.kpi_targets
    counted = listed_everywhere(incidents, types)
    timed_incidents = timed(incidents, types)
    with_closure = closure_counted(incidents, types)
    current, previous = windows(today, 2)
    severities = severity_order(counted, settings.severities)
    severe_levels = tuple(settings.severities[:2])
    found = recurrence(counted)

    def in_window(members: Sequence[Incident], window: Window | None) -> list[Incident]:
        return [i for i in members if window is None or i.date in window]

    def follow_ups_due(window: Window | None) -> list[FollowUp]:
        return [
            f
            for i in with_closure
            for f in i.follow_ups
            if window is None or (f.due is not None and f.due in window)
        ]

    rows: list[KpiRow] = []
    for kpi in DURATION_KPIS:

        def median(window: Window | None, kpi: DurationKpi = kpi) -> Measurement:
            return _median_measurement(
                distribution(kpi.span(i) for i in in_window(timed_incidents, window)), kpi
            )

        target = targets.get(kpi.key)
        rows.append(KpiRow(
            kpi.key, kpi.name, f"p50 of {kpi.measures}", True, target,
            _target_text(target, kpi), median(current), median(previous), median(None),
        ))  # fmt: skip

    def on_time(window: Window | None) -> Measurement:
        result = closure(follow_ups_due(window), today)
        return _rate_measurement(result.on_time, result.judged)

    def recurring(window: Window | None) -> Measurement:
        members = in_window(counted, window)
        return _rate_measurement(sum(1 for i in members if i.id in found.repeats), len(members))

    for key, name, measures, lower, measure in (
        ("follow_up_on_time", "Follow-ups closed on schedule",
         "closed on or before due ÷ (that + late); by due date", False, on_time),
        ("recurrence_rate", f"{WINDOW_DAYS}-day recurrence rate",
         f"incidents repeating one of the {WINDOW_DAYS} days before ÷ incidents", True,
         recurring),
    ):  # fmt: skip
        target = targets.get(key)
        rows.append(KpiRow(
            key, name, measures, lower, target, _percent(target) if target is not None else "",
            measure(current), measure(previous), measure(None),
        ))  # fmt: skip

    return KpiReport(
        today=today,
        current=current,
        previous=previous,
        rows=tuple(rows),
        durations=tuple(
            duration_report(kpi, timed_incidents, settings.severities) for kpi in DURATION_KPIS
        ),
        severe_levels=severe_levels,
        severe_by_trigger=severe_shares(
            counted, lambda i: (i.trigger or NO_TRIGGER,), severe_levels
        ),
        severe_by_factor=severe_shares(counted, contributing_factors, severe_levels),
        closure=closure(follow_ups_due(None), today),
        age=open_by_age(with_closure, today),
        recurrence=found,
        chart_windows=tuple(
            WindowCounts(
                window,
                _severity_counts(in_window(counted, window), severities),
                closure(follow_ups_due(window), today),
            )
            for window in reversed(windows(today, CHART_WINDOWS))
        ),
        severities=severities,
        counted=len(counted),
        timed=len(timed_incidents),
        closure_incidents=len(with_closure),
        counted_types=types_where(types, lambda rule: rule.listed == "all", incidents),
        timed_types=types_where(types, lambda rule: rule.metrics, incidents),
        closure_types=types_where(types, lambda rule: rule.follow_up_closure, incidents),
    )


def severity_order(incidents: Iterable[Incident], scale: Sequence[str]) -> tuple[str, ...]:
    """The scale, then any other severity found (sorted), so none is dropped."""
    extra = sorted({incident.severity for incident in incidents} - set(scale))
    return (*scale, *extra)


def _severity_counts(incidents: Iterable[Incident], severities: Sequence[str]) -> dict[str, int]:
    counts = dict.fromkeys(severities, 0)
    for incident in incidents:
        counts[incident.severity] += 1
    return counts


def format_days(span: dt.timedelta | None) -> str:
    """`0 days`, `1 day`, `4.5 days`: time to publish is counted in dates."""
    if span is None:
        return ""
    days = round(span / dt.timedelta(days=1), 1)
    text = f"{days:g}"
    return f"{text} day" if text == "1" else f"{text} days"


def format_span(span: dt.timedelta | None, kpi: DurationKpi) -> str:
    return format_days(span) if kpi.in_days else format_duration(span)


def _median_measurement(found: Distribution, kpi: DurationKpi) -> Measurement:
    if found.p50 is None:
        return Measurement(None, too_few_text(found.measured))
    return Measurement(found.p50 / dt.timedelta(hours=1), format_span(found.p50, kpi))


def too_few_text(measured: int) -> str:
    return f"too few ({measured} measured)" if measured else "no incident measured"


def _rate_measurement(part: int, whole: int) -> Measurement:
    if not whole:
        return Measurement(None, "no data")
    return Measurement(part / whole, f"{_percent(part / whole)} ({part} of {whole})")


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.0f} %"


def _target_text(target: float | None, kpi: DurationKpi) -> str:
    if target is None:
        return ""
    return format_span(dt.timedelta(hours=target), kpi)


def window_charts(report: KpiReport) -> dict[str, tuple[str, list[str], list[list[str]]]]:
    """name → (SVG figure, table headers, table rows) of each chart of the page."""
    labels = [f"{counts.window.last:%Y-%m}" for counts in report.chart_windows]
    spans = [counts.window.label for counts in report.chart_windows]
    first, last = report.chart_windows[0].window.first, report.today
    incidents = [
        Series(level, tuple(counts.incidents[level] for counts in report.chart_windows))
        for level in report.severities
    ]
    follow_ups = [
        Series(name, tuple(getattr(counts.closure, field) for counts in report.chart_windows),
               colour)
        for name, field, colour in (
            ("on time", "on_time", GOOD), ("late", "late", BAD), ("lacking data", "lacking", NONE),
        )
    ]  # fmt: skip
    buckets = [bucket.label for bucket in report.age]
    ages = [
        Series("overdue", tuple(bucket.overdue for bucket in report.age), BAD),
        Series("not overdue", tuple(bucket.total - bucket.overdue for bucket in report.age), NONE),
    ]
    period = f"{WINDOW_DAYS} days"
    return {
        "incidents": (
            stacked_bar_chart(
                chart_id="pmkb-chart-kpi-incidents",
                title=f"Incidents per {period}",
                description=(
                    f"Incidents per {period} from {first} to {last}, by severity; each bar is "
                    "labelled with the month its window ends in."
                ),
                categories=labels,
                series=incidents,
                label_strides=(1, 2, 4),
            ),
            ["Window", *report.severities, "Total"],
            _with_spans(spans, chart_rows(labels, incidents)),
        ),
        "closure": (
            stacked_bar_chart(
                chart_id="pmkb-chart-kpi-closure",
                title=f"Follow-ups due per {period}",
                description=(
                    f"Follow-ups due per {period} from {first} to {last}: closed on time, "
                    "late (closed late or still open), or lacking a closing date."
                ),
                categories=labels,
                series=follow_ups,
                label_strides=(1, 2, 4),
            ),
            ["Window", *(layer.name.capitalize() for layer in follow_ups), "Total"],
            _with_spans(spans, chart_rows(labels, follow_ups)),
        ),
        "age": (
            stacked_bar_chart(
                chart_id="pmkb-chart-kpi-age",
                title="Open follow-ups by age (days since the incident)",
                description=(
                    f"Open and in-progress follow-ups on {last}, by days since their "
                    "incident, overdue ones at the bottom."
                ),
                categories=buckets,
                series=ages,
            ),
            ["Days since the incident", "Overdue", "Not overdue", "Total"],
            chart_rows(buckets, ages),
        ),
    }


def _with_spans(spans: list[str], rows: list[list[str]]) -> list[list[str]]:
    """Table rows whose first cell names the whole window, not only its month."""
    return [[span, *row[1:]] for span, row in zip(spans, rows, strict=True)]


def kpi_pages(
    incidents: Sequence[Incident], renderer: PageRenderer, settings: Settings
) -> dict[str, RenderedPage]:
    """`kpi/index.md` (internal site only)."""
    report = compute_kpis(incidents, settings)
    return {
        urls.KPI_URI: renderer.render(
            "kpi.md.j2",
            urls.KPI_URI,
            report=report,
            charts=window_charts(report),
            format_span=format_span,
            too_few_text=too_few_text,
            percent=_percent,
            min_measured=MIN_MEASURED,
            window_days=WINDOW_DAYS,
        )
    }
