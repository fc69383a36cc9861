"""Whole score matrices: each row's first-stage block re-ordered on top, the rest kept below."""

from __future__ import annotations

import numpy as np

from recommender.second_stage import Fold, SecondStage
from recommender.second_stage.batch import buyer_matrix, rerank_matrix
from recommender.second_stage.context import eligible


def test_rerank_matrix_puts_the_reranked_block_first_and_keeps_the_rest_in_first_stage_order(
    fold: Fold, stage: SecondStage
) -> None:
    investor_ids = fold.labels["investor_id"].unique()[:5].tolist()
    package_ids = fold.window_package_ids
    first = fold.first_stage.score(investor_ids, package_ids)
    result = rerank_matrix(
        stage, fold.investors, fold.packages, investor_ids, package_ids, first, candidates=40
    )
    for row, investor_id in enumerate(investor_ids):
        first_order = np.argsort(-first[row], kind="stable")
        final_order = np.argsort(-result[row], kind="stable")
        assert set(final_order[:40]) == set(first_order[:40])  # the block stays the block
        np.testing.assert_array_equal(final_order[40:], first_order[40:])  # the rest keeps its order
        block = [package_ids[j] for j in first_order[:40]]
        single = stage.rerank(fold.investors, fold.packages, investor_id, block, first[row, first_order[:40]])
        learned = dict(single)
        # The same learned order as one query at a time (ties aside).
        assert [learned[package_ids[j]] for j in final_order[:40]] == sorted(learned.values(), reverse=True)


def test_buyer_matrix_never_returns_an_ineligible_investor(fold: Fold, stage: SecondStage) -> None:
    package_ids = fold.window_package_ids[:30]
    investor_ids = fold.investors.ids.external_ids.tolist()
    first = fold.first_stage.score(investor_ids, package_ids).T
    mask = eligible(fold.investors, fold.packages, fold.packages.ids.rows(package_ids))
    mask[:, :5] = False  # as if the first five investors might not buy any of these
    result = buyer_matrix(stage, fold.investors, fold.packages, package_ids, investor_ids, first, mask, 50)
    assert np.isneginf(result[~mask]).all() and np.isfinite(result[mask]).all()
    for row in range(len(package_ids)):  # every eligible investor outranks every ineligible one
        assert result[row][mask[row]].min() > result[row][~mask[row]].max()
