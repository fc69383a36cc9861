"""The per-process objects the app factory installs and the views share, kept in ``app.extensions``.

The factory (``webapi.http.app``) and every view import their context from here, never from each
other, so the web layer has no import cycle.

Configuration (each also read from an ``ASSETMATCH_<NAME>`` environment variable):

``NOW``
    Pin the market clock to an ISO timestamp (replays, demos, tests); naive means UTC.
    Default: the real clock.
``POLL_SECONDS``
    How often a process looks for a new model, rule set, upserts and events (default 0.5).
``BACKGROUND_SWAPS``
    Load a newly activated model in a background thread (default true); false loads it on the
    request that notices, which is simpler to reason about in tests.
``SERVED_LISTS_FLUSH_SECONDS``
    How often buffered served lists are written (default 0.2; 0 writes each before responding).
``API_KEY_CACHE_SECONDS``
    How long a verified key is trusted before it is read again (default 5).
``MAX_EVENTS_PER_REQUEST``
    The largest event batch (default 1000); ``MAX_CONTENT_LENGTH`` bounds any body (default 1 MiB).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine

from webapi.services.model_store import cache_dir_of, utc_now
from webapi.services.served_log import DEFAULT_FLUSH_SECONDS, ServedListWriter
from webapi.services.serving import DEFAULT_POLL_SECONDS, Clock, ServingState

logger = logging.getLogger(__name__)

ENGINE_EXTENSION = "assetmatch.engine"
SERVING_EXTENSION = "assetmatch.serving"
SERVED_LISTS_EXTENSION = "assetmatch.served_lists"
DEFAULT_MAX_CONTENT_LENGTH = 1 << 20
DEFAULT_MAX_EVENTS = 1000


def install_serving(app: Flask) -> None:
    """Create the serving state and the served-list writer (nothing is loaded until first use)."""
    config = app.config
    if config.get("MAX_CONTENT_LENGTH") is None:
        config["MAX_CONTENT_LENGTH"] = DEFAULT_MAX_CONTENT_LENGTH
    config.setdefault("MAX_EVENTS_PER_REQUEST", DEFAULT_MAX_EVENTS)
    engine = app.extensions[ENGINE_EXTENSION]
    app.extensions[SERVING_EXTENSION] = ServingState(
        engine,
        market_clock(config.get("NOW")),
        poll_seconds=float(config.get("POLL_SECONDS", DEFAULT_POLL_SECONDS)),
        background_swaps=_flag(config.get("BACKGROUND_SWAPS", True)),
        artifact_cache=cache_dir_of(Path(app.instance_path) / "models"),
    )
    app.extensions[SERVED_LISTS_EXTENSION] = ServedListWriter(
        engine, float(config.get("SERVED_LISTS_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS))
    )


def market_clock(pinned: Any) -> Clock:
    """The real clock (naive UTC), or a pinned instant."""
    if pinned in (None, ""):
        return utc_now
    instant = pinned if isinstance(pinned, datetime) else datetime.fromisoformat(str(pinned))
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC).replace(tzinfo=None)
    return lambda: instant


def fold_in_now(what: str) -> None:
    """Let this process serve a write it just committed; the write is stored, so a failure is only logged.

    Called after an upsert, events or a rule change, so the writer's next request already sees
    it; the next poll retries whatever this could not fold in.
    """
    try:
        serving_state().refresh(force=True)
    except Exception:  # noqa: BLE001 - the response must still say the write is stored
        logger.exception("%s stored, but folding it into the matcher failed; the next poll retries", what)


def serving_state() -> ServingState:
    return current_app.extensions[SERVING_EXTENSION]


def served_lists() -> ServedListWriter:
    return current_app.extensions[SERVED_LISTS_EXTENSION]


def store_engine() -> Engine:
    """The store engine of the current app."""
    return current_app.extensions[ENGINE_EXTENSION]


def engine() -> Engine:
    """The store engine (the short name the views use)."""
    return store_engine()


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)
