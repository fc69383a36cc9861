"""Each serving process reports what it serves; the reports are current, cheap, and never fail a request."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, text

from data.serving_processes import FORGET_AFTER, ServingProcess, list_processes, report_process
from webapi.http.process_heartbeat import ProcessHeartbeat, silent


@dataclass
class FakeState:
    """What the heartbeat reads of a ``ServingState``: the snapshot and the last load problem."""

    snapshot: object | None = None
    load_problem: str | None = None

    def serve(self, model: str, rules: int) -> None:
        self.snapshot = SimpleNamespace(model_version=SimpleNamespace(version=model), rule_version=rules)


def _rows(engine: Engine) -> list[ServingProcess]:
    with engine.connect() as connection:
        return list_processes(connection)


def test_a_process_reports_when_what_it_serves_changes(engine: Engine) -> None:
    state = FakeState()
    heartbeat = ProcessHeartbeat(engine, state, seconds=60)  # type: ignore[arg-type]
    heartbeat.beat()
    (row,) = _rows(engine)
    assert (row.process_id, row.model_version, row.rule_version) == (heartbeat.process_id, None, None)
    heartbeat.beat()  # nothing changed, no heartbeat due: no write
    assert _rows(engine)[0].seen_at == row.seen_at
    state.serve("B", 3)
    heartbeat.beat()
    assert [(r.model_version, r.rule_version) for r in _rows(engine)] == [("B", 3)]
    state.load_problem = "model C could not be loaded: the artifact is missing"
    heartbeat.beat()
    assert _rows(engine)[0].problem == state.load_problem
    heartbeat.stop()
    assert _rows(engine) == []


def test_the_background_thread_keeps_the_report_fresh_and_stop_removes_it(engine: Engine) -> None:
    state = FakeState()
    state.serve("A", 0)
    heartbeat = ProcessHeartbeat(engine, state, seconds=0.05)  # type: ignore[arg-type]
    heartbeat.start()
    try:
        deadline = time.monotonic() + 10
        while not _rows(engine) and time.monotonic() < deadline:
            time.sleep(0.02)
        first = _rows(engine)[0].seen_at
        while _rows(engine)[0].seen_at == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _rows(engine)[0].seen_at > first
    finally:
        heartbeat.stop()
    assert _rows(engine) == []


def test_a_failed_report_is_logged_once_and_not_retried_on_every_request(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    state = FakeState()
    heartbeat = ProcessHeartbeat(engine, state, seconds=60)  # type: ignore[arg-type]
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE serving_processes"))
    attempts = 0
    real_begin = engine.begin

    def counting_begin():  # type: ignore[no-untyped-def]
        nonlocal attempts
        attempts += 1
        return real_begin()

    engine.begin = counting_begin  # type: ignore[method-assign]
    for model in ("A", "B", "C"):
        state.serve(model, 0)
        heartbeat.beat()  # must not raise
    assert attempts == 1
    assert sum("could not report" in record.message for record in caplog.records) == 1


def test_rows_of_processes_silent_for_a_day_are_forgotten(engine: Engine) -> None:
    now = datetime(2026, 12, 3, 12)
    with engine.begin() as connection:
        long_ago = now - FORGET_AFTER - timedelta(days=1)
        report_process(connection, ServingProcess("old", "h", 1, now, long_ago, "A", 0))
        report_process(connection, ServingProcess("new", "h", 2, now, now, "B", 0))
    assert [row.process_id for row in _rows(engine)] == ["new"]
    assert silent(now - timedelta(seconds=31), now, 10) and not silent(now - timedelta(seconds=29), now, 10)
    assert not silent(now - timedelta(days=1), now, 0)  # no heartbeat configured: never called silent
