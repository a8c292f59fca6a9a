"""Bar charts drawn on the server as inline SVG (no JavaScript, nothing from a CDN). The chart
is a picture with a title and a description; the page puts the same figures in a table for
screen readers and for reading exact values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, BOTTOM, TOP = 48, 28, 12


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar (shortened when there are many bars)
    title: str  # the full figure on hover
    value: Decimal | None  # None: not known; no bar
    estimated: bool = False


def _scale_top(highest: Decimal) -> Decimal:
    """A round top for the axis: 1, 2 or 5 times a power of ten, at or above ``highest``."""
    if highest <= 0:
        return Decimal(1)
    power = Decimal(1)
    while power * 10 <= highest:
        power *= 10
    while power > highest:
        power /= 10
    for factor in (1, 2, 5, 10):
        if power * factor >= highest:
            return power * factor
    return power * 10


def bar_chart(bars: Sequence[Bar], *, title: str, description: str, unit: str) -> str:
    """An SVG bar chart of ``bars``; estimated bars hatched lighter."""
    top = _scale_top(max((b.value for b in bars if b.value is not None), default=Decimal(0)))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(bars), 1)
    every = max(1, round(len(bars) / 12))  # at most about twelve labels
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" '
        f'stroke="#4a5460"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" font-size="11" '
        f'fill="#1b1f24">{escape(f"{top:f}".rstrip("0").rstrip("."))} {escape(unit)}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="11" '
        f'fill="#1b1f24">0</text>',
    ]
    for i, bar in enumerate(bars):
        x = LEFT + i * slot + slot * 0.15
        if bar.value is not None and bar.value > 0:
            h = float(bar.value / top) * plot_h
            colour = "#7fa7d6" if bar.estimated else "#0b5cad"
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(bar.title)}</title></rect>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - 10}" text-anchor="middle" '
                f'font-size="11" fill="#1b1f24">{escape(bar.label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
