"""Run a job again and again: ``assetmatch train --every 6h``.

A loop in the process is the simplest scheduler to deploy beside the service; cron and
systemd timers (docs/operations.md) do the same from outside. A failed run is reported and the
loop goes on, so one bad night (the database restarting) does not stop retraining for good.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


class InvalidIntervalError(ValueError):
    """An interval that is not a positive number followed by s, m, h or d."""

    def __init__(self, text: str) -> None:
        super().__init__(f"invalid interval {text!r}: expected a number and a unit, e.g. 30m, 6h or 1d")


def parse_interval(text: str) -> timedelta:
    """``30m`` → 30 minutes, ``6h`` → 6 hours, ``1d`` → 1 day (``s`` for seconds)."""
    match = INTERVAL.match(text)
    if not match:
        raise InvalidIntervalError(text)
    interval = timedelta(**{UNITS[match.group(2)]: float(match.group(1))})
    if interval <= timedelta(0):
        raise InvalidIntervalError(text)
    return interval


def run_every(
    interval: timedelta,
    job: Callable[[], None],
    report_failure: Callable[[BaseException], None],
    sleep: Callable[[float], None] = time.sleep,
    runs: int | None = None,
) -> None:
    """Run ``job``, sleep ``interval``, repeat (``runs`` times, or until interrupted)."""
    done = 0
    while runs is None or done < runs:
        try:
            job()
        except Exception as error:  # noqa: BLE001 - the loop must outlive one failed run
            report_failure(error)
        done += 1
        if runs is None or done < runs:
            sleep(interval.total_seconds())
