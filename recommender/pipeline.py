"""From a stored market to a serving-ready model: profiles, features, fit, live index.

This is what ``assetmatch train`` runs and what the evaluations run at their cutoffs, so the
model that is measured is built exactly like the model that serves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pandas as pd

from data.liveness import live_packages
from profiles import EventWeights, ProfileTable, build_profiles
from recommender.hybrid import HybridConfig, HybridRecommender
from recommender.package_features import package_feature_rows
from recommender.progress import SILENT, Progress
from recommender.training_set import build_training_set

__all__ = [
    "add_investors",
    "add_new_investors",
    "fit_second_stage",
    "live_packages",
    "sync_live_packages",
    "train_recommender",
]
DEFAULT_SECOND_STAGE_FOLDS = 3


def train_recommender(
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    now: datetime,
    config: HybridConfig | None = None,
    event_weights: EventWeights | None = None,
    progress: Progress = SILENT,
) -> tuple[HybridRecommender, ProfileTable]:
    """Fit on everything known at ``now`` and index the packages live at ``now``.

    Returns the model and the profiles it was fitted with (matching reads them for reasons).
    """
    config = config or HybridConfig()
    weights = event_weights or EventWeights()
    known_investors = investors[investors["registered_at"] <= now]
    with progress.stage("profiles"):
        profiles = build_profiles(known_investors, packages, events, now, weights)
    with progress.stage("training set"):
        training = build_training_set(
            known_investors, packages, events, profiles, now, weights, config.investor_feature_groups
        )
    model = HybridRecommender(config).fit(training, progress)
    with progress.stage("indexing live packages"):
        live = live_packages(packages, now)
        if len(live):
            model.add_packages(live["package_id"].tolist(), package_feature_rows(live))
    return model, profiles


def fit_second_stage(
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    now: datetime,
    folds: int = DEFAULT_SECOND_STAGE_FOLDS,
    config: HybridConfig | None = None,
    progress: Progress = SILENT,
) -> tuple[Any, str | None]:
    """The learned second stage on ``folds`` pseudo-cold folds of what is known at ``now``.

    Set it as the model's ``second_stage``: it is saved with the version and serving uses it
    whenever present. Returns ``(stage, None)``, or ``(None, why)`` when ``folds`` is 0 or the
    history before the folds' cutoffs has nothing to learn from (the version then serves its
    first stage alone).
    """
    if folds <= 0:
        return None, "second stage off (0 folds)"
    from recommender.second_stage.folds import train_second_stage  # imports the hybrid and lightgbm

    try:
        stage = train_second_stage(
            investors, packages, events, now, folds=folds, config=config, progress=progress
        )
    except ValueError as error:
        return None, f"no second stage: {error}"
    return stage, None


def add_investors(
    model: HybridRecommender, profiles: ProfileTable, investor_ids: list[str]
) -> None:
    """Give investors the model has not seen a vector from their profile (cold investors)."""
    new = [investor_id for investor_id in investor_ids if investor_id not in model.investor_ids]
    if new:
        model.add_investors(new, profiles.feature_rows(new, model.config.investor_feature_groups))


def sync_live_packages(model: HybridRecommender, live: pd.DataFrame, scope: Iterable[str] | None = None) -> None:
    """Index exactly the live packages: new listings get content vectors now, closed ones leave.

    Live listings are re-encoded from their current rows, so an edited listing (a fuller data
    room, a lower reserve) is scored as it is now. ``scope`` limits who may leave to those
    package ids (the rows just upserted); by default every indexed listing not in ``live`` does.
    """
    if scope is None:
        scope = model.known_packages()
    gone = set(scope) - set(live["package_id"])
    if gone:
        model.unindex_packages(gone)
    if len(live):
        model.add_packages(live["package_id"].tolist(), package_feature_rows(live))


def add_new_investors(
    model: HybridRecommender,
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    now: datetime,
) -> list[str]:
    """Vectorise investors who joined after the model was trained, from their profiles."""
    new = investors[~investors["investor_id"].isin(set(model.investor_ids.external_ids.tolist()))]
    new = new[new["registered_at"] <= now]
    if new.empty:
        return []
    profiles = build_profiles(new, packages, events, now)
    add_investors(model, profiles, new["investor_id"].tolist())
    return new["investor_id"].tolist()
