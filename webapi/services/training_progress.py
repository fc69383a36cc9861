"""How a training run shows its progress: a line per stage always, tqdm bars on a terminal.

Scheduled runs write to logs (cron mail, the systemd journal) where carriage-return bars are
noise, so every stage is a plain stderr line with the elapsed time; a terminal also gets a bar
for stages with steps (LightFM epochs, ALS iterations).

The holdout fit and the final fit run at the same time in two threads, so their stages arrive
mixed. A start line and an end line per stage would then pair up across the two fits ("final
model: LightFM ..." followed by "holdout candidate: LightFM done") and be hard to follow. So a
fit's stages (named ``fit: stage`` by ``recommender.progress.PrefixedProgress``) are told once
the fit starts and then once per finished stage, each line self-contained and the fit's name in
a column of its own; stages outside the fits (loading, saving) keep a start and an end line.
Each running fit's bar has its own terminal row, and lines are written around the bars.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

from recommender.progress import Advance

FIT_COLUMN = 18  # "holdout candidate" and "final model" line up


class StageLines:
    """A ``recommender.progress.Progress`` that writes stage lines (and bars) to stderr."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self.started = time.perf_counter()
        self.lock = threading.Lock()
        self.fits_seen: set[str] = set()
        self.bar_rows: dict[str, int] = {}

    @contextmanager
    def stage(self, name: str, total: int = 0) -> Iterator[Advance]:
        began = time.perf_counter()
        fit, _, step = name.rpartition(": ") if ": " in name else ("", "", name)
        steps = f" ({total} steps)" if total else ""
        if not fit:
            self._line(f"{name}{steps} ...")
        elif self._first_stage_of(fit):
            self._line(f"{fit:{FIT_COLUMN}s} started")
        bar = self._bar(fit, name, total)

        def advance(count: int) -> None:
            if bar is not None:
                with self.lock:
                    bar.update(count)

        try:
            yield advance
        finally:
            if bar is not None:
                with self.lock:
                    bar.close()
                    self.bar_rows.pop(fit, None)
            took = time.perf_counter() - began
            if fit:
                self._line(f"{fit:{FIT_COLUMN}s} {step}{steps} done in {took:.1f} s")
            else:
                self._line(f"{name} done in {took:.1f} s")

    def _first_stage_of(self, fit: str) -> bool:
        with self.lock:
            first = fit not in self.fits_seen
            self.fits_seen.add(fit)
            return first

    def _bar(self, fit: str, name: str, total: int) -> tqdm | None:
        if not total:
            return None
        with self.lock:
            row = next(i for i in range(len(self.bar_rows) + 1) if i not in self.bar_rows.values())
            self.bar_rows[fit] = row
            return tqdm(
                total=total, desc=name, unit="step", disable=None, file=sys.stderr, leave=False, position=row
            )

    def _line(self, text: str) -> None:
        with self.lock, tqdm.external_write_mode(file=sys.stderr):
            self.write(f"[{time.perf_counter() - self.started:7.1f} s] {text}")
