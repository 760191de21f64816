"""Geometry of the collections chart: stacked bars per day and channel, drawn by the template
as inline SVG (no script, no inline style). Pure: no Flask, no database."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 84, 8, 12, 28
EMPTY_SCALE_VND = 100_000


@dataclass(frozen=True)
class Segment:
    channel: str
    y: float
    height: float
    amount_vnd: int


@dataclass(frozen=True)
class Bar:
    day: date
    x: float
    width: float
    total_vnd: int
    segments: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, amount) on the left axis
    labels: list[tuple[float, str]]  # (x centre, dd/mm) under some bars
    total_vnd: int
    peak: tuple[date, int] | None


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 2.5, 5 × 10^n that is at least `value` (the axis' top)."""
    if value <= 0:
        return EMPTY_SCALE_VND
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return 10 * magnitude


def build_chart(series: list[tuple[date, dict[str, int]]], channels: list[str]) -> Chart:
    """Stacked bars (channels in the given order, bottom up) for each day of `series`."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_h
    totals = [sum(amounts.values()) for _, amounts in series]
    top_vnd = nice_ceiling(max(totals, default=0))
    slot = plot_w / max(len(series), 1)
    bars = []
    for n, ((day, amounts), total) in enumerate(zip(series, totals)):
        # Each segment spans from the edge below it to the edge above, both rounded from the running
        # total: rounding each height on its own would let the stack drift past the plot's edges.
        below, stacked_vnd, segments = float(bottom), 0, []
        for channel in channels:
            amount = amounts.get(channel, 0)
            if amount:
                stacked_vnd += amount
                above = round(bottom - stacked_vnd / top_vnd * plot_h, 2)
                segments.append(Segment(channel, above, round(below - above, 2), amount))
                below = above
        bars.append(Bar(day, round(LEFT + n * slot + slot * 0.15, 2), round(slot * 0.7, 2), total, segments))
    ticks = [(round(bottom - plot_h * part, 2), int(top_vnd * part)) for part in (0, 0.5, 1)]
    last = len(series) - 1
    labels = [(round(LEFT + n * slot + slot / 2, 2), f"{day:%d/%m}") for n, (day, _) in enumerate(series)
              if (last - n) % 7 == 0]
    peak_index = max(range(len(series)), key=lambda n: totals[n], default=None)
    peak = (series[peak_index][0], totals[peak_index]) if peak_index is not None and totals[peak_index] else None
    return Chart(WIDTH, HEIGHT, LEFT, bottom, bars, ticks, labels, sum(totals), peak)
