"""One training run: from the store to a measured, gated and registered model version.

``assetmatch train`` runs this; tests call it in-process. The steps:

1. Skip unless events arrived since the newest trained version (``force`` trains anyway).
2. Read the market in one transaction, remembering each event's store id.
3. Choose the time-ordered holdout (``recommender.evaluation.holdout``) and fit, on what was
   known at its cutoff, the candidate's configuration and the active version's stored
   parameters on the active version's own snapshot (events with id <= its high-water mark,
   up to its training time); score both on the holdout.
4. Fit the candidate on everything and write its artifact (to a temporary file, renamed).
5. Gate (``recommender.promotion``) and register the version, with the artifact's bytes (so API
   hosts that cannot see this disk load it from the store), in one transaction: active (the
   previous one retired) or rejected with the reason as its note.

Nothing is written to the store before step 5, and the artifact of a version is only named by
the store once it is complete, so a run killed at any point leaves serving as it was. The fits
of steps 3 and 4 are independent and LightFM's epochs release the GIL, so they run two at a
time on the two cores a training host has.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from data.market_frames import StoredMarket, load_market
from data.model_registry import (
    ACTIVE,
    CANDIDATE,
    REJECTED,
    ModelVersion,
    activate_version,
    active_version,
    list_versions,
    register_version,
)
from data.schema import events_table
from recommender.artifact import file_sha256
from recommender.evaluation.holdout import (
    DEFAULT_HOLDOUT_DAYS,
    Holdout,
    HoldoutScore,
    choose_holdout,
    score_holdout,
)
from recommender.evaluation.market_report import fit_on_split
from recommender.evaluation.split import MarketSplit
from recommender.hybrid import HybridConfig, HybridRecommender
from recommender.pipeline import DEFAULT_SECOND_STAGE_FOLDS, fit_second_stage, train_recommender
from recommender.progress import SILENT, PrefixedProgress, Progress
from recommender.promotion import DEFAULT_TOLERANCE, GateDecision, check_tolerance, decide_promotion
from webapi.services.model_store import new_version_name, utc_now

SKIPPED = "skipped"
PROMOTED = "promoted"
EventTransform = Callable[[pd.DataFrame], pd.DataFrame]


class NoEventsError(LookupError):
    """Training was asked for on a store without events."""

    def __init__(self) -> None:
        super().__init__("the database holds no events to learn from: run `assetmatch import DIR` first")


@dataclass(frozen=True)
class TrainingOptions:
    """How a run trains, measures and gates.

    ``transform_events`` changes what the candidate learns from (never the holdout it is judged
    on, nor the active version's snapshot): tests use it to train a deliberately broken model.
    """

    config: HybridConfig = field(default_factory=HybridConfig)
    as_of: datetime | None = None
    holdout_days: float = DEFAULT_HOLDOUT_DAYS
    tolerance: float = DEFAULT_TOLERANCE
    force: bool = False
    workers: int = 2
    transform_events: EventTransform | None = None
    # Pseudo-cold time folds the second stage is trained on (0: a version without one, served
    # by its first stage alone); each fold refits the first stage at its cutoff.
    second_stage_folds: int = DEFAULT_SECOND_STAGE_FOLDS


@dataclass(frozen=True)
class TrainingOutcome:
    """What a run did: ``skipped``, ``promoted``, ``rejected`` or ``candidate``, and why."""

    status: str
    reason: str
    version: ModelVersion | None = None


def run_training(
    engine: Engine, models_dir: Path, options: TrainingOptions | None = None, progress: Progress = SILENT
) -> TrainingOutcome:
    """Train, measure, gate and register one version (or skip); see the module docstring."""
    options = options or TrainingOptions()
    check_tolerance(options.tolerance)  # refuse a bad tolerance before any work
    skip = _skip_reason(engine, options.force)
    if skip:
        return TrainingOutcome(SKIPPED, skip)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with progress.stage("loading the market"):
        market = load_market(engine, event_row_ids=True)
        active = _active(engine)
    timings["load"] = time.perf_counter() - started
    now = options.as_of or utc_now()
    events = market.events[market.events["occurred_at"] <= now]
    if events.empty:
        raise NoEventsError()
    learned = options.transform_events(events.copy()) if options.transform_events else events
    holdout = choose_holdout(market.investors, market.packages, events, options.holdout_days)

    with ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool:
        final = pool.submit(
            _timed, timings, "final fit", train_recommender, market.investors, market.packages, learned, now,
            options.config, progress=PrefixedProgress(progress, "final model"),
        )
        stage_fit = pool.submit(
            _timed, timings, "second stage fit", _second_stage, market, learned, now, options, progress
        )
        candidate_fit = _submit_holdout_fit(
            pool, timings, holdout, learned, options.config, progress, "candidate", options.second_stage_folds
        )
        measure = _measure_active(pool, timings, market, holdout, active, options, progress)
        candidate_score = _scored(candidate_fit, holdout, progress, "candidate")
        active_score = measure.score(candidate_score, holdout, progress)
        model, _ = final.result()
        model.second_stage, second_stage_note = stage_fit.result()

    candidate_metrics = candidate_score.metrics if candidate_score else None
    active_metrics = None if active is None else (active_score.metrics if active_score else {})
    noise = paired_noise(candidate_score, active_score)
    decision = decide_promotion(
        candidate_metrics or {}, active_metrics, holdout.gated, options.tolerance, options.force,
        active_version=f"active version {active.version}" if active else "the active version", noise=noise,
    )
    metrics = {
        "holdout": holdout.describe(),
        "candidate": candidate_metrics,
        "active": None if active is None else {
            "version": active.version, "metrics": active_metrics, "measured": measure.how,
        },
        "gate": {
            **decision.to_json(), "tolerance": options.tolerance, "forced": options.force,
            "standard_errors": {name: round(value, 6) for name, value in noise.items()},
        },
        "data": {
            "investors": len(market.investors), "packages": len(market.packages), "events": len(learned),
            "skipped_rows": dict(market.skipped),
        },
        "second_stage": {
            "folds": options.second_stage_folds if model.second_stage is not None else 0,
            "note": second_stage_note,
        },
        "seconds": {name: round(seconds, 1) for name, seconds in timings.items()},
    }
    with progress.stage("saving the artifact"):
        return _register(engine, models_dir, model, market, now, options, active, decision, metrics)


def _second_stage(
    market: StoredMarket, events: pd.DataFrame, now: datetime, options: TrainingOptions, progress: Progress
) -> tuple[Any, str | None]:
    """The version's second stage (None when off or nothing to learn) and why there is none."""
    return fit_second_stage(
        market.investors, market.packages, events, now, options.second_stage_folds, options.config,
        PrefixedProgress(progress, "second stage"),
    )


def _skip_reason(engine: Engine, force: bool) -> str | None:
    """Why training would learn nothing new, or None.

    The newest trained snapshot of any status counts, not only the active one: a candidate the
    gate rejected on the same events would be rejected again, and after an operator rolled back
    to an older version a scheduled run must not undo that until new events arrive.
    """
    if force:
        return None
    with engine.connect() as connection:
        versions = list_versions(connection)
        high_water = connection.execute(select(func.coalesce(func.max(events_table.c.id), 0))).scalar_one()
    if not any(v.status == ACTIVE for v in versions):
        return None
    newest = max(versions, key=lambda v: (v.event_high_water, v.created_at))
    if int(high_water) > newest.event_high_water:
        return None
    return (
        f"no new events since version {newest.version} ({newest.status}) was trained on events up to id "
        f"{newest.event_high_water}: nothing to train (--force trains anyway)"
    )


def _active(engine: Engine) -> ModelVersion | None:
    with engine.connect() as connection:
        return active_version(connection)


def _timed(
    timings: dict[str, float], name: str, function: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    started = time.perf_counter()
    try:
        return function(*args, **kwargs)
    finally:
        timings[name] = time.perf_counter() - started


def _submit_holdout_fit(
    pool: ThreadPoolExecutor, timings: dict[str, float], holdout: Holdout, events: pd.DataFrame,
    config: HybridConfig, progress: Progress, who: str, folds: int,
) -> Future[Any] | None:
    """Fit ``config`` (and a second stage on ``folds`` folds) on ``events`` known at the holdout's
    cutoff, as the version would serve (None: the holdout gates nothing)."""
    if not holdout.sufficient:
        return None
    split = replace(holdout.split, train_events=events[events["occurred_at"] <= holdout.split.cutoff])
    return pool.submit(
        _timed, timings, f"holdout {who} fit", _served_on_split, split, config, folds,
        PrefixedProgress(progress, f"holdout {who}"),
    )


def _served_on_split(split: MarketSplit, config: HybridConfig, folds: int, progress: Progress) -> Any:
    """The first stage fitted at the split's cutoff, with its second stage when ``folds`` > 0."""
    first = fit_on_split(split, config, progress)
    stage, _ = fit_second_stage(
        split.train_investors, split.train_packages, split.train_events, split.cutoff, folds, config, progress
    )
    if stage is None:
        return first
    from recommender.second_stage.served import ServedScores  # lightgbm: only with a second stage

    with progress.stage("second-stage contexts"):
        return ServedScores.at(
            first, stage, split.investors, split.train_packages, split.train_events, split.cutoff,
            split.test_packages,
        )


def _scored(
    fit: Future[HybridRecommender] | None, holdout: Holdout, progress: Progress, who: str
) -> HoldoutScore | None:
    if fit is None:
        return None
    model = fit.result()
    with progress.stage(f"holdout {who}: scoring"):
        return score_holdout(model, holdout)


def paired_noise(candidate: HoldoutScore | None, active: HoldoutScore | None) -> dict[str, float]:
    """Standard error of the mean per-row difference of each gated metric (same holdout rows)."""
    if candidate is None or active is None:
        return {}
    noise = {}
    for name, rows in candidate.rows.items():
        other = active.rows.get(name)
        if other is not None and len(other) == len(rows) and len(rows) > 1:
            noise[name] = float(np.std(rows - other, ddof=1) / np.sqrt(len(rows)))
    return noise


@dataclass(frozen=True)
class ActiveMeasure:
    """How the active version is measured on the holdout: by its own refit, or as the candidate."""

    how: str
    fit: Future[HybridRecommender] | None = None
    same_as_candidate: bool = False

    def score(
        self, candidate: HoldoutScore | None, holdout: Holdout, progress: Progress
    ) -> HoldoutScore | None:
        """Its holdout score (None when not measured)."""
        if self.same_as_candidate:
            return candidate
        return _scored(self.fit, holdout, progress, "active")


def _measure_active(
    pool: ThreadPoolExecutor,
    timings: dict[str, float],
    market: StoredMarket,
    holdout: Holdout,
    active: ModelVersion | None,
    options: TrainingOptions,
    progress: Progress,
) -> ActiveMeasure:
    """Start measuring the active version on the holdout.

    Its stored parameters are refitted on its own snapshot truncated at the cutoff. When those
    are the candidate's configuration and the very events the candidate's holdout fit used, the
    refit would be the same model, so the candidate's holdout score is reused.
    """
    if active is None:
        return ActiveMeasure("no active version")
    if not holdout.sufficient:
        return ActiveMeasure("not measured: insufficient holdout")
    try:
        config = HybridConfig.from_dict(active.params)
    except (KeyError, TypeError, ValueError) as error:
        return ActiveMeasure(f"not measured: its parameters are unreadable ({error})")
    events = market.events
    cutoff = holdout.split.cutoff
    seen = (events["id"] <= active.event_high_water) & (events["occurred_at"] <= active.trained_until)
    snapshot = events[seen]
    known = snapshot[snapshot["occurred_at"] <= cutoff]
    same_events = len(known) == int((events["occurred_at"] <= cutoff).sum())
    same_stage = (active.metrics or {}).get("second_stage", {}).get("folds", 0) == options.second_stage_folds
    if config == options.config and options.transform_events is None and same_events and same_stage:
        return ActiveMeasure(
            "same configuration and events at the cutoff as the candidate: the same model, measured once",
            same_as_candidate=True,
        )
    folds = int((active.metrics or {}).get("second_stage", {}).get("folds", 0))  # as it serves
    fit = _submit_holdout_fit(pool, timings, holdout, known, config, progress, "active", folds)
    return ActiveMeasure(
        f"refitted on its snapshot (events up to id {active.event_high_water}) at the cutoff", fit
    )


def _register(
    engine: Engine,
    models_dir: Path,
    model: HybridRecommender,
    market: StoredMarket,
    now: datetime,
    options: TrainingOptions,
    active: ModelVersion | None,
    decision: GateDecision,
    metrics: dict[str, Any],
) -> TrainingOutcome:
    """Write the artifact, then record the version (and activate it) in one transaction."""
    created = utc_now()
    name = new_version_name(created)
    path = models_dir / f"{name}.npz"
    model.save(path)
    checksum = file_sha256(path)
    artifact = path.read_bytes()  # kept in the store too: API hosts need not see this disk
    version = ModelVersion(
        version=name,
        created_at=created,
        status=CANDIDATE,
        artifact_path=str(path.resolve()),
        trained_until=now,
        event_high_water=market.event_high_water,
        params=model.config.to_dict(),
        metrics=metrics,
        note=decision.reason,
        artifact_sha256=checksum,
    )
    try:
        with engine.begin() as connection:
            current = active_version(connection)
            moved = (current.version if current else None) != (active.version if active else None)
            if decision.promote and moved and not options.force:
                reason = (
                    f"not promoted: the active version changed to {current.version if current else 'none'} "
                    f"during training (gate: {decision.reason}); activate it with "
                    f"`assetmatch models activate {name}`"
                )
                version = replace(version, note=reason)
                register_version(connection, version, artifact)
                return TrainingOutcome(CANDIDATE, reason, version)
            if not decision.promote:
                version = replace(version, status=REJECTED)
                register_version(connection, version, artifact)
                return TrainingOutcome(REJECTED, decision.reason, version)
            register_version(connection, version, artifact)
            activate_version(connection, name)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return TrainingOutcome(PROMOTED, decision.reason, replace(version, status=ACTIVE))
