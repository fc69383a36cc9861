"""Top-k ranking metrics over a dense score matrix and a graded relevance matrix.

Rows are queries (investors, or packages when finding buyers), columns candidates. Relevance
is graded (bid 3, due-diligence request 2, favorite 1) for NDCG and binary (> 0) elsewhere.
Only rows with at least one relevant candidate are evaluated, as is usual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class RankingMetrics:
    """Means over evaluated rows, and per-row NDCG and recall (segment breakdowns, paired tests)."""

    precision: float
    recall: float
    ndcg: float
    hit_rate: float
    rows: int
    per_row_ndcg: np.ndarray
    per_row_recall: np.ndarray


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` best scores per row, best first (ties by lower column)."""
    k = min(k, scores.shape[1])
    partition = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    partition_scores = np.take_along_axis(scores, partition, axis=1)
    order = np.lexsort((partition, -partition_scores), axis=1)
    return np.take_along_axis(partition, order, axis=1)


def ranking_metrics(scores: np.ndarray, relevance: sp.csr_matrix | np.ndarray, k: int) -> RankingMetrics:
    """precision@k, recall@k, NDCG@k (graded) and hit rate@k of ``scores`` against ``relevance``.

    Relevance is non-negative. A sparse one stays sparse: gains are read at the top ``k`` cells
    and the ideal order from each row's few stored values, so judging buyers among 100,000
    investors never densifies or sorts a packages × investors matrix.
    """
    if sp.issparse(relevance):
        relevance = sp.csr_matrix(relevance)
        relevance.eliminate_zeros()
        evaluated = np.diff(relevance.indptr) > 0
    else:
        relevance = np.asarray(relevance)
        evaluated = relevance.sum(axis=1) > 0
    if not evaluated.any():
        return RankingMetrics(0.0, 0.0, 0.0, 0.0, 0, np.empty(0), np.empty(0))
    scores, relevance = scores[evaluated], relevance[evaluated]
    ranked = top_k(scores, k)
    discounts = 1.0 / np.log2(np.arange(2, ranked.shape[1] + 2))
    if sp.issparse(relevance):
        gains = np.asarray(relevance[np.arange(ranked.shape[0])[:, None], ranked].todense(), dtype=np.float64)
        ideal_gains = _top_values(relevance, ranked.shape[1])
        relevant_counts = np.diff(relevance.indptr)
    else:
        gains = np.take_along_axis(relevance, ranked, axis=1)
        ideal_gains = -np.sort(-relevance, axis=1)[:, : ranked.shape[1]]
        relevant_counts = (relevance > 0).sum(axis=1)
    hits = gains > 0
    dcg = ((2.0**gains - 1.0) * discounts).sum(axis=1)
    idcg = ((2.0**ideal_gains - 1.0) * discounts).sum(axis=1)
    ndcg = dcg / idcg
    recall = hits.sum(axis=1) / relevant_counts
    return RankingMetrics(
        precision=float(hits.sum(axis=1).mean() / k),
        recall=float(recall.mean()),
        ndcg=float(ndcg.mean()),
        hit_rate=float(hits.any(axis=1).mean()),
        rows=int(evaluated.sum()),
        per_row_ndcg=ndcg,
        per_row_recall=recall,
    )


def _top_values(matrix: sp.csr_matrix, k: int) -> np.ndarray:
    """Each row's ``k`` largest stored values, descending, padded with zeros."""
    result = np.zeros((matrix.shape[0], k))
    for row in range(matrix.shape[0]):
        values = np.sort(matrix.data[matrix.indptr[row] : matrix.indptr[row + 1]])[::-1][:k]
        result[row, : len(values)] = values
    return result


def recall_at(scores: np.ndarray, relevant: sp.csr_matrix | np.ndarray, k: int) -> float:
    """Mean share of each row's relevant candidates found in its top ``k`` (buyer discovery)."""
    return ranking_metrics(scores, (relevant > 0).astype(np.float64), k).recall
