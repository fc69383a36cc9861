"""The collaborative half of the hybrid: implicit's ALS over investors × listing features.

Packages are sold once, so an investor × package factorisation has nothing to say about the
next listing. Folding each investor's evidence onto the features of the packages it acted on
(asset type, region, city, the words of the listing …) gives a matrix whose rows persist
across listings; ALS then finds investors who act alike, and a new listing is scored through
the factors of its own features.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from recommender.errors import NotFittedError


@dataclass(frozen=True)
class ALSParams:
    """ALS hyperparameters (tuned on a validation split, see ``recommender.tuning``)."""

    factors: int = 32
    regularization: float = 0.1
    alpha: float = 20.0
    iterations: int = 15


class ALSPart:
    """Investor factors and feature factors learned by implicit's ALS."""

    def __init__(self, params: ALSParams) -> None:
        self.params = params
        self.user_factors: np.ndarray | None = None
        self.feature_factors: np.ndarray | None = None

    def fit(
        self,
        positives: sp.csr_matrix,
        item_features: sp.csr_matrix,
        random_state: int,
        num_threads: int = 1,
        on_iteration: Callable[[int], None] | None = None,
    ) -> ALSPart:
        """Factorise investor × feature evidence (confidence ``1 + alpha * evidence``).

        ``on_iteration`` is told each finished iteration (1-based), for progress reporting.
        """
        investor_features = self.fold(positives, item_features)
        # Built under the BLAS limit too: implicit checks the BLAS thread count when constructed.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.params.factors,
                regularization=self.params.regularization,
                alpha=self.params.alpha,
                iterations=self.params.iterations,
                random_state=random_state,
                num_threads=num_threads,
            )
            model.fit(investor_features, show_progress=False, callback=_iteration_callback(on_iteration))
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.feature_factors = np.asarray(model.item_factors, dtype=np.float32)
        return self

    @staticmethod
    def fold(positives: sp.csr_matrix, item_features: sp.csr_matrix) -> sp.csr_matrix:
        """Investor × feature evidence: each package's evidence spread over its features."""
        return sp.csr_matrix(positives @ item_features, dtype=np.float32)

    def item_vectors(self, item_features: sp.csr_matrix) -> np.ndarray:
        """Factors of packages described by feature rows (no retrain needed for new ones)."""
        if self.feature_factors is None:
            raise NotFittedError("ALS part")
        return np.asarray(item_features @ self.feature_factors, dtype=np.float32)

    def user_vectors_from_evidence(self, investor_features: sp.csr_matrix) -> np.ndarray:
        """Least-squares investor factors for evidence rows (the ALS user step, for new investors)."""
        if self.feature_factors is None:
            raise NotFittedError("ALS part")
        factors = self.feature_factors.astype(np.float64)
        gram = factors.T @ factors
        regularization = self.params.regularization * np.eye(factors.shape[1])
        result = np.zeros((investor_features.shape[0], factors.shape[1]), dtype=np.float32)
        for row in range(investor_features.shape[0]):
            start, end = investor_features.indptr[row], investor_features.indptr[row + 1]
            if start == end:
                continue
            columns = investor_features.indices[start:end]
            confidence = self.params.alpha * investor_features.data[start:end].astype(np.float64)
            local = factors[columns]
            lhs = gram + (local.T * confidence) @ local + regularization
            rhs = (local.T * (1.0 + confidence)).sum(axis=1)
            result[row] = np.linalg.solve(lhs, rhs)
        return result


def _iteration_callback(on_iteration: Callable[[int], None] | None) -> Callable[..., None] | None:
    """implicit's ``callback(iteration, seconds, loss)`` as a 1-based iteration count."""
    if on_iteration is None:
        return None

    def callback(iteration: int, _seconds: float, _loss: float) -> None:
        on_iteration(iteration + 1)

    return callback
