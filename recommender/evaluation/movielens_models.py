"""The models compared on MovieLens (or any ``ImplicitDataset``), each a ``Recommender``.

A ``ModelSpec`` builds its model for a configuration and seed (``spec.model(params, seed)``);
the model is fitted on a ``RankingTraining`` (the data set and a split) and scored by external
ids like every other model (``ranking_scores``). The library rivals are each a scorer function
``score(data, split, params, seed) -> users × candidates``, served as a score table; ours is
``HybridRecommender`` itself, driven through the model interface in ``hybrid_scores``.

Every model learns from ``split.train`` restricted to ``split.train_items`` and scores
``split.candidates``; nothing else of the split is visible to it. The baselines are the usual
ones a recommender paper is held to (popularity, implicit's ALS and BPR, LightFM with and
without features), each wrapped as thinly as possible so their own defaults and tricks apply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking
from lightfm import LightFM
from threadpoolctl import threadpool_limits

from recommender.als_part import ALSParams
from recommender.base import Recommender
from recommender.evaluation.datasets import ImplicitDataset
from recommender.evaluation.movielens_protocols import RankingSplit
from recommender.hybrid import HybridConfig, HybridRecommender, TrainingSet
from recommender.idmap import IdMap
from recommender.lightfm_part import LightFMParams
from recommender.score_table import ScoreTableModel, ScoreTables
from recommender.vocabulary import FeatureVocabulary

Params = Mapping[str, Any]
Scorer = Callable[[ImplicitDataset, RankingSplit, Params, int], np.ndarray]
OUR_MODEL = "AssetMatch hybrid (ours)"


@dataclass(frozen=True)
class ModelSpec:
    """A named model, the protocols it can take part in, and its tuning grid per protocol."""

    name: str
    score: Scorer
    grids: Mapping[str, Mapping[str, Sequence[Any]]]

    def supports(self, protocol: str) -> bool:
        return protocol in self.grids

    def model(self, params: Params, seed: int) -> Recommender[RankingTraining]:
        """The model of one configuration, unfitted."""
        return ScorerModel(self.score, params, seed)


@dataclass(frozen=True)
class RankingTraining:
    """What a MovieLens model is fitted on: the data set and a split (it sees only the train part)."""

    data: ImplicitDataset
    split: RankingSplit

    def user_ids(self) -> list[str]:
        return [str(u) for u in self.data.user_ids]

    def candidate_ids(self) -> list[str]:
        return [str(i) for i in self.data.item_ids[self.split.candidates]]


class ScorerModel(ScoreTableModel[RankingTraining]):
    """A scorer function as a model: fitting scores every user × candidate of the split."""

    def __init__(self, scorer: Scorer | None = None, params: Params | None = None, seed: int = 0) -> None:
        self.scorer = scorer
        self.params = dict(params or {})
        self.seed = seed

    def _tables(self, training: RankingTraining) -> ScoreTables:
        if self.scorer is None:
            raise ValueError("a scorer model needs its scorer to fit")
        scores = self.scorer(training.data, training.split, self.params, self.seed)
        return ScoreTables(IdMap(training.user_ids()), IdMap(training.candidate_ids()), scores)


def ranking_scores(model: Recommender[RankingTraining], training: RankingTraining) -> np.ndarray:
    """A fitted model's users × candidates scores on its split, by external ids."""
    return model.score(training.user_ids(), training.candidate_ids())


# ------------------------------------------------------------------------------- popularity
def popularity_scores(data: ImplicitDataset, split: RankingSplit, params: Params, seed: int) -> np.ndarray:
    """Warm: how many users liked each item. Cold: how liked the item's features (genres, decade) are.

    A cold item has no count of its own, so it borrows the mean count of training items that
    share a feature; ``features`` picks the feature families (``+``-joined, from the data set's
    own ``item_feature_families``), ``aggregate`` how an item with several features combines them.
    Every score comes from the training interactions: families no candidate carries are an error,
    not a silent tie that would rank items by their column order.
    """
    train = split.train[:, split.train_items]
    counts = np.asarray(train.sum(axis=0)).ravel()
    n_users = split.train.shape[0]
    if split.protocol == "warm":
        item_scores = np.zeros(split.train.shape[1])
        item_scores[split.train_items] = counts
        return np.tile(item_scores[split.candidates], (n_users, 1))
    families = params["features"].split("+")
    unknown = [family for family in families if family not in data.item_feature_families]
    if unknown:
        raise ValueError(
            f"{data.name} items have no feature family {', '.join(map(repr, unknown))} "
            f"(theirs: {', '.join(data.item_feature_families) or 'none'})"
        )
    prefixes = tuple(f"{family}=" for family in families)
    rows = [{k: v for k, v in data.item_features[i].items() if k.startswith(prefixes)} for i in split.train_items]
    vocabulary = FeatureVocabulary.from_rows(rows)
    carriers = vocabulary.encode(rows, normalize=False)
    carried = np.asarray(carriers.sum(axis=0)).ravel()
    feature_popularity = (carriers.T @ counts) / np.maximum(carried, 1.0)
    candidates = vocabulary.encode(
        [{k: v for k, v in data.item_features[i].items() if k.startswith(prefixes)} for i in split.candidates],
        normalize=False,
    ).tocsr()
    fallback = float(counts.mean())
    item_scores = np.full(len(split.candidates), fallback)
    for row in range(candidates.shape[0]):
        columns = candidates.indices[candidates.indptr[row] : candidates.indptr[row + 1]]
        if len(columns):
            values = feature_popularity[columns]
            item_scores[row] = values.max() if params["aggregate"] == "max" else values.mean()
    return np.tile(item_scores, (n_users, 1))


# ------------------------------------------------------------------------- implicit models
def als_scores(data: ImplicitDataset, split: RankingSplit, params: Params, seed: int) -> np.ndarray:
    """implicit's ALS on users × items (confidence ``1 + alpha``) - pure collaborative filtering."""
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=params["factors"], regularization=params["regularization"], alpha=params["alpha"],
            iterations=params["iterations"], random_state=seed, num_threads=1,
        )
        model.fit(_known(split), show_progress=False)
    return _dot(model.user_factors, model.item_factors, split)


def bpr_scores(data: ImplicitDataset, split: RankingSplit, params: Params, seed: int) -> np.ndarray:
    """implicit's BPR on users × items (its item factors carry a bias column)."""
    with threadpool_limits(1, "blas"):
        model = BayesianPersonalizedRanking(
            factors=params["factors"], learning_rate=params["learning_rate"],
            regularization=params["regularization"], iterations=params["iterations"], random_state=seed,
            num_threads=1,
        )
        model.fit(_known(split), show_progress=False)
    return _dot(model.user_factors, model.item_factors, split)


def _known(split: RankingSplit) -> sp.csr_matrix:
    """Training users × training items, as implicit wants it (float32 CSR)."""
    return sp.csr_matrix(split.train[:, split.train_items], dtype=np.float32)


def _dot(user_factors: np.ndarray, item_factors: np.ndarray, split: RankingSplit) -> np.ndarray:
    """Users × candidates inner products; pure CF models only score items they trained on."""
    columns = np.searchsorted(split.train_items, split.candidates)
    return np.asarray(user_factors) @ np.asarray(item_factors)[columns].T


# -------------------------------------------------------------------------------- LightFM
def lightfm_scores(data: ImplicitDataset, split: RankingSplit, params: Params, seed: int) -> np.ndarray:
    """LightFM on identities alone (``features=False``) or with user and item features.

    With features it is LightFM as its authors recommend for cold start: identity plus
    attributes per row, rows normalised to sum to one (LightFM's ``Dataset`` default), with
    the attributes weighted by ``feature_weight`` against the identity before normalising.
    Items held out entirely have no identity, so they are represented by their features alone.
    """
    n_users = split.train.shape[0]
    model = LightFM(
        no_components=params["components"], loss="warp", learning_rate=params["learning_rate"],
        item_alpha=params["alpha"], user_alpha=params["alpha"], max_sampled=params["max_sampled"],
        random_state=np.random.RandomState(seed),
    )
    interactions = _known(split).tocoo()
    if not params["features"]:
        model.fit(interactions, epochs=params["epochs"], num_threads=1)
        return _lightfm_dot(model, sp.identity(n_users, format="csr"), _item_identity(split, split.candidates))
    users = FeatureVocabulary.from_rows(data.user_features)
    items = FeatureVocabulary.from_rows([data.item_features[i] for i in split.train_items])
    weight = params["feature_weight"]
    user_matrix = _row_normalized(sp.hstack(
        [sp.identity(n_users, format="csr"), weight * users.encode(data.user_features, normalize=False)],
        format="csr",
    ))

    def item_matrix(columns: np.ndarray) -> sp.csr_matrix:
        content = weight * items.encode([data.item_features[i] for i in columns], normalize=False)
        return _row_normalized(sp.hstack([_item_identity(split, columns), content], format="csr"))

    model.fit(
        interactions, user_features=user_matrix, item_features=item_matrix(split.train_items),
        epochs=params["epochs"], num_threads=1,
    )
    return _lightfm_dot(model, user_matrix, item_matrix(split.candidates))


def _item_identity(split: RankingSplit, columns: np.ndarray) -> sp.csr_matrix:
    """One identity column per training item; rows of items it never trained on stay empty."""
    position = np.searchsorted(split.train_items, columns)
    position = np.minimum(position, len(split.train_items) - 1)
    known = split.train_items[position] == columns
    return sp.csr_matrix(
        (np.ones(int(known.sum()), dtype=np.float32), (np.flatnonzero(known), position[known])),
        shape=(len(columns), len(split.train_items)),
    )


def _row_normalized(matrix: sp.csr_matrix) -> sp.csr_matrix:
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / sums) @ matrix, dtype=np.float32)


def _lightfm_dot(model: LightFM, users: sp.csr_matrix, items: sp.csr_matrix) -> np.ndarray:
    """LightFM's score without the user bias (it does not change a user's ranking)."""
    user_embeddings = users @ model.user_embeddings
    item_embeddings = items @ model.item_embeddings
    item_biases = items @ model.item_biases
    return np.asarray(user_embeddings @ item_embeddings.T + item_biases[None, :])


# ------------------------------------------------------------------------------ our model
def hybrid_config(params: Params, protocol: str, seed: int) -> HybridConfig:
    """A ``HybridConfig`` from a flat parameter set (the tuning grid's keys)."""
    return HybridConfig(
        lightfm=LightFMParams(
            components=params["components"], epochs=params["epochs"], learning_rate=params["learning_rate"],
            item_alpha=params["alpha"], user_alpha=params["alpha"], max_sampled=params.get("max_sampled", 30),
        ),
        als=ALSParams(
            factors=params["als_factors"], regularization=params["als_regularization"],
            alpha=params["als_alpha"], iterations=params.get("als_iterations", 15),
        ),
        lightfm_weight=1.0,
        als_weight=params["als_weight"],
        activity_weight=0.0,
        investor_identity_weight=1.0,
        package_identity_weight=1.0 if protocol == "warm" else 0.0,
        # Warm items have identities: the ALS half factorises them alone (genres stay in LightFM).
        als_content_weight=0.0,
        random_state=seed,
        num_threads=1,
    )


def hybrid_scores(data: ImplicitDataset, split: RankingSplit, params: Params, seed: int) -> np.ndarray:
    """``HybridRecommender`` through its public API: fit, index the cold items, score."""
    user_ids = [str(u) for u in data.user_ids]
    train_item_ids = [str(i) for i in data.item_ids[split.train_items]]
    training = TrainingSet(
        investor_ids=IdMap(user_ids),
        package_ids=IdMap(train_item_ids),
        evidence=_known(split),
        investor_features=data.user_features,
        package_features=[data.item_features[i] for i in split.train_items],
    )
    with threadpool_limits(1, "blas"):
        model = HybridRecommender(hybrid_config(params, split.protocol, seed)).fit(training)
    candidate_ids = [str(i) for i in data.item_ids[split.candidates]]
    unseen = [i for i in candidate_ids if i not in model.package_ids]
    if unseen:
        rows = {str(data.item_ids[c]): data.item_features[c] for c in split.candidates}
        model.add_packages(unseen, [rows[i] for i in unseen])
    return model.score(user_ids, candidate_ids)
