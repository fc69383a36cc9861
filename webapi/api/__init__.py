"""The JSON API (``/v1``), health and metrics, as blueprints on the application.

``register_api`` is one step of the application factory. Other blueprints (the operator
console) are registered beside it and share what it installs: the masking JSON provider, the
problem-details error handlers, the request metrics, the per-process serving state and the
gate that admits one heavy operator call at a time.
"""

from __future__ import annotations

from flask import Flask

from webapi.api import events, health, lists, market, models, openapi, rules
from webapi.api.auth import install_key_cache
from webapi.api.context import install_serving
from webapi.api.heavy_calls import install_heavy_call_gate
from webapi.api.json_masking import MaskingJSONProvider
from webapi.api.problems import register_problem_handlers
from webapi.metrics import register_request_metrics

BLUEPRINTS = (health.bp, openapi.bp, lists.bp, market.bp, events.bp, rules.bp, models.bp)


def register_api(app: Flask) -> None:
    """Install the API's shared machinery and its routes on ``app``."""
    app.json = MaskingJSONProvider(app)
    install_serving(app)
    install_key_cache(app, app.extensions["assetmatch.engine"])
    install_heavy_call_gate(app)
    register_problem_handlers(app)
    register_request_metrics(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
