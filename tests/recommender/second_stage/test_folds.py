"""Pseudo-cold folds: nothing at or after a fold's cutoff reaches its features or its first stage."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from data.csv_reader import MarketFrames
from recommender.second_stage import FirstStage, Fold, fit_fold, fold_cutoffs
from recommender.second_stage.features import FEATURE_NAMES, cross_features
from recommender.second_stage.folds import buyer_examples
from tests.recommender.second_stage.conftest import CONFIG, WINDOW_DAYS


def all_pair_features(fold: Fold) -> np.ndarray:
    """Features of every investor × every cold listing of the fold, first-stage blocks per investor."""
    investor_ids = fold.investors.ids.external_ids.tolist()
    scores = fold.first_stage.score(investor_ids, fold.window_package_ids)
    investor_rows = np.repeat(np.arange(len(investor_ids)), scores.shape[1])
    package_rows = np.tile(fold.packages.ids.rows(fold.window_package_ids, "package"), len(investor_ids))
    stages = FirstStage.concat([FirstStage.of_block(row) for row in scores])
    return cross_features(fold.investors, fold.packages, investor_rows, package_rows, stages)


def test_fold_features_are_identical_when_every_later_event_is_deleted(
    market: MarketFrames, cutoff: datetime, fold: Fold
) -> None:
    # What is only known later is removed or rewritten: every event at or after the cutoff,
    # and the listings' outcome (status is sold/unsold only once they close).
    past_events = market.events[market.events["occurred_at"] < cutoff]
    packages = market.packages.assign(status="withdrawn")
    blind = fit_fold(market.investors, packages, past_events, cutoff, WINDOW_DAYS, CONFIG)

    assert len(past_events) < len(market.events)
    assert len(fold.labels) > 0 and blind.labels.empty  # the labels do come from after the cutoff
    assert blind.window_package_ids == fold.window_package_ids
    np.testing.assert_array_equal(all_pair_features(blind), all_pair_features(fold))


def test_the_first_stage_and_features_see_an_event_just_before_the_cutoff(
    market: MarketFrames, cutoff: datetime, fold: Fold
) -> None:
    # The converse: a fold that saw the past changes when the past changes, so the
    # comparison above could fail.
    before = market.events[market.events["occurred_at"] < cutoff]
    bidder = before[before["event_type"] == "bid"]["investor_id"].iloc[-1]
    fewer = market.events[market.events["investor_id"] != bidder]
    other = fit_fold(market.investors, market.packages, fewer, cutoff, WINDOW_DAYS, CONFIG)
    features = all_pair_features(fold)
    changed = all_pair_features(other)
    row = fold.investors.ids.row(bidder)
    width = len(fold.window_package_ids)
    n_eff = FEATURE_NAMES.index("log_n_eff")
    assert features[row * width, n_eff] > 0 and changed[row * width, n_eff] == 0


def test_fold_cutoffs_are_back_to_back_windows_newest_first() -> None:
    end = datetime(2026, 7, 1)
    cutoffs = fold_cutoffs(end, 3, 90)
    assert cutoffs == sorted(cutoffs, reverse=True)
    assert [(a - b).days for a, b in zip([end, *cutoffs], cutoffs, strict=False)] == [90, 90, 90]


def test_listings_still_open_when_the_history_ends_are_not_taught_as_without_bidders(
    market: MarketFrames, cutoff: datetime, fold: Fold
) -> None:
    # Training on the history before ``end``: a window listing still open at ``end`` has not had
    # all its bids, so the buyer classifier leaves it out; the ranker keeps it.
    end = cutoff + timedelta(days=WINDOW_DAYS)
    known = market.events[market.events["occurred_at"] < end]
    settled = fit_fold(
        market.investors, market.packages, known, cutoff, WINDOW_DAYS, CONFIG, labels_until=end
    )
    closes = market.packages.set_index("package_id")["closes_at"]
    assert (closes.loc[settled.settled_package_ids] < end).all()
    still_open = [p for p in settled.window_package_ids if closes.loc[p] >= end]
    assert still_open and not set(still_open) & set(settled.settled_package_ids)
    assert settled.window_package_ids == fold.window_package_ids
    assert fold.settled_package_ids == fold.window_package_ids  # no end given: all are settled
    buyers = buyer_examples(settled, 50, 5, 0)
    rows_per_listing = buyers.features[:, FEATURE_NAMES.index("log_reserve")]
    reserves = np.log(market.packages.set_index("package_id")["reserve_price_cny"])
    open_reserves = set(np.float32(reserves.loc[still_open]).tolist()) - set(
        np.float32(reserves.loc[settled.settled_package_ids]).tolist()
    )
    assert open_reserves and not open_reserves & set(rows_per_listing.tolist())
