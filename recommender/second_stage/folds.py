"""Training the second stage on pseudo-cold time folds of history.

At serving time every listing the second stage ranks is new: nothing about it is in the first
stage's training data. Training rows must look the same, so each fold replays a moment of
history: at the fold's cutoff the first stage is fitted on the events strictly before it, the
listings first listed in ``[cutoff, cutoff + window)`` are indexed as cold listings, and the
crosses are computed from profiles built at the cutoff. Labels are what investors later did on
those listings. No event at or after a fold's cutoff reaches its features or its first stage
(``tests/recommender/second_stage/test_folds.py`` deletes them and compares).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from profiles import build_profiles
from recommender.evaluation.split import BIDDER_EVENTS, RELEVANCE_GRADES
from recommender.hybrid import HybridConfig, HybridRecommender
from recommender.package_features import package_feature_rows
from recommender.progress import SILENT, Progress
from recommender.second_stage.context import InvestorContext, PackageContext, eligible
from recommender.second_stage.features import FirstStage, cross_features
from recommender.second_stage.model import Examples, SecondStage, SecondStageParams
from recommender.training_set import build_training_set


@dataclass(frozen=True)
class Fold:
    """One replayed moment: the first stage fitted at ``cutoff`` and the cold listings after it."""

    cutoff: datetime
    first_stage: HybridRecommender
    investors: InvestorContext
    packages: PackageContext
    window_package_ids: list[str]
    labels: pd.DataFrame  # investor_id, package_id, grade (max per pair), bidder (bool)
    settled_package_ids: list[str]  # window listings whose auction closed before the labels end


def fold_cutoffs(end: datetime, folds: int, window_days: int) -> list[datetime]:
    """Cutoffs ``end - window``, ``end - 2·window``, …: newest fold first, windows back to back."""
    return [end - timedelta(days=window_days * k) for k in range(1, folds + 1)]


def fit_fold(
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    cutoff: datetime,
    window_days: int,
    config: HybridConfig,
    labels_until: datetime | None = None,
    progress: Progress = SILENT,
) -> Fold:
    """Replay ``cutoff``: the first stage and contexts from the past, labels from the window.

    ``labels_until`` is the end of the known history. A window listing whose auction was still
    open then has not had all its bids (they come about a month after listing), so it is not
    *settled*: the buyer classifier leaves it out rather than teach its missing bidders as
    non-bidders. The ranker keeps it: favorites and data-room requests come early, and on the
    generated market dropping these listings cost NDCG@10 (docs/recommender.md).
    """
    window_end = cutoff + timedelta(days=window_days)
    past_events = events[events["occurred_at"] < cutoff]
    past_packages = packages[packages["listed_at"] < cutoff]
    window = packages[(packages["listed_at"] >= cutoff) & (packages["listed_at"] < window_end)]
    present = investors[investors["registered_at"] < window_end]
    known = present[present["registered_at"] < cutoff]
    with progress.stage("profiles"):
        profiles = build_profiles(present, past_packages, past_events, cutoff)
    training = build_training_set(
        known, past_packages, past_events, profiles, cutoff, feature_groups=config.investor_feature_groups
    )
    first_stage = HybridRecommender(config).fit(training, progress)
    cold = [i for i in present["investor_id"] if i not in first_stage.investor_ids]
    if cold:
        first_stage.upsert_investors(cold, profiles.feature_rows(cold, config.investor_feature_groups))
    window_ids = window["package_id"].tolist()
    if window_ids:
        first_stage.index_packages(window_ids, package_feature_rows(window))
    context = InvestorContext.build(profiles, past_packages, past_events, cutoff)
    labels = _labels(events, window_ids, cutoff, present)
    settled = window if labels_until is None else window[window["closes_at"] < labels_until]
    return Fold(
        cutoff, first_stage, context, PackageContext.of(window), window_ids, labels,
        settled["package_id"].tolist(),
    )


def _labels(
    events: pd.DataFrame, window_ids: Sequence[str], cutoff: datetime, present: pd.DataFrame
) -> pd.DataFrame:
    """Graded relevance (max per pair) and bidder flag of present investors on the window's listings."""
    on_window = events[
        events["package_id"].isin(set(window_ids))
        & (events["occurred_at"] >= cutoff)
        & events["investor_id"].isin(set(present["investor_id"]))
    ]
    on_window = on_window[["investor_id", "package_id", "event_type"]].copy()
    graded = on_window.assign(grade=on_window["event_type"].map(RELEVANCE_GRADES)).dropna(subset=["grade"])
    graded = graded.assign(bidder=graded["event_type"].isin(BIDDER_EVENTS))
    pairs = graded.groupby(["investor_id", "package_id"], as_index=False)
    return pairs.agg(grade=("grade", "max"), bidder=("bidder", "max"))


def ranking_examples(fold: Fold, candidates: int) -> Examples:
    """Per investor with a relevant action in the window: its top first-stage candidates, graded."""
    grades = fold.labels.pivot_table(index="investor_id", columns="package_id", values="grade", aggfunc="max")
    queries = [i for i in grades.index if i in fold.investors.ids]
    if not queries or not fold.window_package_ids:
        return Examples.concat([])
    package_ids = fold.window_package_ids
    scores = fold.first_stage.score(queries, package_ids)
    grade_matrix = grades.reindex(index=queries, columns=package_ids).fillna(0.0).to_numpy()
    package_rows = fold.packages.ids.rows(package_ids, "package")
    investor_rows = fold.investors.ids.rows(queries, "investor")
    keep = min(candidates, len(package_ids))
    top = np.argsort(-scores, axis=1, kind="stable")[:, :keep]
    features, labels, groups, stages = [], [], [], []
    for q in range(len(queries)):
        labels.append(grade_matrix[q, top[q]])
        stages.append(FirstStage.of_block(scores[q, top[q]]))
    first = FirstStage.concat(stages)
    pairs_i = np.repeat(investor_rows, keep)
    pairs_p = package_rows[top.ravel()]
    features = cross_features(fold.investors, fold.packages, pairs_i, pairs_p, first)
    label = np.concatenate(labels)
    groups = np.full(len(queries), keep, dtype=np.int64)
    # A query whose relevant packages all fell outside the block teaches nothing; drop it.
    useful = label.reshape(len(queries), keep).max(axis=1) > 0
    rows = np.repeat(useful, keep)
    return Examples(features[rows], label[rows], groups[useful])


def buyer_examples(fold: Fold, candidates: int, negatives_per_positive: int, random_state: int) -> Examples:
    """Per settled window listing: its top eligible first-stage investors, bidders 1, non-bidders
    subsampled."""
    package_ids = fold.settled_package_ids
    if not package_ids:
        return Examples.concat([])
    investor_ids = fold.investors.ids.external_ids.tolist()
    scores = fold.first_stage.score(investor_ids, package_ids).T  # packages × investors
    package_rows = fold.packages.ids.rows(package_ids, "package")
    scores = np.where(eligible(fold.investors, fold.packages, package_rows), scores, -np.inf)
    bidders = fold.labels[fold.labels["bidder"]]
    bid_keys = set(zip(bidders["package_id"], bidders["investor_id"], strict=True))
    keep = min(candidates, len(investor_ids))
    top = np.argsort(-scores, axis=1, kind="stable")[:, :keep]
    rng = np.random.default_rng(random_state)
    pairs_i, pairs_p, labels, stages = [], [], [], []
    for q, package_id in enumerate(package_ids):
        block = top[q][np.isfinite(scores[q, top[q]])]
        label = np.array([(package_id, investor_ids[r]) in bid_keys for r in block.tolist()], dtype=float)
        stage = FirstStage.of_block(scores[q, block])
        n_pos = int(label.sum())
        negatives = np.flatnonzero(label == 0)
        take = min(len(negatives), max(n_pos, 1) * negatives_per_positive)
        kept = rng.choice(negatives, take, replace=False)
        chosen = np.sort(np.concatenate([np.flatnonzero(label > 0), kept]))
        pairs_i.append(block[chosen])
        pairs_p.append(np.full(len(chosen), package_rows[q]))
        labels.append(label[chosen])
        stages.append(FirstStage(stage.score[chosen], stage.rank[chosen], stage.gap[chosen]))
    features = cross_features(
        fold.investors, fold.packages, np.concatenate(pairs_i), np.concatenate(pairs_p),
        FirstStage.concat(stages),
    )
    return Examples(features, np.concatenate(labels), np.empty(0, dtype=np.int64))


def fold_examples(
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    end: datetime,
    folds: int = 3,
    window_days: int = 90,
    config: HybridConfig | None = None,
    params: SecondStageParams | None = None,
    progress: Progress = SILENT,
) -> list[tuple[Examples, Examples]]:
    """(ranking, buyer) examples of each fold before ``end``, newest fold first.

    Only events before ``end`` are read (pass the training side of a split). Each fold fits
    its own first stage with ``config``, the configuration the served first stage uses.
    """
    config = config or HybridConfig()
    params = params or SecondStageParams()
    events = events[events["occurred_at"] < end]
    examples = []
    for number, cutoff in enumerate(fold_cutoffs(end, folds, window_days)):
        with progress.stage(f"fold {number + 1} of {folds} (cutoff {cutoff:%Y-%m-%d})"):
            fold = fit_fold(investors, packages, events, cutoff, window_days, config, labels_until=end)
            examples.append(
                (
                    ranking_examples(fold, params.candidates),
                    buyer_examples(fold, params.buyer_candidates, params.negatives_per_positive,
                                   params.random_state + number),
                )
            )
    return examples


def train_second_stage(
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    end: datetime,
    folds: int = 3,
    window_days: int = 90,
    config: HybridConfig | None = None,
    params: SecondStageParams | None = None,
    progress: Progress = SILENT,
) -> SecondStage:
    """Fit the second stage on ``folds`` pseudo-cold folds of the history before ``end``."""
    params = params or SecondStageParams()
    examples = fold_examples(investors, packages, events, end, folds, window_days, config, params, progress)
    with progress.stage("LightGBM"):
        return SecondStage.fit(
            Examples.concat([r for r, _ in examples]), Examples.concat([b for _, b in examples]), params
        )
