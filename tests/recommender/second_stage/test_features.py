"""The crosses say true things about the pair: checked against the raw events and listing rows."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from data.csv_reader import MarketFrames
from data.contract import ASSET_TYPES, PROVINCES
from profiles import build_profiles
from recommender.second_stage import (
    FEATURE_NAMES,
    FirstStage,
    Fold,
    InvestorContext,
    PackageContext,
    SecondStage,
)
from recommender.second_stage.explain import TEXTS, explain
from recommender.second_stage.features import CATEGORICAL_FEATURES, FEATURE_GROUPS, cross_features


def features_of(
    market: MarketFrames, cutoff: datetime, investor_id: str, package_ids: list[str]
) -> pd.DataFrame:
    past = market.events[market.events["occurred_at"] < cutoff]
    profiles = build_profiles(market.investors, market.packages, past, cutoff)
    investors = InvestorContext.build(profiles, market.packages, past, cutoff)
    packages = PackageContext.of(market.packages[market.packages["package_id"].isin(package_ids)])
    rows = packages.ids.rows(package_ids)
    matrix = cross_features(
        investors, packages, np.full(len(rows), investors.ids.row(investor_id)), rows,
        FirstStage.of_block(np.linspace(1.0, 0.0, len(rows))),
    )
    return pd.DataFrame(matrix, columns=list(FEATURE_NAMES), index=package_ids)


def test_feature_names_are_unique_and_every_one_is_in_exactly_one_group() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    grouped = [name for names in FEATURE_GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(FEATURE_NAMES)
    assert set(CATEGORICAL_FEATURES) <= set(FEATURE_NAMES)


def test_bid_counts_are_the_distinct_listings_bid_on_in_the_year_before_now(
    market: MarketFrames, cutoff: datetime
) -> None:
    events = market.events
    year = events[(events["occurred_at"] < cutoff) & (events["occurred_at"] >= cutoff - timedelta(days=365))]
    bids = year[year["event_type"].isin(["bid", "win"])][["investor_id", "package_id"]]
    listing = market.packages.set_index("package_id")
    bids = bids.assign(
        asset_type=bids["package_id"].map(listing["asset_type"]),
        province=bids["package_id"].map(listing["province"]),
    )
    investor_id = bids["investor_id"].value_counts().index[0]
    mine = bids[bids["investor_id"] == investor_id].drop_duplicates("package_id")
    asset_type, province = mine.iloc[0][["asset_type", "province"]]
    same_type = market.packages[market.packages["asset_type"] == asset_type]
    other = same_type[same_type["province"] != province]["package_id"].iloc[0]
    target = same_type[same_type["province"] == province]["package_id"].iloc[0]

    values = features_of(market, cutoff, investor_id, [target, other])
    expected_type = mine[mine["asset_type"] == asset_type]["package_id"].nunique()
    both = (mine["asset_type"] == asset_type) & (mine["province"] == province)
    expected_both = mine[both]["package_id"].nunique()
    assert values.loc[target, "bids_asset_type_year"] == expected_type
    assert values.loc[target, "bids_asset_type_province_year"] == expected_both >= 1
    assert values.loc[other, "bids_asset_type_year"] == expected_type
    assert values.loc[other, "bids_asset_type_province_year"] == mine[
        (mine["asset_type"] == asset_type)
        & (mine["province"] == market.packages.set_index("package_id").loc[other, "province"])
    ]["package_id"].nunique()
    # The sentence a person reads is built from the same count.
    codes = {"asset_type": ASSET_TYPES.index(asset_type), "province": PROVINCES.index(province)}
    text = TEXTS["bids_asset_type_province_year"](values.loc[target].to_dict(), codes)
    assert text is not None and text.startswith(f"you bid on {expected_both} ")
    assert text.endswith(f"in {province} this year")


def test_ticket_and_stated_crosses_follow_the_listing_and_the_profile(
    market: MarketFrames, cutoff: datetime
) -> None:
    past = market.events[market.events["occurred_at"] < cutoff]
    profiles = build_profiles(market.investors, market.packages, past, cutoff)
    frame = profiles.frame
    investor_id = frame[frame["stated_asset_types"].isna() & frame["stated_min_ticket_cny"].isna()
                        & frame["stated_max_ticket_cny"].isna()].index[0]
    package_ids = market.packages["package_id"].iloc[:50].tolist()
    values = features_of(market, cutoff, investor_id, package_ids)
    listings = market.packages.set_index("package_id").loc[package_ids]
    low, high = frame.loc[investor_id, ["ticket_low_cny", "ticket_high_cny"]]
    inside = ((listings["reserve_price_cny"] >= low) & (listings["reserve_price_cny"] <= high)).astype(float)
    np.testing.assert_array_equal(values["inside_ticket_band"].to_numpy(), inside.to_numpy())
    # Nothing stated: "matches what you stated" is unknown, not "does not match".
    assert values["stated_asset_type_match"].isna().all() and values["inside_stated_range"].isna().all()
    np.testing.assert_allclose(
        values["reserve_to_appraisal"].to_numpy(),
        (listings["reserve_price_cny"] / listings["appraised_value_cny"]).to_numpy(dtype=float), rtol=1e-5,
    )
    np.testing.assert_array_equal(values["first_stage_rank"].to_numpy(), np.arange(50))


def test_explanations_are_the_largest_positive_contributions_in_words(fold: Fold, stage: SecondStage) -> None:
    investor_id = str(fold.labels["investor_id"].iloc[0])
    scores = fold.first_stage.score([investor_id], fold.window_package_ids)[0]
    top = np.argsort(-scores)[:30]
    package_ids = [fold.window_package_ids[j] for j in top]
    reasons = explain(stage, fold.investors, fold.packages, investor_id, package_ids, scores[top], top=3)
    assert set(reasons) == set(package_ids)
    assert any(reasons.values())
    for items in reasons.values():
        assert len(items) <= 3
        contributions = [c for _, c, _ in items]
        assert contributions == sorted(contributions, reverse=True) and all(c > 0 for c in contributions)
        assert all(feature in FEATURE_NAMES and text for feature, _, text in items)
        assert len({text for _, _, text in items}) == len(items)
