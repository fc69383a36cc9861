"""``assetmatch train --every``: intervals and the loop that survives a failed run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from webapi.services.schedule import InvalidIntervalError, parse_interval, run_every


@pytest.mark.parametrize(
    ("text", "interval"),
    [("30m", timedelta(minutes=30)), ("6h", timedelta(hours=6)), ("1d", timedelta(days=1)),
     (" 90s ", timedelta(seconds=90)), ("1.5h", timedelta(minutes=90))],
)
def test_intervals(text: str, interval: timedelta) -> None:
    assert parse_interval(text) == interval


@pytest.mark.parametrize("text", ["", "6", "h", "6 hours", "-1h", "0m", "1w"])
def test_bad_intervals_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(InvalidIntervalError, match="30m, 6h or 1d"):
        parse_interval(text)


def test_the_loop_sleeps_between_runs_and_outlives_a_failed_run() -> None:
    calls: list[str] = []
    failures: list[str] = []

    def job() -> None:
        calls.append("run")
        if calls.count("run") == 2:
            raise RuntimeError("database restarting")

    run_every(timedelta(hours=6), job, lambda error: failures.append(str(error)),
              sleep=lambda seconds: calls.append(f"sleep {seconds:g}"), runs=3)
    assert calls == ["run", "sleep 21600", "run", "sleep 21600", "run"]
    assert failures == ["database restarting"]
