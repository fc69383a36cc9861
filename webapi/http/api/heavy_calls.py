"""One heavy operator call at a time per host, so a preview can never starve serving.

A rule preview reads the whole market, loads a private copy of the model and, with the offline
replay, refits it: seconds to minutes of a worker. gunicorn's sync workers serve one request
each, so two operators previewing at once on a two-worker server would leave no worker for the
marketplace's lists. The gate lets one heavy call run and answers any other at once with ``503``
and ``Retry-After`` (the caller retries; nothing queues up holding a worker).

The gate is an exclusive, non-blocking ``flock`` on a file in the instance folder, which every
worker of the host shares (a process-local lock would not see the other workers), plus a thread
lock for threaded servers. The kernel drops the ``flock`` when a worker dies mid-call, so a killed
preview never leaves the gate shut.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from flask import Flask, current_app

from webapi.http.api.problems import ProblemError

GATE_EXTENSION = "assetmatch.heavy_calls"
LOCK_FILE = "heavy-calls.lock"
#: Seconds a refused caller is asked to wait: about what a preview of a small market takes.
RETRY_AFTER_SECONDS = 10


class HeavyCallGate:
    """Admits one heavy call at a time among every process using ``lock_path``."""

    def __init__(self, lock_path: Path) -> None:
        self._lock_path = lock_path
        self._thread_lock = threading.Lock()

    @contextmanager
    def admit(self, what: str) -> Iterator[None]:
        """Run the body if no other heavy call runs on this host; ``503`` with Retry-After if one does."""
        if not self._thread_lock.acquire(blocking=False):
            raise _busy(what)
        try:
            self._lock_path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise _busy(what) from None
                yield
            finally:
                os.close(descriptor)  # closing releases the flock
        finally:
            self._thread_lock.release()


def install_heavy_call_gate(app: Flask) -> None:
    app.extensions[GATE_EXTENSION] = HeavyCallGate(Path(app.instance_path) / LOCK_FILE)


def heavy_call(what: str) -> AbstractContextManager[None]:
    """``with heavy_call("a rule preview"):`` in a view; see :class:`HeavyCallGate`."""
    gate: HeavyCallGate = current_app.extensions[GATE_EXTENSION]
    return gate.admit(what)


def _busy(what: str) -> ProblemError:
    return ProblemError(
        503,
        f"another heavy operator call is running on this server; {what} waits its turn: "
        f"try again in {RETRY_AFTER_SECONDS} s",
        "busy",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
