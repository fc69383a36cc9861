"""Liveness, readiness and metrics: what load balancers and Prometheus ask, without a key."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from webapi.http.context import serving_state
from webapi.http.metrics import exposition

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict:
    """The process is up and answering; says nothing about the database or the model."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> Response:
    """Ready when the database answers and a model is loaded; 503 (with what is missing) otherwise."""
    report = serving_state().readiness()
    status = 200 if report["ready"] else 503
    body = {"status": "ready" if report["ready"] else "not ready", **report}
    response = current_app.json.response(body)
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    """Prometheus text exposition (request counts and latency by route, versions, ingestion)."""
    return exposition()
