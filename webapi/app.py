"""The application factory: configuration, the store engine, and (later) routes.

``webapi`` is the composition root: it is the only layer that knows about Flask and wires the
store, the model and the rules together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine

from data.masking import install_log_masking
from data.store import create_store_engine, resolve_database_url

ENGINE_EXTENSION = "assetmatch.engine"


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
    from webapi.api import register_api  # the API imports store_engine from this module

    register_api(app)


def _register_console(app: Flask) -> None:
    """The operators' pages under ``/console``, over the serving state the API installed."""
    from webapi.console import register_console

    register_console(app)


def _register_heartbeat(app: Flask) -> None:
    """Each process reports what it serves, for the console's list of serving processes."""
    from webapi.api.context import SERVING_EXTENSION
    from webapi.process_heartbeat import install_heartbeat

    install_heartbeat(app, app.extensions[ENGINE_EXTENSION], app.extensions[SERVING_EXTENSION])


def _register_security_headers(app: Flask) -> None:
    """nosniff, no referrer and no framing on every response (``webapi.security_headers``)."""
    from webapi.security_headers import register_security_headers

    register_security_headers(app)


def store_engine() -> Engine:
    """The store engine of the current app."""
    return current_app.extensions[ENGINE_EXTENSION]
