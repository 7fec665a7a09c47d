"""Bar charts as inline SVG, rendered at build time: no script, no font, no request.

The site must work offline and from an internal network, so a chart is plain markup in the
page: a `<figure>` holding an `<svg>` with a `<title>`, a `<desc>` and an `aria-label`, each
bar with its own `<title>` (a tooltip on hover). Text is drawn in `currentColor` and the
page's own font, so it follows the theme's light and dark schemes. A chart never stands
alone: the page puts the same values in a table next to it.

Charts go into pages through the sanitizer, so their markup keeps to its allowlist (no
`style`: `assets/pmkb.css` lets a chart shrink to the page's width).

The markup has no blank line, so Markdown keeps it as one raw HTML block, and every label
is escaped here: callers pass plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core.formatting import escape_html

#: Series colours, worst severity first; they repeat past the last one.
PALETTE = ("#c62828", "#ef6c00", "#f9a825", "#607d8b", "#6a1b9a", "#00897b", "#3949ab")

_FONT_SIZE = 12
_CHAR_WIDTH = 7  # a generous average advance at _FONT_SIZE, to size margins and the legend
_PLOT_HEIGHT = 180
_BAR_STEP = 28
_BAR_WIDTH = 20
_LEFT = 40
_RIGHT = 12
_TOP = 34  # room for the legend
_TARGET_TICKS = 4


@dataclass(frozen=True)
class Series:
    """One stacked layer: a name for the legend and a value per category."""

    name: str
    values: tuple[int, ...]


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
) -> str:
    """A vertical stacked bar chart, one bar per category, as a `<figure>` of inline SVG.

    `chart_id` must be unique in the page (it names the title and description elements).
    Values are non-negative counts.
    """
    totals = [sum(layer.values[index] for layer in series) for index in range(len(categories))]
    tick_step, y_max = _axis(max(totals, default=0))
    rotate = any(len(label) * _CHAR_WIDTH > _BAR_STEP for label in categories)
    label_room = max((len(label) for label in categories), default=0) * _CHAR_WIDTH
    # A label turned 45° reaches down and left by about 0.71 of its length.
    slant = label_room * 0.71 if rotate else 0
    bottom = slant + 2 * _FONT_SIZE
    left_margin = int(max(_LEFT, slant - _BAR_STEP / 2 + 4))
    legend_width = sum(_legend_item_width(layer.name) for layer in series)
    width = int(left_margin + max(_BAR_STEP * len(categories), legend_width) + _RIGHT)
    height = int(_TOP + _PLOT_HEIGHT + bottom)
    baseline = _TOP + _PLOT_HEIGHT

    def y_of(value: float) -> float:
        return baseline - value / y_max * _PLOT_HEIGHT

    parts = [
        f'<figure class="pmkb-chart" id="{escape(chart_id)}">',
        f'<svg role="img" aria-label="{escape(title)}" '
        f'aria-describedby="{escape(chart_id)}-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-size="{_FONT_SIZE}" fill="currentColor">',
        f"<title>{escape(title)}</title>",
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    # Legend, one swatch per series.
    x = float(left_margin)
    for index, layer in enumerate(series):
        parts.append(
            f'<rect x="{x:g}" y="8" width="10" height="10" fill="{_colour(index)}"/>'
            f'<text x="{x + 14:g}" y="17">{escape(layer.name)}</text>'
        )
        x += _legend_item_width(layer.name)
    # Value axis: grid lines with their labels.
    for tick in range(0, y_max + 1, tick_step):
        y = y_of(tick)
        parts.append(
            f'<line x1="{left_margin}" x2="{width - _RIGHT}" y1="{y:g}" y2="{y:g}" '
            f'stroke="currentColor" stroke-opacity="{0.5 if tick == 0 else 0.15}"/>'
            f'<text x="{left_margin - 6}" y="{y + _FONT_SIZE / 3:g}" text-anchor="end">'
            f"{tick}</text>"
        )
    # Bars, stacked bottom-up in series order, then the category label.
    for index, category in enumerate(categories):
        left = left_margin + index * _BAR_STEP + (_BAR_STEP - _BAR_WIDTH) / 2
        stacked = 0
        for number, layer in enumerate(series):
            value = layer.values[index]
            if value <= 0:
                continue
            top = y_of(stacked + value)
            parts.append(
                f'<rect x="{left:g}" y="{top:g}" width="{_BAR_WIDTH}" '
                f'height="{y_of(stacked) - top:g}" fill="{_colour(number)}">'
                f"<title>{escape(category)}, {escape(layer.name)}: {value}</title></rect>"
            )
            stacked += value
        centre = left + _BAR_WIDTH / 2
        label_y = baseline + _FONT_SIZE + 4
        transform = f' transform="rotate(-45 {centre:g} {label_y:g})"' if rotate else ""
        anchor = "end" if rotate else "middle"
        parts.append(
            f'<text x="{centre:g}" y="{label_y:g}" text-anchor="{anchor}"{transform}>'
            f"{escape(category)}</text>"
        )
    parts.append("</svg>")
    parts.append(f"<figcaption>{escape(title)}</figcaption>")
    parts.append("</figure>")
    return "\n".join(parts)


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


def _legend_item_width(name: str) -> float:
    return 14 + len(name) * _CHAR_WIDTH + 14


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]
