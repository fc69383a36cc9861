"""The second stage over whole score matrices: many investors or listings at once.

Evaluations (and a batch push) hold first-stage scores for every query × candidate. These
functions re-order each row's first-stage top block with the second stage and keep the rest in
first-stage order below it, so the result is a drop-in score matrix for the ranking metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from recommender.second_stage.context import InvestorContext, PackageContext
from recommender.second_stage.features import FirstStage, cross_features
from recommender.second_stage.model import SecondStage

# Re-ranked items score above this; the rest keep their first-stage order below it.
BLOCK_OFFSET = 1e6


def _rerank_rows(
    first_stage: np.ndarray,
    candidates: int,
    score_block: Callable[[np.ndarray, np.ndarray, FirstStage], np.ndarray],
    mask: np.ndarray | None = None,
) -> np.ndarray:
    scores = np.where(mask, first_stage, -np.inf) if mask is not None else first_stage
    keep = min(candidates, scores.shape[1])
    top = np.argsort(-scores, axis=1, kind="stable")[:, :keep]
    block_scores = np.take_along_axis(scores, top, axis=1)
    valid = np.isfinite(block_scores)
    stages = [FirstStage.of_block(block_scores[q][valid[q]]) for q in range(len(top))]
    rows = np.repeat(np.arange(len(top)), valid.sum(axis=1))
    columns = top[valid]
    learned = score_block(rows, columns, FirstStage.concat(stages)) if len(rows) else np.empty(0)
    # Below the block: first-stage order, as ranks, so no first-stage score can overtake a re-ranked one.
    order = np.argsort(-scores, axis=1, kind="stable")
    result = np.empty(scores.shape, dtype=np.float64)
    below = np.broadcast_to(-np.arange(scores.shape[1], dtype=np.float64), scores.shape)
    np.put_along_axis(result, order, below, 1)
    result[rows, columns] = BLOCK_OFFSET + learned
    if mask is not None:
        result[~mask] = -np.inf
    return result


def rerank_matrix(
    stage: SecondStage,
    investors: InvestorContext,
    packages: PackageContext,
    investor_ids: Sequence[str],
    package_ids: Sequence[str],
    first_stage: np.ndarray,
    candidates: int | None = None,
) -> np.ndarray:
    """Investors × packages scores: each investor's first-stage top ``candidates`` re-ranked first."""
    investor_rows = investors.ids.rows(investor_ids, "investor")
    package_rows = packages.ids.rows(package_ids, "package")

    def score(rows: np.ndarray, columns: np.ndarray, stages: FirstStage) -> np.ndarray:
        features = cross_features(investors, packages, investor_rows[rows], package_rows[columns], stages)
        return stage.ranker_scores(features)

    return _rerank_rows(first_stage, candidates or stage.params.candidates, score)


def buyer_matrix(
    stage: SecondStage,
    investors: InvestorContext,
    packages: PackageContext,
    package_ids: Sequence[str],
    investor_ids: Sequence[str],
    first_stage: np.ndarray,
    eligible: np.ndarray | None = None,
    candidates: int | None = None,
) -> np.ndarray:
    """Packages × investors scores: each listing's first-stage top eligible buyers by P(bid) first."""
    investor_rows = investors.ids.rows(investor_ids, "investor")
    package_rows = packages.ids.rows(package_ids, "package")

    def score(rows: np.ndarray, columns: np.ndarray, stages: FirstStage) -> np.ndarray:
        features = cross_features(investors, packages, investor_rows[columns], package_rows[rows], stages)
        return stage.buyer_probabilities(features)

    return _rerank_rows(first_stage, candidates or stage.params.buyer_candidates, score, eligible)
