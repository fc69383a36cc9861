"""The learned second stage: a LambdaRank re-ranker per investor and a buyer classifier per listing.

The first stage (``HybridRecommender``) retrieves; this stage orders what it retrieved.

- investor → packages: LightGBM LambdaRank over each investor's top few hundred first-stage
  candidates, trained on graded relevance (bid 3, data-room request 2, favorite 1), because
  what an investor sees first is a ranking question.
- package → investors: a binary LightGBM model of P(bid | investor, package) over eligible
  investors with negatives subsampled, because finding the buyers of one listing compares
  investors with each other, and a re-ranker of one investor's list cannot do that.

Both models are kept in LightGBM's text format (no pickle) with the feature names they were
trained on; ``to_arrays``/``from_arrays`` put them inside the model's ``.npz`` artifact.
``rerank`` and ``rank_buyers`` are the entry points the serving kernel calls with a block of
first-stage candidates and their first-stage scores.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from recommender.artifact import read_arrays, text_array, write_arrays
from recommender.errors import ArtifactError
from recommender.second_stage.context import InvestorContext, PackageContext
from recommender.second_stage.features import CATEGORICAL_FEATURES, FEATURE_NAMES, FirstStage, cross_features

Ranked = list[tuple[str, float]]
ARRAY_PREFIX = "second_stage"


@dataclass(frozen=True)
class SecondStageParams:
    """LightGBM settings and candidate sizes; saved with the model."""

    candidates: int = 300  # first-stage packages re-ranked per investor
    buyer_candidates: int = 300  # first-stage investors re-scored per listing
    negatives_per_positive: int = 20  # buyer classifier: non-bidders kept per bidder
    # 100 trees of 15 leaves: re-ranking 300 candidates costs about 1.2 ms of tree walking
    # (benchmarks/bench_second_stage.py). 200 trees of 31 at 0.05 cost 3.6 ms and measured
    # NDCG@10 0.128 / buyer recall@50 0.770 against 0.132 / 0.751 here (seed 11, all window
    # listings for both models): no clear gain.
    rounds: int = 100
    learning_rate: float = 0.1
    num_leaves: int = 15
    min_data_in_leaf: int = 50
    feature_fraction: float = 0.8
    bagging_fraction: float = 0.8
    lambda_l2: float = 1.0
    random_state: int = 0
    num_threads: int = 1

    def lightgbm(self, objective: str) -> dict[str, Any]:
        params: dict[str, Any] = {
            "objective": objective,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": 1,
            "lambda_l2": self.lambda_l2,
            "seed": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.num_threads,
            "verbosity": -1,
        }
        if objective == "lambdarank":
            params.update(lambdarank_truncation_level=30, eval_at=[10])
        return params


@dataclass(frozen=True)
class Examples:
    """Training rows: features, labels, and for ranking the size of each query's block."""

    features: np.ndarray
    labels: np.ndarray
    groups: np.ndarray  # rows per query, in row order (ranking); empty for the classifier

    @classmethod
    def concat(cls, parts: Sequence[Examples]) -> Examples:
        return cls(
            np.vstack([p.features for p in parts]) if parts else np.empty((0, len(FEATURE_NAMES)), "f4"),
            np.concatenate([p.labels for p in parts]) if parts else np.empty(0),
            np.concatenate([p.groups for p in parts]) if parts else np.empty(0, np.int64),
        )


class SecondStage:
    """Two fitted boosters and the feature names they read."""

    def __init__(self, ranker: lgb.Booster, buyers: lgb.Booster, params: SecondStageParams) -> None:
        for name, booster in (("ranker", ranker), ("buyer classifier", buyers)):
            if tuple(booster.feature_name()) != FEATURE_NAMES:
                raise ArtifactError(
                    f"second-stage {name} was trained on other features than this code computes "
                    f"({len(booster.feature_name())} against {len(FEATURE_NAMES)})"
                )
        self.ranker = ranker
        self.buyers = buyers
        self.params = params
        self.feature_names = FEATURE_NAMES

    # ----------------------------------------------------------------------------- fitting
    @classmethod
    def fit(cls, ranking: Examples, buyers: Examples, params: SecondStageParams | None = None) -> SecondStage:
        """Train the re-ranker on ``ranking`` (grouped by query) and the classifier on ``buyers``."""
        params = params or SecondStageParams()
        if not len(ranking.labels) or not (ranking.labels > 0).any():
            raise ValueError("no relevant candidate in the ranking examples: nothing to learn from")
        if not (buyers.labels > 0).any():
            raise ValueError("no bidder in the buyer examples: nothing to learn from")
        names, categorical = list(FEATURE_NAMES), list(CATEGORICAL_FEATURES)
        ranker = lgb.train(
            params.lightgbm("lambdarank"),
            lgb.Dataset(ranking.features, ranking.labels.astype(np.int32), group=ranking.groups,
                        feature_name=names, categorical_feature=categorical, free_raw_data=True),
            num_boost_round=params.rounds,
        )
        classifier = lgb.train(
            params.lightgbm("binary"),
            lgb.Dataset(buyers.features, buyers.labels.astype(np.float32), feature_name=names,
                        categorical_feature=categorical, free_raw_data=True),
            num_boost_round=params.rounds,
        )
        return cls(ranker, classifier, params)

    # --------------------------------------------------------------------- scoring
    def ranker_scores(self, features: np.ndarray) -> np.ndarray:
        return self.ranker.predict(features, num_threads=1)

    def buyer_probabilities(self, features: np.ndarray) -> np.ndarray:
        return self.buyers.predict(features, num_threads=1)

    def rerank(
        self,
        investors: InvestorContext,
        packages: PackageContext,
        investor_id: str,
        package_ids: Sequence[str],
        first_stage_scores: np.ndarray,
        k: int | None = None,
    ) -> Ranked:
        """One investor's first-stage candidates, re-ordered best first, with second-stage scores.

        The entry point for the serving kernel: pass the block the first stage retrieved (any
        order) and its scores; ``k`` cuts the result.
        """
        package_rows = packages.ids.rows(package_ids, "package")
        investor_rows = np.full(len(package_rows), investors.ids.row(investor_id, "investor"))
        stages = FirstStage.of_block(first_stage_scores)
        features = cross_features(investors, packages, investor_rows, package_rows, stages)
        scores = self.ranker_scores(features)
        order = best_first(scores, first_stage_scores)[: k if k is not None else len(scores)]
        return [(package_ids[j], float(scores[j])) for j in order.tolist()]

    def rank_buyers(
        self,
        investors: InvestorContext,
        packages: PackageContext,
        package_id: str,
        investor_ids: Sequence[str],
        first_stage_scores: np.ndarray,
        k: int | None = None,
    ) -> Ranked:
        """One listing's first-stage buyer candidates ordered by P(bid), with the probabilities."""
        investor_rows = investors.ids.rows(investor_ids, "investor")
        package_rows = np.full(len(investor_rows), packages.ids.row(package_id, "package"))
        stages = FirstStage.of_block(first_stage_scores)
        features = cross_features(investors, packages, investor_rows, package_rows, stages)
        probabilities = self.buyer_probabilities(features)
        order = best_first(probabilities, first_stage_scores)[: k if k is not None else len(probabilities)]
        return [(investor_ids[j], float(probabilities[j])) for j in order.tolist()]

    # ------------------------------------------------------------------ persistence
    def to_arrays(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Metadata and text arrays to store inside a model artifact (``write_arrays``)."""
        arrays = {
            f"{ARRAY_PREFIX}_ranker": text_array([self.ranker.model_to_string()]),
            f"{ARRAY_PREFIX}_buyers": text_array([self.buyers.model_to_string()]),
            f"{ARRAY_PREFIX}_feature_names": text_array(self.feature_names),
        }
        return {ARRAY_PREFIX: {"params": asdict(self.params)}}, arrays

    @classmethod
    def from_arrays(cls, metadata: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> SecondStage:
        """Rebuild from ``to_arrays`` output; refuses a model trained on other features."""
        try:
            names = tuple(arrays[f"{ARRAY_PREFIX}_feature_names"].tolist())
            ranker_text = str(arrays[f"{ARRAY_PREFIX}_ranker"][0])
            buyers_text = str(arrays[f"{ARRAY_PREFIX}_buyers"][0])
            params = SecondStageParams(**metadata[ARRAY_PREFIX]["params"])
        except (KeyError, IndexError, TypeError) as error:
            raise ArtifactError(f"artifact has no usable second stage: {error}") from error
        if names != FEATURE_NAMES:
            raise ArtifactError(
                "second stage was saved with other feature names than this code computes: "
                + json.dumps(sorted(set(names) ^ set(FEATURE_NAMES)))
            )
        try:
            ranker, buyers = lgb.Booster(model_str=ranker_text), lgb.Booster(model_str=buyers_text)
        except lgb.basic.LightGBMError as error:
            raise ArtifactError(f"second-stage model text is unreadable: {error}") from error
        return cls(ranker, buyers, params)

    def save(self, path: Path) -> None:
        """Write this stage alone as an artifact (the model version stores it beside the first stage)."""
        metadata, arrays = self.to_arrays()
        write_arrays(path, metadata, arrays)

    @classmethod
    def load(cls, path: Path) -> SecondStage:
        metadata, arrays = read_arrays(path)
        return cls.from_arrays(metadata, arrays)


def best_first(learned: np.ndarray, first_stage: np.ndarray) -> np.ndarray:
    """Positions by learned score, ties (trees give many) broken by the first stage's score."""
    return np.lexsort((-np.asarray(first_stage, dtype=np.float64), -learned))
