"""A line chart of metrics over model versions, laid out here and drawn as inline SVG by a template.

The console has no build step and no JavaScript library, so the page gets its chart as plain
SVG elements; this module does the arithmetic (scales, ticks, polylines) and the template only
writes the elements out. A version without a value for a metric leaves a gap in that line
rather than a misleading segment through it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48
MAX_LABELS = 12
COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7f8f", "#57606a")


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # what hovering the point says


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    segments: list[str]  # SVG ``points`` of each unbroken run
    points: list[Point]


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    series: list[Series]
    y_ticks: list[Tick]
    x_ticks: list[Tick]

    @property
    def empty(self) -> bool:
        return not any(series.points for series in self.series)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``value`` (> 0)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value - 1e-12:
            return step * power
    return 10 * power  # pragma: no cover - the loop ends at 10


def line_chart(labels: Sequence[str], values: Mapping[str, Sequence[float | None]]) -> Chart:
    """Lay out one line per metric over ``labels`` (versions, oldest first); y from 0."""
    plot_left, plot_right, plot_top, plot_bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    present = [v for series in values.values() for v in series if v is not None and math.isfinite(v)]
    top_value = nice_ceiling(max([*present, 0.0]))
    count = len(labels)

    def x_of(i: int) -> float:
        if count <= 1:
            return (plot_left + plot_right) / 2
        return plot_left + i * (plot_right - plot_left) / (count - 1)

    def y_of(value: float) -> float:
        return plot_bottom - max(value, 0.0) / top_value * (plot_bottom - plot_top)

    series = []
    for n, (name, points_of) in enumerate(values.items()):
        segments: list[str] = []
        run: list[str] = []
        points = []
        for i, value in enumerate(points_of):
            if value is None or not math.isfinite(value):
                if run:
                    segments.append(" ".join(run))
                run = []
                continue
            x, y = round(x_of(i), 1), round(y_of(value), 1)
            run.append(f"{x},{y}")
            points.append(Point(x, y, f"{name} of {labels[i]}: {value:.4f}"))
        if run:
            segments.append(" ".join(run))
        series.append(Series(name, COLOURS[n % len(COLOURS)], segments, points))
    y_ticks = [Tick(round(y_of(top_value * i / 4), 1), f"{top_value * i / 4:g}") for i in range(5)]
    every = max(1, math.ceil(count / MAX_LABELS))
    x_ticks = [Tick(round(x_of(i), 1), labels[i]) for i in range(0, count, every)]
    return Chart(WIDTH, HEIGHT, plot_left, plot_right, plot_top, plot_bottom, series, y_ticks, x_ticks)
