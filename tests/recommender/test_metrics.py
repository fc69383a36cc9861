"""Ranking metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.evaluation.metrics import ranking_metrics, recall_at, top_k


def test_top_k_orders_best_first_and_breaks_ties_by_column() -> None:
    scores = np.array([[0.1, 0.9, 0.5, 0.9]])
    assert top_k(scores, 3).tolist() == [[1, 3, 2]]


def test_graded_metrics_match_hand_computation() -> None:
    scores = np.array([[0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.4], [0.5, 0.5, 0.5, 0.5]])
    relevance = np.array([[3, 0, 1, 0], [0, 0, 0, 2], [0, 0, 0, 0]])
    metrics = ranking_metrics(scores, relevance, k=2)
    assert metrics.rows == 2  # the row with nothing relevant is not evaluated
    assert metrics.precision == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert metrics.recall == pytest.approx((1 / 2 + 1) / 2)
    assert metrics.hit_rate == 1.0
    ideal_first = 7 + 1 / math.log2(3)
    assert metrics.ndcg == pytest.approx((7 / ideal_first + 1.0) / 2)


def test_recall_counts_buyers_found() -> None:
    scores = np.array([[0.9, 0.1, 0.8, 0.7]])
    assert recall_at(scores, np.array([[1, 1, 0, 0]]), k=2) == pytest.approx(0.5)


def test_sparse_relevance_gives_the_dense_results() -> None:
    """The sparse path (buyers among 100,000 investors) must not change a single metric."""
    rng = np.random.default_rng(7)
    scores = rng.random((40, 300))
    relevance = rng.choice([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0], size=(40, 300)) * (rng.random((40, 1)) > 0.2)
    dense = ranking_metrics(scores, relevance, 10)
    sparse = ranking_metrics(scores, sp.csr_matrix(relevance), 10)
    for name in ("precision", "recall", "ndcg", "hit_rate", "rows"):
        assert getattr(sparse, name) == pytest.approx(getattr(dense, name))
    assert sparse.per_row_ndcg == pytest.approx(dense.per_row_ndcg)
    assert recall_at(scores, sp.csr_matrix(relevance), 50) == pytest.approx(recall_at(scores, relevance, 50))
