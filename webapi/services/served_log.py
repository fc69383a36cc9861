"""Writing served lists without slowing the response: buffered, flushed in batches.

A recommendation response must not wait for its own audit row. Each served list goes into an
in-memory buffer; a background thread inserts everything buffered in one statement every
``flush_seconds`` (0.2 s by default), and the rest is flushed when the process exits. The cost
on the request path is an append to a list. What can be lost is what a killed process had not
flushed yet (at most ``flush_seconds`` of lists): served lists attribute feedback, they are not
the feedback itself, which is only acknowledged once committed. With ``flush_seconds=0`` every
list is written before the response (tests, and deployments that want no window at all).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

from sqlalchemy import Engine

from data.served_lists import ServedList, insert_served_lists

logger = logging.getLogger(__name__)

DEFAULT_FLUSH_SECONDS = 0.2
#: Beyond this many unflushed lists (the database is down), the oldest are dropped, with a log line.
MAX_BUFFERED = 50_000


class ServedListWriter:
    """Buffers served lists and inserts them in batches from one background thread per process."""

    def __init__(self, engine: Engine, flush_seconds: float = DEFAULT_FLUSH_SECONDS) -> None:
        self._engine = engine
        self._flush_seconds = flush_seconds
        self._buffer: list[ServedList] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        if flush_seconds > 0:
            atexit.register(self.flush)

    def record(self, served: ServedList) -> None:
        """Keep one served list; it is stored within ``flush_seconds``."""
        if self._flush_seconds <= 0:
            with self._engine.begin() as connection:
                insert_served_lists(connection, [served])
            return
        with self._lock:
            self._buffer.append(served)
            if len(self._buffer) > MAX_BUFFERED:
                dropped = len(self._buffer) - MAX_BUFFERED
                del self._buffer[:dropped]
                logger.error("served-list buffer full: dropped the %d oldest unflushed lists", dropped)
        self._ensure_thread()

    def flush(self) -> int:
        """Insert everything buffered now; returns how many lists were written."""
        with self._lock:
            batch, self._buffer = self._buffer, []
        if not batch:
            return 0
        try:
            with self._engine.begin() as connection:
                insert_served_lists(connection, batch)
        except Exception:  # noqa: BLE001 - keep the lists for the next attempt, never fail a request
            logger.exception("could not store %d served lists; will retry", len(batch))
            with self._lock:
                self._buffer[:0] = batch
            return 0
        return len(batch)

    def _ensure_thread(self) -> None:
        # A forked worker inherits the parent's object but not its thread: start one per process.
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="served-list-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._flush_seconds)
            self._wake.clear()
            self.flush()
