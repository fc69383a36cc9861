"""The exposure page's chart: how many live listings reach how many investors, as inline SVG bars.

Like the models page's chart (``webapi.http.console.chart``), this module does the arithmetic and the
template writes plain SVG elements: no JavaScript, no build step. One bar per reach bucket
(investors with the listing in their top ``floor_top_k``); the buckets below the floor are
single counts (0, 1, 2 for a floor of 3) and drawn in the warning colour, so the page shows at
a glance how many listings are short and by how much.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from webapi.http.console.chart import PlotArea, Tick, nice_ceiling

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 40
BELOW_COLOUR, MET_COLOUR = "#d1242f", "#1a7f37"
GAP = 0.2  # share of a bar's slot left empty


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the bucket, under the bar
    count: int
    colour: str
    below: bool  # the bucket is below the floor
    title: str  # what hovering the bar says


@dataclass(frozen=True)
class BarChart(PlotArea):
    bars: list[Bar]
    y_ticks: list[Tick]

    @property
    def empty(self) -> bool:
        return not any(bar.count for bar in self.bars)


def reach_buckets(floor: int) -> list[tuple[int, int | None]]:
    """``(low, high)`` reach ranges (``high`` inclusive, None = open): each count below the floor alone."""
    buckets: list[tuple[int, int | None]] = [(n, n) for n in range(max(floor, 0))]
    start = max(floor, 0)
    for factor in (2, 5, 10):
        end = max(start, max(floor, 1) * factor - 1)
        buckets.append((start, end))
        start = end + 1
    buckets.append((start, None))
    return buckets


def _label(low: int, high: int | None) -> str:
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}–{high}"


def reach_chart(in_top: Sequence[int], floor: int, floor_top_k: int) -> BarChart:
    """Bars of live listings by how many investors have them in their top ``floor_top_k``."""
    buckets = reach_buckets(floor)
    counts = [
        sum(1 for reach in in_top if reach >= low and (high is None or reach <= high))
        for low, high in buckets
    ]
    top_value = nice_ceiling(max([*counts, 1]))
    plot_left, plot_right, plot_top, plot_bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    slot = (plot_right - plot_left) / len(buckets)
    bars = []
    for n, ((low, high), count) in enumerate(zip(buckets, counts, strict=True)):
        height = count / top_value * (plot_bottom - plot_top)
        below = high is not None and high < floor
        label = _label(low, high)
        listings = "listing" if count == 1 else "listings"
        bars.append(
            Bar(
                x=round(plot_left + n * slot + slot * GAP / 2, 1),
                y=round(plot_bottom - height, 1),
                width=round(slot * (1 - GAP), 1),
                height=round(height, 1),
                label=label,
                count=count,
                colour=BELOW_COLOUR if below else MET_COLOUR,
                below=below,
                title=f"{count} {listings} in {label} investors' top {floor_top_k}"
                + (" (below the floor)" if below else ""),
            )
        )
    ticks = [
        Tick(round(plot_bottom - i / 4 * (plot_bottom - plot_top), 1), f"{top_value * i / 4:g}")
        for i in range(5)
    ]
    return BarChart(
        width=WIDTH, height=HEIGHT, left=plot_left, right=plot_right, top=plot_top, bottom=plot_bottom,
        bars=bars, y_ticks=ticks,
    )
