"""The evaluation harness reads any data set through the loader interface.

A toy data set that is not MovieLens (its own feature names and sizes) whose most liked items
are the last columns: popularity must rank by the interactions, never by column order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recommender.evaluation.datasets import DatasetError, DatasetLoader, ImplicitDataset
from recommender.evaluation.metrics import top_k
from recommender.evaluation.movielens import family_choices, model_specs, render_report, run_protocol
from recommender.evaluation.movielens_data import MovieLensLoader
from recommender.evaluation.movielens_models import popularity_scores
from recommender.evaluation.movielens_protocols import RankingSplit

N_USERS, N_ITEMS = 40, 12


def toy_dataset(item_features: list[dict[str, float]] | None = None) -> ImplicitDataset:
    """Items 0..11; item k is liked by about 3k users, so popularity rises with the column."""
    rng = np.random.default_rng(0)
    pairs = [(u, i) for i in range(N_ITEMS) for u in rng.choice(N_USERS, size=min(3 * i + 1, N_USERS), replace=False)]
    interactions = pd.DataFrame(pairs, columns=["user_id", "item_id"]).assign(timestamp=np.arange(len(pairs)))
    rows = item_features or [{f"shelf={'top' if i >= N_ITEMS // 2 else 'bottom'}": 1.0} for i in range(N_ITEMS)]
    return ImplicitDataset(
        name="Toy shop",
        user_ids=np.arange(N_USERS),
        item_ids=np.arange(N_ITEMS),
        interactions=interactions,
        user_features=[{f"region={u % 3}": 1.0} for u in range(N_USERS)],
        item_features=rows,
    )


@dataclass(frozen=True)
class ToyLoader:
    name: str = "Toy shop"

    def load(self) -> ImplicitDataset:
        return toy_dataset()


def _split(protocol: str, train_items: np.ndarray, candidates: np.ndarray, data: ImplicitDataset) -> RankingSplit:
    keep = np.zeros(N_ITEMS, dtype=np.float32)
    keep[train_items] = 1.0
    train = sp.csr_matrix(data.positives @ sp.diags(keep), dtype=np.float32)
    empty = sp.csr_matrix((N_USERS, len(candidates)), dtype=np.float32)
    return RankingSplit(protocol, train, train_items, candidates, empty, empty)


def test_loaders_implement_the_protocol() -> None:
    assert isinstance(ToyLoader(), DatasetLoader)
    assert isinstance(MovieLensLoader("/nowhere"), DatasetLoader)  # type: ignore[arg-type]
    data = ToyLoader().load()
    assert data.item_feature_families == ("shelf",) and data.user_feature_families == ("region",)
    assert data.positives.shape == (N_USERS, N_ITEMS)


def test_warm_popularity_ranks_by_interactions_not_column_order() -> None:
    data = toy_dataset()
    everything = np.arange(N_ITEMS)
    scores = popularity_scores(data, _split("warm", everything, everything, data), {}, 0)
    assert top_k(scores, 3)[0].tolist() == [11, 10, 9]


def test_cold_popularity_uses_the_data_sets_own_feature_families() -> None:
    data = toy_dataset()
    cold = np.array([0, 11])  # a bottom-shelf and a top-shelf item, both unseen
    train_items = np.setdiff1d(np.arange(N_ITEMS), cold)
    split = _split("cold", train_items, cold, data)
    scores = popularity_scores(data, split, {"features": "shelf", "aggregate": "mean"}, 0)
    assert top_k(scores, 1)[0].tolist() == [1]  # the top-shelf item, though it is the later column
    with pytest.raises(ValueError, match="genre"):
        popularity_scores(data, split, {"features": "genre", "aggregate": "mean"}, 0)


def test_the_compared_models_follow_the_data_set() -> None:
    assert family_choices(("genre", "decade")) == ("genre", "decade", "genre+decade")
    toy = {spec.name: spec for spec in model_specs(("shelf",))}
    assert toy["Popularity"].grids["cold"]["features"] == ("shelf",)
    assert not {spec.name: spec for spec in model_specs(())}["Popularity"].supports("cold")


def test_the_harness_runs_and_reports_another_data_set() -> None:
    data = toy_dataset()
    outcomes = [o for protocol in ("warm", "cold") for o in run_protocol(data, protocol, seed=0, budget=1)]
    assert {o.model for o in outcomes if o.protocol == "cold"} >= {"Popularity", "LightFM hybrid"}
    report = render_report(outcomes, [0], 1, 1.0, data)
    assert report.startswith("# Toy shop evaluation")
    assert f"{N_USERS:,} users, {N_ITEMS:,} items" in report and "`shelf`" in report


def test_inconsistent_data_sets_are_refused() -> None:
    with pytest.raises(DatasetError, match="item_id"):
        ImplicitDataset(
            "bad", np.arange(2), np.arange(2),
            pd.DataFrame({"user_id": [0], "item_id": [7], "timestamp": [0]}),
            [{}, {}], [{}, {}],
        )
    with pytest.raises(DatasetError, match="timestamp"):
        ImplicitDataset(
            "bad", np.arange(2), np.arange(2), pd.DataFrame({"user_id": [0], "item_id": [1]}), [{}, {}], [{}, {}]
        )
