"""The content half of the hybrid: LightFM with investor and package features.

Packages carry no identity feature: every listing the model will ever rank is new, so all of
what LightFM learns about packages must live in their content features. Investors carry an
identity feature (their own taste) beside their profile features (what a new investor has).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from lightfm import LightFM

from recommender.errors import NotFittedError


@dataclass(frozen=True)
class LightFMParams:
    """LightFM hyperparameters (tuned on a validation split, see ``recommender.tuning``)."""

    components: int = 48
    epochs: int = 20
    learning_rate: float = 0.05
    item_alpha: float = 1e-6
    user_alpha: float = 1e-6
    max_sampled: int = 30
    loss: str = "warp"


class LightFMPart:
    """Feature embeddings and biases learned by LightFM, usable for rows it never saw."""

    def __init__(self, params: LightFMParams) -> None:
        self.params = params
        self.user_feature_embeddings: np.ndarray | None = None
        self.user_feature_biases: np.ndarray | None = None
        self.item_feature_embeddings: np.ndarray | None = None
        self.item_feature_biases: np.ndarray | None = None

    def fit(
        self,
        positives: sp.csr_matrix,
        user_features: sp.csr_matrix,
        item_features: sp.csr_matrix,
        random_state: int,
        num_threads: int = 1,
        on_epoch: Callable[[int], None] | None = None,
    ) -> LightFMPart:
        """Learn from the positive investor × package evidence (values are sample weights).

        Epochs run one ``fit_partial`` call at a time (the same updates as one ``fit`` call with
        the same seed), so ``on_epoch`` can report each finished epoch: at market scale an epoch
        takes half a minute.
        """
        params = self.params
        model = LightFM(
            no_components=params.components,
            loss=params.loss,
            learning_rate=params.learning_rate,
            item_alpha=params.item_alpha,
            user_alpha=params.user_alpha,
            max_sampled=params.max_sampled,
            random_state=np.random.RandomState(random_state),
        )
        user_features = sp.csr_matrix(user_features, dtype=np.float32)
        item_features = sp.csr_matrix(item_features, dtype=np.float32)
        coo = positives.tocoo()
        interactions = sp.coo_matrix((np.ones_like(coo.data), (coo.row, coo.col)), shape=coo.shape)
        weights = coo.astype(np.float32)
        for epoch in range(1, params.epochs + 1):
            model.fit_partial(
                interactions,
                user_features=user_features,
                item_features=item_features,
                sample_weight=weights,
                epochs=1,
                num_threads=num_threads,
            )
            if on_epoch is not None:
                on_epoch(epoch)
        self.user_feature_embeddings = model.user_embeddings.astype(np.float32)
        self.user_feature_biases = model.user_biases.astype(np.float32)
        self.item_feature_embeddings = model.item_embeddings.astype(np.float32)
        self.item_feature_biases = model.item_biases.astype(np.float32)
        return self

    def user_representations(self, user_features: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """(biases, embeddings) of investors described by feature rows."""
        if self.user_feature_embeddings is None or self.user_feature_biases is None:
            raise NotFittedError("LightFM part")
        return (
            np.asarray(user_features @ self.user_feature_biases, dtype=np.float32).ravel(),
            np.asarray(user_features @ self.user_feature_embeddings, dtype=np.float32),
        )

    def item_representations(self, item_features: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """(biases, embeddings) of packages described by feature rows."""
        if self.item_feature_embeddings is None or self.item_feature_biases is None:
            raise NotFittedError("LightFM part")
        return (
            np.asarray(item_features @ self.item_feature_biases, dtype=np.float32).ravel(),
            np.asarray(item_features @ self.item_feature_embeddings, dtype=np.float32),
        )
