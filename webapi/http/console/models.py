"""The models page: what every serving process serves, every trained version, and activation.

Three things an operator must be able to trust here:

- **What serves.** Each serving process reports its model and rule-set versions to the store
  (``webapi.http.process_heartbeat``); the page lists them all (``webapi.http.console.processes``),
  because after an activation the process that answers the page is only one of several, and
  the others swap within their poll interval.
- **What the numbers compare.** Each version's metrics were measured on its own training run's
  holdout, beside the version that was active then, on that same holdout. Only that pair is a
  comparison, so the table shows each version's change against the version it was compared
  with, and the charts (``webapi.http.console.chart``) draw the pairs without joining versions.
- **Activation.** It runs the service the API's ``POST /v1/models/<version>/activate`` runs
  (``webapi.services.activation.activate_and_serve``): the artifact is loaded and a matcher
  built before anything is written, so a missing or corrupt artifact is refused with the API's
  message and the active model does not change. The console has checked the signed-in operator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from data.model_registry import ACTIVE, ModelVersion, list_versions
from webapi.http.console.blueprint import bp
from webapi.http.console.chart import Pair, compare, paired_chart, relative_change
from webapi.http.console.processes import serving_processes, serving_summary
from webapi.http.context import engine, serving_state
from webapi.services.activation import ActivationRefusedError, activate_and_serve

#: Metrics shown first, in this order (the promotion gate's two come first); any others follow by name.
PREFERRED_METRICS = (
    "ndcg@10",
    "buyer_recall@50",
    "precision@10",
    "recall@10",
    "hit_rate@10",
    "buyer_recall@20",
)
#: How many metrics get a column and a chart; the rest are listed under each version.
HEADLINE_METRICS = 2
_VERSION_NAME = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})-\w+")


@dataclass(frozen=True)
class Comparison:
    """The version a training run compared its candidate with, scored on the same holdout."""

    version: str
    scores: dict[str, float]
    holdout: str | None  # "2026-06-06 → 2026-06-20"


def _numbers(source: Any) -> dict[str, float]:
    if not isinstance(source, Mapping):
        return {}
    return {
        name: float(value)
        for name, value in source.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


def version_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """A version's headline numbers: its holdout scores (``candidate``), or its flat numbers."""
    scores = metrics.get("candidate")
    return _numbers(scores if isinstance(scores, Mapping) else metrics)


def comparison_of(metrics: Mapping[str, Any]) -> Comparison | None:
    """Whom the version was compared with and their scores on its holdout (None: first version)."""
    active = metrics.get("active")
    if not isinstance(active, Mapping) or not active.get("version"):
        return None
    holdout = metrics.get("holdout")
    window = None
    if isinstance(holdout, Mapping) and holdout.get("cutoff") and holdout.get("end"):
        window = f"{str(holdout['cutoff'])[:10]} → {str(holdout['end'])[:10]}"
    return Comparison(str(active["version"]), _numbers(active.get("metrics")), window)


def metric_columns(scores: Sequence[Mapping[str, float]]) -> list[str]:
    names = {name for score in scores for name in score}
    return [m for m in PREFERRED_METRICS if m in names] + sorted(names - set(PREFERRED_METRICS))


def metric_label(name: str) -> str:
    """``ndcg@10`` → ``NDCG@10``, ``buyer_recall@50`` → ``buyer recall@50``."""
    return name.replace("ndcg", "NDCG").replace("_", " ")


def short_label(version: str) -> str:
    """A version's label under a chart: ``20261203T182604-a1b2c3`` → ``12-03 18:26:04``."""
    match = _VERSION_NAME.fullmatch(version)
    if match:
        _, month, day, hour, minute, second = match.groups()
        return f"{month}-{day} {hour}:{minute}:{second}"
    return version if len(version) <= 16 else version[:15] + "…"


@bp.get("/models")
def models_page() -> str:
    with engine().connect() as connection:
        versions = list_versions(connection)
    scores = [version_metrics(version.metrics) for version in versions]
    comparisons = [comparison_of(version.metrics) for version in versions]
    columns = metric_columns(scores)
    headline = columns[:HEADLINE_METRICS]
    active = next((version.version for version in versions if version.status == ACTIVE), None)
    oldest_first = list(zip(reversed(versions), reversed(scores), reversed(comparisons), strict=True))
    charts = [
        paired_chart(
            metric_label(metric),
            [
                Pair(
                    short_label(version.version),
                    version.version,
                    score.get(metric),
                    comparison.scores.get(metric) if comparison else None,
                    comparison.version if comparison else None,
                )
                for version, score, comparison in oldest_first
            ],
        )
        for metric in headline
    ]
    serving = serving_processes(lambda process: process["model_version"] == active)
    return render_template(
        "console/models.html",
        rows=[
            _row(version, score, comparison, headline, columns)
            for version, score, comparison in zip(versions, scores, comparisons, strict=True)
        ],
        headline=headline,
        labels={m: metric_label(m) for m in columns},
        charts=[chart for chart in charts if not chart.empty],
        processes=serving,
        summary=(
            serving_summary(serving, f"the active model {active}")
            if active
            else "No model version is active yet: run assetmatch train."
        ),
        active_version=active,
        this_process_version=next((p["model_version"] for p in serving if p["this"]), None),
    )


def _row(
    version: ModelVersion,
    score: Mapping[str, float],
    comparison: Comparison | None,
    headline: Sequence[str],
    columns: Sequence[str],
) -> dict[str, Any]:
    cells = []
    for metric in headline:
        value = score.get(metric)
        baseline = comparison.scores.get(metric) if comparison else None
        change = relative_change(value, baseline) if value is not None and baseline is not None else None
        cells.append({"value": value, "change": change, "verdict": compare(value, baseline)})
    return {
        "version": version.version,
        "status": version.status,
        "created_at": version.created_at,
        "trained_until": version.trained_until,
        "cells": cells,
        "comparison": comparison,
        "all_scores": [(metric_label(m), score[m]) for m in columns if m in score],
        "note": version.note,
    }


@bp.post("/models/<version>/activate")
def activate(version: str) -> Response:
    """Make ``version`` the active model, or say why not; back to the models page either way."""
    try:
        activate_and_serve(serving_state(), version)
    except ActivationRefusedError as error:
        flash(f"Model {version} was not activated: {error.detail}", "error")
    else:
        flash(
            f"Model {version} is active and this process serves it; the other serving processes swap "
            "to it within their poll interval (see Serving processes).",
            "success",
        )
    return redirect(url_for("console.models_page"), 303)
