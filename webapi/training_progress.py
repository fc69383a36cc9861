"""How a training run shows its progress: a line per stage always, tqdm bars on a terminal.

Scheduled runs write to logs (cron mail, the systemd journal) where carriage-return bars are
noise, so every stage start and end is a plain stderr line with the elapsed time; a terminal
also gets a bar for stages with steps (LightFM epochs, ALS iterations). Stages of the holdout
fits and the final fit run in two threads, so updates are serialised with a lock.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

from recommender.progress import Advance


class StageLines:
    """A ``recommender.progress.Progress`` that writes stage lines (and bars) to stderr."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self.started = time.perf_counter()
        self.lock = threading.Lock()

    @contextmanager
    def stage(self, name: str, total: int = 0) -> Iterator[Advance]:
        began = time.perf_counter()
        steps = f" ({total} steps)" if total else ""
        self._line(f"{name}{steps} ...")
        bar = None
        if total:
            bar = tqdm(total=total, desc=name, unit="step", disable=None, file=sys.stderr, leave=False)

        def advance(steps: int) -> None:
            if bar is not None:
                with self.lock:
                    bar.update(steps)

        try:
            yield advance
        finally:
            if bar is not None:
                with self.lock:
                    bar.close()
            self._line(f"{name} done in {time.perf_counter() - began:.1f} s")

    def _line(self, text: str) -> None:
        with self.lock:
            self.write(f"[{time.perf_counter() - self.started:7.1f} s] {text}")
