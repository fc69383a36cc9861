"""The application factory: configuration, the store engine, the API, the console and their hooks.

``webapi.http`` is the only part of the composition root that knows about Flask; it wires the
store and the Flask-free services (``webapi.services``) into routes. Nothing here is imported back
by a view: views take the engine and the serving state from ``webapi.http.context``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from data.masking import install_log_masking
from data.store import create_store_engine, resolve_database_url
from webapi.http.api import register_api
from webapi.http.console import register_console
from webapi.http.context import ENGINE_EXTENSION, SERVING_EXTENSION
from webapi.http.process_heartbeat import install_heartbeat
from webapi.http.security_headers import register_security_headers

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``ASSETMATCH_*`` environment variables, then ``config``.

    The instance folder (SQLite file, model artifacts) is ``instance/`` beside the code unless
    ``ASSETMATCH_INSTANCE_PATH`` or ``config["INSTANCE_PATH"]`` (an absolute path) says otherwise.
    """
    instance_path = os.environ.get("ASSETMATCH_INSTANCE_PATH") or (config or {}).get("INSTANCE_PATH")
    app = Flask("webapi", instance_relative_config=True, instance_path=instance_path)
    _load_config(app, config)
    _register_store(app)
    _register_log_masking(app)
    _register_api(app)
    _register_console(app)
    _register_heartbeat(app)
    _register_security_headers(app)
    return app


def _load_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    app.config.from_mapping(DATABASE_URL=None)
    app.config.from_prefixed_env("ASSETMATCH")
    if overrides:
        app.config.from_mapping(overrides)
    app.config["DATABASE_URL"] = resolve_database_url(Path(app.instance_path), app.config["DATABASE_URL"])


def _register_store(app: Flask) -> None:
    app.extensions[ENGINE_EXTENSION] = create_store_engine(app.config["DATABASE_URL"])


def _register_log_masking(app: Flask) -> None:
    """Debtors' personal data must never reach a log line, whatever logs it."""
    install_log_masking()


def _register_api(app: Flask) -> None:
    """The JSON API, health and metrics routes, and the per-process serving state they share."""
    register_api(app)


def _register_console(app: Flask) -> None:
    """The operators' pages under ``/console``, over the serving state the API installed."""
    register_console(app)


def _register_heartbeat(app: Flask) -> None:
    """Each process reports what it serves, for the console's list of serving processes."""
    install_heartbeat(app, app.extensions[ENGINE_EXTENSION], app.extensions[SERVING_EXTENSION])


def _register_security_headers(app: Flask) -> None:
    """nosniff, no referrer and no framing on every response (``webapi.http.security_headers``)."""
    register_security_headers(app)
