"""Prometheus metrics: requests and latency by route and status, the served versions, ingestion.

Metrics live in ``prometheus_client``'s default registry, one set per process. Under gunicorn
with several workers, ``webapi/gunicorn_conf.py`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh
directory before any worker starts; every worker then writes its values there and ``/metrics``
(whichever worker answers) adds them up, so a scrape sees the whole server, not one worker.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
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
EVENTS = Counter(
    "assetmatch_events_ingested_total",
    "Events posted to the API: accepted (stored) or duplicate (already stored).",
    ["outcome"],
)
ACTIVE_MODEL = Gauge(
    "assetmatch_active_model_info",
    "1 for the model version this process serves (one series per worker).",
    ["version"],
    multiprocess_mode="liveall",
)
RULE_VERSION = Gauge(
    "assetmatch_active_rule_version",
    "The rule-set version this process serves.",
    multiprocess_mode="livemax",
)
MODEL_FALLBACK = Gauge(
    "assetmatch_model_fallback",
    "1 while a process serves an older version because the active version's artifact is invalid.",
    multiprocess_mode="livemax",
)
SKIPPED_ROWS = Gauge(
    "assetmatch_store_rows_skipped",
    "Stored rows this process's snapshot left out because they break the data contract, by table.",
    ["table"],
    multiprocess_mode="livemax",
)
MODEL_SWAPS = Counter(
    "assetmatch_model_swaps_total",
    "Model hot swaps attempted by serving processes, by outcome.",
    ["outcome"],
)
EMPTY_LISTS = Counter(
    "assetmatch_empty_lists_total",
    "Recommendation lists served empty although live listings were otherwise eligible, "
    "by the rule that emptied them (cross_border: eligibility.cross_border_only).",
    ["rule"],
)

_served_versions: set[str] = set()


def serving_model(version: str) -> None:
    """Record which model version this process now serves."""
    for old in _served_versions - {version}:
        ACTIVE_MODEL.labels(version=old).set(0)
    ACTIVE_MODEL.labels(version=version).set(1)
    _served_versions.add(version)


def serving_fallback(active: bool) -> None:
    """Record whether this process serves a fallback version (the active one's artifact is invalid)."""
    MODEL_FALLBACK.set(1 if active else 0)


def serving_rules(version: int) -> None:
    RULE_VERSION.set(version)


def events_ingested(accepted: int, duplicates: int) -> None:
    if accepted:
        EVENTS.labels(outcome="accepted").inc(accepted)
    if duplicates:
        EVENTS.labels(outcome="duplicate").inc(duplicates)


def empty_list(rule: str) -> None:
    """Count a list that one rule left empty (an investor silently shown nothing)."""
    EMPTY_LISTS.labels(rule=rule).inc()


def skipped_rows(skipped: Mapping[str, int]) -> None:
    """How many stored rows the serving snapshot left out, per table (0 when none)."""
    for table in ("investors", "packages", "events"):
        SKIPPED_ROWS.labels(table).set(skipped.get(table, 0))


def model_swap(outcome: str) -> None:
    MODEL_SWAPS.labels(outcome=outcome).inc()


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
