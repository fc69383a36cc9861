"""Each serving process reports what it serves to the store (``data.serving_processes``).

The console's models page lists every process's model and rule-set versions, not just those of
the process that answered the page: after an activation the others swap within their poll
interval, and an operator should see that happen (or see a process that could not load the
model) rather than be told one thing by the banner and another by the page.

A process reports when what it serves changes (checked after each request, and every second by
a background thread) and at least every ``HEARTBEAT_SECONDS`` (default 10), so a silent row
means a process that is gone. The thread runs in the production entry points (``webapi.wsgi``,
``assetmatch serve``); an app that only handles test requests reports on change alone.
A failed report is logged and never fails a request.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from datetime import datetime

from flask import Flask
from sqlalchemy import Engine
from werkzeug.wrappers import Response

from data.serving_processes import ServingProcess, forget_process, report_process
from webapi.services.model_store import utc_now
from webapi.services.serving import ServingState

logger = logging.getLogger(__name__)

HEARTBEAT_EXTENSION = "assetmatch.heartbeat"
DEFAULT_HEARTBEAT_SECONDS = 10.0
#: After a failed report, the next is tried no sooner than this.
RETRY_SECONDS = 5.0
#: A process not heard from for this many heartbeats is shown as silent.
SILENT_AFTER_BEATS = 3

Served = tuple[str | None, int | None, str | None]


def new_process_id() -> str:
    """Host, pid and a random tag: unique even when a pid is reused or one process holds two apps."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"[:64]


class ProcessHeartbeat:
    """Reports one process's served versions; thread-safe."""

    def __init__(self, engine: Engine, state: ServingState, seconds: float) -> None:
        self.process_id = new_process_id()
        self.seconds = seconds
        self._engine = engine
        self._state = state
        self._started_at = utc_now()
        self._reported: Served | None = None
        self._reported_at = 0.0
        self._failing = False
        self._retry_at = 0.0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def served(self) -> Served:
        """(model version, rule-set version, load problem) of this process right now."""
        snapshot = self._state.snapshot
        if snapshot is None:
            return None, None, self._state.load_problem
        return snapshot.model_version.version, snapshot.rule_version, self._state.load_problem

    @property
    def running(self) -> bool:
        """Whether the background thread reports (then a request reports only changes)."""
        return self._thread is not None and self._thread.is_alive()

    def beat(self, force: bool = False, changes_only: bool = False) -> None:
        """Report if what is served changed, a heartbeat is due, or ``force``; never raises."""
        if changes_only and self.served() == self._reported:
            return  # the common case after a request: no lock, no write
        with self._lock:
            served = self.served()
            now = time.monotonic()
            due = self.seconds > 0 and now - self._reported_at >= self.seconds
            if not force and ((not due and served == self._reported) or now < self._retry_at):
                return
            model_version, rule_version, problem = served
            process = ServingProcess(
                process_id=self.process_id,
                host=socket.gethostname()[:255],
                pid=os.getpid(),
                started_at=self._started_at,
                seen_at=utc_now(),
                model_version=model_version,
                rule_version=rule_version,
                problem=problem,
            )
            try:
                with self._engine.begin() as connection:
                    report_process(connection, process)
            except Exception:  # noqa: BLE001 - a report is best effort; serving goes on
                if not self._failing:
                    logger.warning("could not report this process's served versions", exc_info=True)
                self._failing = True
                self._retry_at = now + RETRY_SECONDS  # a store that is down is not asked on every request
                return
            self._failing = False
            self._reported, self._reported_at = served, time.monotonic()

    def start(self) -> None:
        """Report in a background thread from now on (once per process; no-op without an interval)."""
        if self.seconds <= 0 or (self._thread is not None and self._thread.is_alive()):
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="serving-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.beat(force=True)
        while not self._stop.wait(min(1.0, self.seconds)):
            self.beat()

    def stop(self) -> None:
        """Stop reporting and remove this process's row (a clean shutdown)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        try:
            with self._engine.begin() as connection:
                forget_process(connection, self.process_id)
        except Exception:  # noqa: BLE001 - the row goes away after FORGET_AFTER anyway
            logger.warning("could not remove this process's row from serving_processes", exc_info=True)


def install_heartbeat(app: Flask, engine: Engine, state: ServingState) -> ProcessHeartbeat:
    """Create the process's heartbeat; a request after which the served versions changed reports them."""
    heartbeat = ProcessHeartbeat(
        engine, state, float(app.config.get("HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS))
    )
    app.extensions[HEARTBEAT_EXTENSION] = heartbeat

    def report_changes(response: Response) -> Response:
        heartbeat.beat(changes_only=heartbeat.running)
        return response

    app.after_request(report_changes)
    return heartbeat


def start_heartbeat(app: Flask) -> None:
    """Start the background reports of ``app``'s process (the production entry points call this)."""
    app.extensions[HEARTBEAT_EXTENSION].start()


def heartbeat_of(app: Flask) -> ProcessHeartbeat:
    return app.extensions[HEARTBEAT_EXTENSION]


def silent(seen_at: datetime, now: datetime, seconds: float) -> bool:
    """Whether a process last heard from at ``seen_at`` has missed several heartbeats."""
    return seconds > 0 and (now - seen_at).total_seconds() > SILENT_AFTER_BEATS * seconds
