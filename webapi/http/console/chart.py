"""A chart of one holdout metric over model versions: each version beside the one it was compared with.

Every training run scores its candidate on a fresh time-ordered holdout, and scores the version
that was active then on the same holdout (``webapi.services.training``). Numbers from different holdouts
are not comparable: a later holdout can be harder, so a line joining the versions' own scores
shows a "regression" where the gate measured none. So the chart joins nothing across versions:
at each version it draws that version's score (a filled dot) and, on the same holdout, the
score of the version it was compared with (a hollow dot), linked by a short bar coloured by
which is higher. Only the pair at one version is a comparison.

The console has no build step and no JavaScript library, so this module does the arithmetic
(scales, ticks, margins that fit the rotated version labels) and a template writes the SVG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 560, 300
MIN_LEFT, RIGHT, TOP = 48, 16, 14
MAX_LABELS = 12
#: Rotation of the version labels under the x axis, and the width of one character of them
#: (11 px system-ui digits are about 6.2 px; a generous estimate keeps every label inside).
LABEL_DEGREES = 40
CHAR_PIXELS = 7.0
LABEL_GAP = 10
#: A relative change smaller than this is shown as no change (it prints as +0.0%).
SAME_WITHIN = 0.0005


@dataclass(frozen=True)
class Pair:
    """One version's score and, on the same holdout, the compared version's (None: not compared)."""

    label: str  # under the x axis (short)
    name: str  # the version, in the hover text
    value: float | None
    baseline: float | None = None
    baseline_name: str | None = None


@dataclass(frozen=True)
class Mark:
    x: float
    y: float | None  # this version's score, None when it has none
    baseline_y: float | None
    verdict: str  # "better", "worse", "same" or "alone" (nothing to compare with)
    hover: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class PlotArea:
    """An SVG chart's size and the edges of its plotting area (every console chart has one)."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float


@dataclass(frozen=True)
class PairedChart(PlotArea):
    title: str
    marks: list[Mark]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    label_degrees: int = LABEL_DEGREES

    @property
    def empty(self) -> bool:
        return not any(mark.y is not None for mark in self.marks)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``value`` (> 0)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value - 1e-12:
            return step * power
    return 10 * power  # pragma: no cover - the loop ends at 10


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def paired_chart(title: str, pairs: Sequence[Pair]) -> PairedChart:
    """Lay out ``pairs`` (versions, oldest first) on one axis from 0; margins fit the labels.

    A rotated label hangs down and to the left of its tick, so the bottom margin takes its
    height and the left margin the overhang of the first label: none is clipped by the SVG.
    """
    shown = _labelled(len(pairs))
    longest = max((len(pairs[i].label) for i in shown), default=0) * CHAR_PIXELS
    first = len(pairs[shown[0]].label) * CHAR_PIXELS if shown else 0.0
    angle = math.radians(LABEL_DEGREES)
    left = max(MIN_LEFT, math.ceil(first * math.cos(angle)) + 4)
    bottom = HEIGHT - math.ceil(longest * math.sin(angle) + LABEL_GAP + 12)
    right = WIDTH - RIGHT
    values = [v for pair in pairs for v in (pair.value, pair.baseline) if _finite(v)]
    top_value = nice_ceiling(max([*values, 0.0]))
    count = len(pairs)

    def x_of(i: int) -> float:
        if count <= 1:
            return round((left + right) / 2, 1)
        step = (right - left) / count  # each version owns a slot; its marks sit in the middle
        return round(left + step * (i + 0.5), 1)

    def y_of(value: float | None) -> float | None:
        if not _finite(value):
            return None
        return round(bottom - max(value, 0.0) / top_value * (bottom - TOP), 1)  # type: ignore[operator]

    marks = [
        Mark(
            x_of(i),
            y_of(pair.value),
            y_of(pair.baseline),
            compare(pair.value, pair.baseline),
            _hover(title, pair),
        )
        for i, pair in enumerate(pairs)
    ]
    y_ticks = [Tick(round(bottom - (bottom - TOP) * i / 4, 1), f"{top_value * i / 4:g}") for i in range(5)]
    x_ticks = [Tick(x_of(i), pairs[i].label) for i in shown]
    return PairedChart(
        width=WIDTH, height=HEIGHT, left=left, right=right, top=TOP, bottom=bottom,
        title=title, marks=marks, y_ticks=y_ticks, x_ticks=x_ticks,
    )


def _labelled(count: int) -> list[int]:
    """Which versions get a label under the axis: at most ``MAX_LABELS``, always the newest."""
    every = max(1, math.ceil(count / MAX_LABELS))
    chosen = list(range(count - 1, -1, -every))
    return sorted(chosen)


def compare(value: float | None, baseline: float | None) -> str:
    """``better``, ``worse`` or ``same`` (within 0.05%, shown as +0.0%); ``alone`` without both."""
    if not (_finite(value) and _finite(baseline)):
        return "alone"
    change = relative_change(value, baseline)  # type: ignore[arg-type]
    if change is None:  # a zero baseline
        if value == baseline:
            return "same"
        return "better" if value > baseline else "worse"  # type: ignore[operator]
    if abs(change) < SAME_WITHIN:
        return "same"
    return "better" if change > 0 else "worse"


def relative_change(value: float, baseline: float) -> float | None:
    """``value`` against ``baseline`` as a fraction (+0.05 is 5% better); None from a zero baseline."""
    if baseline == 0:
        return None
    return (value - baseline) / abs(baseline)


def _hover(title: str, pair: Pair) -> str:
    if not _finite(pair.value):
        return f"{title} of {pair.name}: not measured"
    text = f"{title} of {pair.name}: {pair.value:.4f}"
    if _finite(pair.baseline):
        change = relative_change(pair.value, pair.baseline)  # type: ignore[arg-type]
        delta = f" ({change:+.1%})" if change is not None else ""
        return f"{text}; {pair.baseline_name} on the same holdout: {pair.baseline:.4f}{delta}"
    return f"{text} (not compared with another version)"
