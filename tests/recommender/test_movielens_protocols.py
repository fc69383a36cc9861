"""The MovieLens split logic on a tiny synthetic ratings frame: fractions, leakage, reproducibility."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recommender.evaluation.movielens import configurations, evaluate
from recommender.evaluation.movielens_data import (
    DatasetMissingError,
    item_feature_row,
    load_movielens,
    positive_matrix,
    user_feature_row,
)
from recommender.evaluation.movielens_protocols import (
    cold_item_split,
    held_out_count,
    split_for,
    validation_split,
    warm_split,
)

N_USERS = 30
N_ITEMS = 50


def synthetic_positives(seed: int = 7) -> sp.csr_matrix:
    """A ratings frame of 30 users × 50 items, made positive at rating >= 4 by the real loader."""
    rng = np.random.default_rng(seed)
    pairs = [(u, i) for u in range(1, N_USERS + 1) for i in range(1, N_ITEMS + 1) if rng.random() < 0.4]
    ratings = pd.DataFrame(pairs, columns=["user_id", "item_id"]).assign(
        rating=rng.integers(1, 6, len(pairs)), timestamp=0
    )
    return positive_matrix(ratings, np.arange(1, N_USERS + 1), np.arange(1, N_ITEMS + 1))


def pairs(matrix: sp.csr_matrix) -> set[tuple[int, int]]:
    coo = matrix.tocoo()
    return set(zip(coo.row.tolist(), coo.col.tolist(), strict=True))


def test_only_ratings_of_four_and_up_are_positive() -> None:
    ratings = pd.DataFrame(
        {"user_id": [1, 1, 2, 2], "item_id": [1, 2, 1, 2], "rating": [5, 3, 4, 1], "timestamp": 0}
    )
    matrix = positive_matrix(ratings, np.array([1, 2]), np.array([1, 2]))
    assert pairs(matrix) == {(0, 0), (1, 0)}
    assert set(matrix.data.tolist()) == {1.0}


def test_warm_split_holds_out_a_fifth_of_each_users_positives() -> None:
    positives = synthetic_positives()
    split = warm_split(positives, seed=0)
    per_user = np.diff(positives.indptr)
    assert np.array_equal(np.diff(split.test.indptr), [held_out_count(n, 0.2) for n in per_user])
    assert pairs(split.train) | pairs(split.test) == pairs(positives)
    assert not pairs(split.train) & pairs(split.test)


def test_warm_split_excludes_exactly_the_training_positives_from_ranking() -> None:
    split = warm_split(synthetic_positives(), seed=0)
    assert pairs(split.exclude) == pairs(split.train)
    assert np.array_equal(split.candidates, np.arange(N_ITEMS))


@pytest.mark.parametrize(("n_positives", "held"), [(1, 0), (2, 0), (3, 1), (10, 2), (12, 2), (13, 3)])
def test_held_out_count_rounds_a_fifth_half_up(n_positives: int, held: int) -> None:
    assert held_out_count(n_positives, 0.2) == held


def test_cold_split_holds_out_a_fifth_of_items_entirely() -> None:
    positives = synthetic_positives()
    split = cold_item_split(positives, seed=0)
    assert len(split.candidates) == held_out_count(N_ITEMS, 0.2)
    assert not set(split.candidates.tolist()) & set(split.train_items.tolist())
    assert sorted([*split.candidates.tolist(), *split.train_items.tolist()]) == list(range(N_ITEMS))
    trained_on = set(sp.csr_matrix(split.train).tocoo().col.tolist())
    assert not trained_on & set(split.candidates.tolist()), "a held-out item leaked into training"
    assert split.test.sum() == positives[:, split.candidates].sum()
    assert split.train.sum() + split.test.sum() == positives.sum()
    assert split.exclude.nnz == 0


def test_cold_validation_draws_its_items_among_training_items_only() -> None:
    split = cold_item_split(synthetic_positives(), seed=1)
    validation = validation_split(split, seed=1)
    assert set(validation.candidates.tolist()) <= set(split.train_items.tolist())
    assert set(validation.train_items.tolist()) <= set(split.train_items.tolist())
    assert not set(validation.candidates.tolist()) & set(validation.train_items.tolist())
    test_columns = split.train[:, split.candidates]
    assert validation.train[:, split.candidates].nnz == test_columns.nnz == 0
    trained_on = set(validation.train.tocoo().col.tolist())
    assert not trained_on & set(validation.candidates.tolist())


def test_warm_validation_is_carved_from_training_pairs_only() -> None:
    split = warm_split(synthetic_positives(), seed=2)
    validation = validation_split(split, seed=2)
    assert pairs(validation.train) | pairs(validation.test) == pairs(split.train)
    assert not pairs(validation.test) & pairs(split.test)


@pytest.mark.parametrize("protocol", ["warm", "cold"])
def test_a_seed_gives_the_same_split_and_another_seed_a_different_one(protocol: str) -> None:
    positives = synthetic_positives()
    first, again, other = (split_for(protocol, positives, seed) for seed in (3, 3, 4))
    assert pairs(first.test) == pairs(again.test)
    assert np.array_equal(first.candidates, again.candidates)
    assert pairs(first.test) != pairs(other.test)


def test_an_unknown_protocol_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="'lukewarm'"):
        split_for("lukewarm", synthetic_positives(), 0)


def test_excluded_candidates_never_reach_the_top_k() -> None:
    split = warm_split(synthetic_positives(), seed=0)
    # Scores that put every training positive first would be perfect without the exclusion.
    scores = split.train.toarray() * 10.0 + split.test.toarray()
    ndcg, precision, _ = evaluate(scores, split, k=3)
    assert ndcg == pytest.approx(1.0)
    assert precision > 0


def test_the_search_gives_every_model_the_same_number_of_tries() -> None:
    grid = {"a": (1, 2, 3), "b": (4, 5, 6, 7)}
    assert len(configurations(grid, budget=5, seed=0)) == 5
    assert configurations(grid, budget=5, seed=0) == configurations(grid, budget=5, seed=0)
    assert len(configurations(grid, budget=100, seed=0)) == 12
    assert configurations({}, budget=5, seed=0) == [{}]


def test_feature_rows_have_the_documented_shape() -> None:
    user = user_feature_row({"age": 29, "gender": "M", "occupation": "engineer"})
    assert user == {"age=25-34": 1.0, "gender=M": 1.0, "occupation=engineer": 1.0}
    flags = {genre: 0 for genre in ("unknown", "Action", "Comedy", "Drama")}
    item = item_feature_row({**flags, "Comedy": 1, "Drama": 1, "release_date": "01-Jan-1995"}, ("Comedy", "Drama"))
    assert item == {"genre=Comedy": 1.0, "genre=Drama": 1.0, "decade=1990s": 1.0}


def test_a_missing_dataset_folder_is_named_in_the_error(tmp_path: Path) -> None:
    missing = tmp_path / "ml-100k"
    with pytest.raises(DatasetMissingError, match="ml-100k"):
        load_movielens(missing)
    missing.mkdir()
    (missing / "u.data").write_text("")
    with pytest.raises(DatasetMissingError, match="u.user"):
        load_movielens(missing)
