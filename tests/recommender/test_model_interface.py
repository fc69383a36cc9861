"""Every model speaks one interface: the hybrid and the baselines are scored, retrieved and saved alike.

An evaluation holds "a model" and nothing else: fitted, it scores and retrieves by external id
in both directions with an allowed set, and saves and loads as one artifact. A model that cannot
do something (a baseline placing a new listing) says so by name instead of answering wrongly.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.csv_reader import read_market
from recommender.base import Recommender, UnsupportedError
from recommender.errors import ArtifactError, NotFittedError, UnknownIdError
from recommender.evaluation.baselines import (
    PopularityBaseline,
    RandomBaseline,
    StatedPreferenceBaseline,
    popularity_scores,
    random_scores,
)
from recommender.evaluation.market_report import model_scores
from recommender.evaluation.split import MarketSplit, time_split
from recommender.hybrid import HybridRecommender
from tests.conftest import SAMPLE_MARKET
from tests.recommender.test_hybrid_contract import fitted_model


@pytest.fixture(scope="module")
def split() -> MarketSplit:
    market = read_market(SAMPLE_MARKET)
    cutoff = pd.Timestamp(market.packages["listed_at"].max()).to_pydatetime() - timedelta(days=90)
    return time_split(market.investors, market.packages, market.events, cutoff)


def _ids(split: MarketSplit) -> tuple[list[str], list[str], list[str]]:
    return (
        split.test_investor_ids.external_ids.tolist(),
        split.test_packages["package_id"].tolist(),
        split.buyer_investor_ids.external_ids.tolist(),
    )


def test_a_baseline_fitted_on_a_split_scores_as_its_scorer_did(split: MarketSplit) -> None:
    """The market report's numbers cannot move: a baseline model serves its scorer's own tables."""
    for model, (investor_scores, buyer_scores) in (
        (RandomBaseline(3).fit(split), random_scores(split, 3)),
        (PopularityBaseline("asset_type_region").fit(split), popularity_scores(split, "asset_type_region")),
    ):
        got_investors, got_buyers = model_scores(model, split)
        np.testing.assert_array_equal(got_investors, investor_scores)
        np.testing.assert_array_equal(got_buyers, buyer_scores)


def test_generic_retrieval_ranks_by_score_within_the_allowed_set_in_both_directions(split: MarketSplit) -> None:
    model = StatedPreferenceBaseline().fit(split)
    investors, packages, buyers = _ids(split)
    investor = investors[0]
    allowed = packages[::2]
    excluded = {investor: [allowed[0]]}
    ranked = model.recommend([investor], 5, allowed_packages=allowed, exclude=excluded)[0]
    scores = dict(zip(packages, model.score([investor], packages)[0], strict=True))
    expected = sorted((p for p in allowed if p != allowed[0]), key=lambda p: -scores[p])[:5]
    assert [p for p, _ in ranked] == expected
    assert all(score == scores[p] for p, score in ranked)
    found = model.buyers([packages[0]], 7, allowed_investors=buyers[:50])[0]
    buyer_scores = dict(zip(buyers, model.score_buyers([packages[0]], buyers)[0], strict=True))
    assert [b for b, _ in found] == sorted(buyers[:50], key=lambda b: -buyer_scores[b])[:7]


def test_a_baseline_saves_and_loads_as_one_artifact(split: MarketSplit, tmp_path: Path) -> None:
    model = PopularityBaseline().fit(split)
    model.save(tmp_path / "popularity.npz")
    loaded = PopularityBaseline.load(tmp_path / "popularity.npz")
    for got, want in zip(model_scores(loaded, split), model_scores(model, split), strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ArtifactError, match="not a RandomBaseline artifact"):
        RandomBaseline.load(tmp_path / "popularity.npz")


def test_what_a_model_cannot_do_is_refused_by_name(split: MarketSplit) -> None:
    with pytest.raises(NotFittedError, match="RandomBaseline"):
        RandomBaseline().score(["a"], ["b"])
    model = RandomBaseline().fit(split)
    with pytest.raises(UnsupportedError, match="RandomBaseline cannot fold in new packages"):
        model.add_packages(["new"], [{"type=x": 1.0}])
    with pytest.raises(UnknownIdError, match="unknown package 'nope'"):
        model.score(_ids(split)[0][:1], ["nope"])


def test_the_hybrid_retrieves_through_the_interface_as_the_generic_form_would() -> None:
    """FAISS retrieval is an optimisation of the interface's retrieval, not another answer."""
    model: Recommender = fitted_model()  # type: ignore[type-arg]
    investors = ["north-inv-0", "south-inv-4"]
    fast = model.recommend(investors, 2, exclude={"north-inv-0": ["new-north"]})
    generic = Recommender.recommend(model, investors, 2, exclude={"north-inv-0": ["new-north"]})
    assert [[p for p, _ in r] for r in fast] == [[p for p, _ in r] for r in generic]
    for got, want in zip(fast, generic, strict=True):
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-5)
    assert isinstance(model, HybridRecommender)
    model.add_packages(["late"], [{"type=north": 1.0}])
    assert "late" in model.known_packages()
