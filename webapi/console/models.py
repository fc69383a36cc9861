"""The models page: every trained version with its status and holdout metrics, a chart, and activation.

Activation runs the API's own code (``POST /v1/models/<version>/activate``): the artifact is
loaded and a matcher built before anything is written, so a missing or corrupt artifact is
refused with the API's message and the active model does not change. Only the API's key check
is left out: the console has already checked the signed-in operator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from data.model_registry import ModelVersion, list_versions
from webapi.api import models as api_models
from webapi.api.context import engine, serving_state
from webapi.api.problems import ProblemError
from webapi.console.blueprint import bp
from webapi.console.chart import line_chart

#: Metrics shown first, in this order (the promotion gate's two come first); any others follow by name.
PREFERRED_METRICS = (
    "ndcg@10",
    "buyer_recall@50",
    "precision@10",
    "recall@10",
    "hit_rate@10",
    "buyer_recall@20",
)
CHART_LINES = 8


def version_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """A version's headline numbers: its holdout scores (``candidate``), or its flat numbers."""
    scores = metrics.get("candidate")
    source = scores if isinstance(scores, Mapping) else metrics
    return {
        name: float(value)
        for name, value in source.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


def metric_columns(scores: Sequence[Mapping[str, float]]) -> list[str]:
    names = {name for score in scores for name in score}
    return [m for m in PREFERRED_METRICS if m in names] + sorted(names - set(PREFERRED_METRICS))


def metric_label(name: str) -> str:
    """``ndcg@10`` → ``NDCG@10``, ``buyer_recall@50`` → ``buyer recall@50``."""
    return name.replace("ndcg", "NDCG").replace("_", " ")


@bp.get("/models")
def models_page() -> str:
    with engine().connect() as connection:
        versions = list_versions(connection)
    state = serving_state()
    state.refresh()
    snapshot = state.snapshot
    scores = [version_metrics(version.metrics) for version in versions]
    columns = metric_columns(scores)
    oldest_first = list(zip(reversed(versions), reversed(scores), strict=True))
    chart = line_chart(
        [version.version for version, _ in oldest_first],
        {metric_label(m): [score.get(m) for _, score in oldest_first] for m in columns[:CHART_LINES]},
    )
    return render_template(
        "console/models.html",
        rows=[_row(version, score) for version, score in zip(versions, scores, strict=True)],
        columns=columns,
        labels={m: metric_label(m) for m in columns},
        chart=chart,
        serving_version=snapshot.model_version.version if snapshot else None,
    )


def _row(version: ModelVersion, score: Mapping[str, float]) -> dict[str, Any]:
    return {
        "version": version.version,
        "status": version.status,
        "created_at": version.created_at,
        "trained_until": version.trained_until,
        "scores": score,
        "note": version.note,
    }


@bp.post("/models/<version>/activate")
def activate(version: str) -> Response:
    """Make ``version`` the active model, or say why not; back to the models page either way."""
    try:
        api_models.activate.__wrapped__(version)  # the API's view without its bearer-key check
    except ProblemError as error:
        flash(f"Model {version} was not activated: {error.detail}", "error")
    else:
        flash(f"Model {version} is active; other processes swap to it within their poll interval.", "success")
    return redirect(url_for("console.models_page"), 303)
