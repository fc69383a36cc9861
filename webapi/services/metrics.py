"""Prometheus metrics of serving and ingestion: served model and rule versions, swaps, skipped rows.

Flask-free, so the serving state (``webapi.services.serving``) records what it serves without
knowing about HTTP. The metrics live in ``prometheus_client``'s default registry, one set per
process; ``webapi.http.metrics`` exposes them (with the request metrics) on ``/metrics``.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Gauge

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
