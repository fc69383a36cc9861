"""The JSON API (``/v1``), health and metrics, as blueprints on the application.

``register_api`` is one step of the application factory. Other blueprints (the operator
console) are registered beside it and share what it installs: the masking JSON provider, the
problem-details error handlers, the request metrics, the per-process serving state and the
gate that admits one heavy operator call at a time.
"""

from __future__ import annotations

from flask import Flask

from webapi.http.api import events, health, lists, market, models, openapi, rules
from webapi.http.api.auth import install_key_cache
from webapi.http.api.heavy_calls import install_heavy_call_gate
from webapi.http.api.json_masking import MaskingJSONProvider
from webapi.http.api.problems import register_problem_handlers
from webapi.http.context import ENGINE_EXTENSION, install_serving
from webapi.http.metrics import register_request_metrics

BLUEPRINTS = (health.bp, openapi.bp, lists.bp, market.bp, events.bp, rules.bp, models.bp)


def register_api(app: Flask) -> None:
    """Install the API's shared machinery and its routes on ``app``."""
    app.json = MaskingJSONProvider(app)
    install_serving(app)
    install_key_cache(app, app.extensions[ENGINE_EXTENSION])
    install_heavy_call_gate(app)
    register_problem_handlers(app)
    register_request_metrics(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
