"""The second stage as the serving kernel will call it: re-rank, find buyers, persist, fold in."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.csv_reader import MarketFrames, read_market
from profiles import UnknownInvestorError, build_profiles
from recommender.artifact import read_arrays, write_arrays
from recommender.errors import ArtifactError, UnknownIdError
from recommender.second_stage import FEATURE_NAMES, FirstStage, Fold, InvestorContext, SecondStage
from recommender.second_stage.features import cross_features
from tests.conftest import SAMPLE_MARKET


def block(fold: Fold, investor_id: str, size: int = 60) -> tuple[list[str], np.ndarray]:
    """The investor's first-stage top ``size`` cold listings and their scores."""
    scores = fold.first_stage.score([investor_id], fold.window_package_ids)[0]
    top = np.argsort(-scores, kind="stable")[:size]
    return [fold.window_package_ids[j] for j in top], scores[top]


def some_investor(fold: Fold) -> str:
    return str(fold.labels["investor_id"].iloc[0])


def test_rerank_orders_the_block_by_the_learned_score(fold: Fold, stage: SecondStage) -> None:
    investor_id = some_investor(fold)
    package_ids, scores = block(fold, investor_id)
    ranked = stage.rerank(fold.investors, fold.packages, investor_id, package_ids, scores)
    assert sorted(p for p, _ in ranked) == sorted(package_ids)
    learned = [s for _, s in ranked]
    assert learned == sorted(learned, reverse=True)
    assert [p for p, _ in ranked] != package_ids  # it does re-order, not echo the first stage
    assert stage.rerank(fold.investors, fold.packages, investor_id, package_ids, scores, k=5) == ranked[:5]
    # Order of the block passed in does not matter: ranks are recomputed from the scores.
    reversed_ranked = stage.rerank(
        fold.investors, fold.packages, investor_id, package_ids[::-1], scores[::-1]
    )
    assert reversed_ranked == ranked


def test_buyers_are_ordered_by_bid_probability(fold: Fold, stage: SecondStage) -> None:
    package_id = fold.window_package_ids[0]
    investor_ids = fold.investors.ids.external_ids.tolist()[:80]
    scores = fold.first_stage.score(investor_ids, [package_id])[:, 0]
    ranked = stage.rank_buyers(fold.investors, fold.packages, package_id, investor_ids, scores, k=10)
    probabilities = [p for _, p in ranked]
    assert len(ranked) == 10 and probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probabilities)


def test_unknown_ids_are_refused_by_name(fold: Fold, stage: SecondStage) -> None:
    with pytest.raises(UnknownIdError, match="NOBODY"):
        stage.rerank(fold.investors, fold.packages, "NOBODY", fold.window_package_ids[:3], np.zeros(3))
    with pytest.raises(UnknownIdError, match="NOPKG"):
        stage.rank_buyers(fold.investors, fold.packages, "NOPKG", [some_investor(fold)], np.zeros(1))


def test_saved_inside_a_model_artifact_and_loaded_back_it_scores_identically(
    fold: Fold, stage: SecondStage, tmp_path: Path
) -> None:
    # The first stage's artifact, with the second stage's text arrays added to the same .npz.
    path = tmp_path / "model.npz"
    fold.first_stage.save(path)
    metadata, arrays = read_arrays(path)
    stage_metadata, stage_arrays = stage.to_arrays()
    write_arrays(path, {**metadata, **stage_metadata}, {**arrays, **stage_arrays})
    metadata, arrays = read_arrays(path)  # allow_pickle=False
    loaded = SecondStage.from_arrays(metadata, arrays)

    investor_id = some_investor(fold)
    package_ids, scores = block(fold, investor_id)
    assert loaded.rerank(fold.investors, fold.packages, investor_id, package_ids, scores) == stage.rerank(
        fold.investors, fold.packages, investor_id, package_ids, scores
    )
    rows = np.full(len(package_ids), fold.investors.ids.row(investor_id))
    package_rows = fold.packages.ids.rows(package_ids)
    features = cross_features(fold.investors, fold.packages, rows, package_rows, FirstStage.of_block(scores))
    np.testing.assert_array_equal(loaded.buyer_probabilities(features), stage.buyer_probabilities(features))
    assert loaded.params == stage.params


def test_a_stage_saved_with_other_features_is_refused(stage: SecondStage, tmp_path: Path) -> None:
    metadata, arrays = stage.to_arrays()
    arrays["second_stage_feature_names"] = np.array([*FEATURE_NAMES[:-1], "renamed"])
    with pytest.raises(ArtifactError, match="renamed"):
        SecondStage.from_arrays(metadata, arrays)
    with pytest.raises(ArtifactError, match="no usable second stage"):
        SecondStage.from_arrays({}, {})
    path = tmp_path / "stage.npz"
    stage.save(path)
    assert SecondStage.load(path).ranker.model_to_string() == stage.ranker.model_to_string()


def test_a_new_listing_and_a_new_investor_are_ranked_without_retraining(
    fold: Fold, stage: SecondStage
) -> None:
    market = read_market(SAMPLE_MARKET)
    listing = market.packages.iloc[[0]].assign(package_id="PKG-NEW", reserve_price_cny=1.0e7)
    fold.packages.add(listing)
    newcomer = market.investors.iloc[[0]].assign(
        investor_id="INV-NEW", registered_at=pd.Timestamp(fold.cutoff)
    )
    empty = market.events.iloc[:0]
    profiles = build_profiles(newcomer, market.packages.iloc[:0], empty, fold.cutoff)
    investors = fold.investors.extended(InvestorContext.build(profiles, market.packages, empty, fold.cutoff))

    package_ids = ["PKG-NEW", *fold.window_package_ids[:20]]
    ranked = stage.rerank(investors, fold.packages, "INV-NEW", package_ids, np.linspace(1.0, 0.0, 21))
    assert sorted(p for p, _ in ranked) == sorted(package_ids)
    features = cross_features(
        investors, fold.packages,
        np.array([investors.ids.row("INV-NEW")]), np.array([fold.packages.ids.row("PKG-NEW")]),
        FirstStage.of_block(np.zeros(1)),
    )[0]
    values = dict(zip(FEATURE_NAMES, features.tolist(), strict=True))
    assert values["is_cold"] == 1.0 and values["bids_asset_type_year"] == 0.0
    assert values["log_reserve"] == pytest.approx(np.log(1.0e7), rel=1e-6)
    with pytest.raises(ValueError, match="INV-NEW"):
        investors.extended(InvestorContext.build(profiles, market.packages, empty, fold.cutoff))


def test_an_edited_listing_is_read_as_it_is_now(fold: Fold) -> None:
    market = read_market(SAMPLE_MARKET)
    package_id = fold.window_package_ids[0]
    row = fold.packages.ids.row(package_id)
    listing = market.packages[market.packages["package_id"] == package_id].assign(dd_completeness=1.0)
    before = len(fold.packages)
    fold.packages.add(listing)
    assert len(fold.packages) == before and fold.packages.numbers["dd_completeness"][row] == 1.0


def test_contexts_only_count_events_before_now(market: MarketFrames, cutoff: datetime, fold: Fold) -> None:
    profiles = build_profiles(market.investors, market.packages, market.events, cutoff)
    everything = InvestorContext.build(profiles, market.packages, market.events, cutoff)
    before = market.events[market.events["occurred_at"] < cutoff]
    past = InvestorContext.build(profiles, market.packages, before, cutoff)
    for kind in everything.bid_counts:
        np.testing.assert_array_equal(everything.bid_counts[kind].keys, past.bid_counts[kind].keys)


def test_a_context_for_an_investor_without_a_profile_is_refused_by_name(
    market: MarketFrames, cutoff: datetime
) -> None:
    profiles = build_profiles(market.investors.iloc[:3], market.packages, market.events.iloc[:0], cutoff)
    with pytest.raises(UnknownInvestorError, match="INV-GHOST"):
        InvestorContext.build(profiles, market.packages, market.events, cutoff, ["INV-GHOST"])
