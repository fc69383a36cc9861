"""Prometheus metrics of HTTP: requests and latency by route and status, and the ``/metrics`` exposition.

The serving and ingestion metrics are in ``webapi.services.metrics``. Metrics live in
``prometheus_client``'s default registry, one set per process. Under gunicorn with several
workers, ``webapi/gunicorn_conf.py`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory
before any worker starts; every worker then writes its values there and ``/metrics``
(whichever worker answers) adds them up, so a scrape sees the whole server, not one worker.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

REQUESTS = Counter(
    "assetmatch_http_requests_total",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "assetmatch_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and status.",
    ["route", "status"],
    buckets=LATENCY_BUCKETS,
)


def register_request_metrics(app: Flask) -> None:
    """Time every request and count it under its route template (never the raw path)."""

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
            status = str(response.status_code)
            REQUESTS.labels(route=route, method=request.method, status=status).inc()
            LATENCY.labels(route=route, status=status).observe(time.perf_counter() - started)
        return response


def exposition() -> Response:
    """The Prometheus text format: this process's metrics, or every worker's in multiprocess mode."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        payload = generate_latest(registry)
    else:
        payload = generate_latest(REGISTRY)
    return Response(
        payload, mimetype=CONTENT_TYPE_LATEST.split(";")[0], headers={"Content-Type": CONTENT_TYPE_LATEST}
    )
