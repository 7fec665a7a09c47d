"""Bar charts as inline SVG, rendered at build time: no script, no font, no request.

The site must work offline and from an internal network, so a chart is plain markup in the
page: a `<figure>` holding an `<svg>` with a `<title>`, a `<desc>` and an `aria-label`, each
bar with its own `<title>` (a tooltip on hover). Text is drawn in `currentColor` and the
page's own font, so it follows the theme's light and dark schemes. A chart never stands
alone: the page puts the same values in a table next to it (`chart_table()` gives its rows).

Every chart is drawn `CHART_WIDTH` wide, whatever the number of bars: that fits a phone's
screen unscaled, so its text stays readable there (`assets/pmkb.css` lets it grow a little
on wider screens). Bars narrow as they multiply; category labels that would not fit side by
side are thinned out, keeping the last (the newest period, on a time axis) and every
`stride`-th before it, so no two labels ever overlap; the legend wraps onto more rows.

Charts go into pages through the sanitizer, so their markup keeps to its allowlist (no
`style`, no `<g>`).

The markup has no blank line, so Markdown keeps it as one raw HTML block, and every label
is escaped here: callers pass plain text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.formatting import escape_html

#: Series colours, worst severity first; they repeat past the last one.
PALETTE = ("#c62828", "#ef6c00", "#f9a825", "#607d8b", "#6a1b9a", "#00897b", "#3949ab")

#: The drawing's width: a 390 px phone screen less the page's margins.
CHART_WIDTH = 340
_FONT_SIZE = 12
_CHAR_WIDTH = 7  # a generous average advance at _FONT_SIZE, to size margins and labels
_LABEL_GAP = 6  # the least room between two category labels, or two legend items
_PLOT_HEIGHT = 160
_MAX_BAR_WIDTH = 24
_RIGHT = 8
_LEGEND_ROW = 18
_TARGET_TICKS = 4


@dataclass(frozen=True)
class Series:
    """One stacked layer: a name for the legend and a value per category; its colour, or
    None for the next one of the palette (severities take the palette in order)."""

    name: str
    values: tuple[int, ...]
    colour: str | None = None


def escape(text: str) -> str:
    """Text safe in SVG character data and in double-quoted attributes."""
    return escape_html(text).replace('"', "&quot;")


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    label_strides: Sequence[int] = (),
) -> str:
    """A vertical stacked bar chart, one bar per category, as a `<figure>` of inline SVG.

    `chart_id` must be unique in the page (it names the title and description elements).
    Values are non-negative counts. `label_strides` are the label spacings the caller finds
    natural (every 1, 3, 6 or 12 months): the smallest that leaves room is used; without
    them (or when none does) any spacing that leaves room.
    """
    totals = [sum(layer.values[index] for layer in series) for index in range(len(categories))]
    tick_step, y_max = _axis(max(totals, default=0))
    left_margin = int(_text_width(str(y_max)) + 12)
    legend, legend_rows = _legend(series, left_margin)
    top = 8 + legend_rows * _LEGEND_ROW + 8
    baseline = top + _PLOT_HEIGHT
    label_y = baseline + _FONT_SIZE + 6
    height = int(label_y + 8)
    step = (CHART_WIDTH - left_margin - _RIGHT) / max(len(categories), 1)
    bar_width = max(min(step * 0.7, _MAX_BAR_WIDTH), 1.0)
    widest = max((_text_width(label) for label in categories), default=0)
    needed = max(math.ceil((widest + _LABEL_GAP) / step), 1)
    stride = min((s for s in label_strides if s >= needed), default=needed)

    def y_of(value: float) -> float:
        return baseline - value / y_max * _PLOT_HEIGHT

    parts = [
        f'<figure class="pmkb-chart" id="{escape(chart_id)}">',
        f'<svg role="img" aria-label="{escape(title)}" '
        f'aria-describedby="{escape(chart_id)}-desc" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'width="{CHART_WIDTH}" height="{height}" font-size="{_FONT_SIZE}" fill="currentColor">',
        f"<title>{escape(title)}</title>",
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        *legend,
    ]
    # Value axis: grid lines with their labels.
    for tick in range(0, y_max + 1, tick_step):
        y = y_of(tick)
        parts.append(
            f'<line x1="{left_margin}" x2="{CHART_WIDTH - _RIGHT}" y1="{y:g}" y2="{y:g}" '
            f'stroke="currentColor" stroke-opacity="{0.5 if tick == 0 else 0.15}"/>'
            f'<text x="{left_margin - 6}" y="{y + _FONT_SIZE / 3:g}" text-anchor="end">'
            f"{tick}</text>"
        )
    # Bars, stacked bottom-up in series order, then the category label (every stride-th,
    # counted back from the last).
    last = len(categories) - 1
    for index, category in enumerate(categories):
        centre = left_margin + (index + 0.5) * step
        left = centre - bar_width / 2
        stacked = 0
        for number, layer in enumerate(series):
            value = layer.values[index]
            if value <= 0:
                continue
            top_y = y_of(stacked + value)
            parts.append(
                f'<rect x="{left:.2f}" y="{top_y:g}" width="{bar_width:.2f}" '
                f'height="{y_of(stacked) - top_y:g}" fill="{_colour(series, number)}">'
                f"<title>{escape(category)}, {escape(layer.name)}: {value}</title></rect>"
            )
            stacked += value
        if (last - index) % stride == 0:
            # Kept inside the drawing: the first and last labels may be wider than a bar.
            half = _text_width(category) / 2
            x = min(max(centre, half), CHART_WIDTH - half)
            parts.append(
                f'<text x="{x:.2f}" y="{label_y:g}" text-anchor="middle">{escape(category)}</text>'
            )
    parts.append("</svg>")
    parts.append(f"<figcaption>{escape(title)}</figcaption>")
    parts.append("</figure>")
    return "\n".join(parts)


def chart_rows(categories: Sequence[str], series: Sequence[Series]) -> list[list[str]]:
    """A chart's numbers as table rows: the category, each series' value, the total."""
    return [
        [category, *(str(layer.values[index]) for layer in series),
         str(sum(layer.values[index] for layer in series))]
        for index, category in enumerate(categories)
    ]  # fmt: skip


def _legend(series: Sequence[Series], left_margin: int) -> tuple[list[str], int]:
    """The legend's swatches and names, wrapped onto as many rows as they need."""
    parts: list[str] = []
    x, row = float(left_margin), 0
    for index, layer in enumerate(series):
        width = 14 + _text_width(layer.name)
        if x > left_margin and x + width > CHART_WIDTH - _RIGHT:
            x, row = float(left_margin), row + 1
        y = 8 + row * _LEGEND_ROW
        parts.append(
            f'<rect x="{x:g}" y="{y}" width="10" height="10" fill="{_colour(series, index)}"/>'
            f'<text x="{x + 14:g}" y="{y + 9}">{escape(layer.name)}</text>'
        )
        x += width + _LABEL_GAP + 6
    return parts, row + 1 if series else 0


def _text_width(text: str) -> float:
    return len(text) * _CHAR_WIDTH


def _axis(largest: int) -> tuple[int, int]:
    """A tick step of 1, 2 or 5 times a power of ten, for about `_TARGET_TICKS` ticks, and
    the top of the axis (a whole number of steps)."""
    if largest <= 0:
        return 1, 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if largest / (step * factor) <= _TARGET_TICKS:
                tick = step * factor
                return tick, -(-largest // tick) * tick
        step *= 10


def _colour(series: Sequence[Series], index: int) -> str:
    return series[index].colour or PALETTE[index % len(PALETTE)]
