"""The profile table: total coverage, per-investor access, summary frame and refused inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from profiles import (
    DuplicateInvestorError,
    EventWeights,
    InvalidValueError,
    InvalidWeightsError,
    MissingColumnError,
    ProfileTable,
    UnknownInvestorError,
    build_profiles,
)
from tests.profiles.market import CATALOGUE, NOW, event, investor, market, repeat

INVESTORS = [
    investor(f"i{n}", investor_type=t) for n, t in enumerate(["bank", "individual", "local_amc", "bank"])
]
EVENTS = (
    repeat(3, "i0", ["flat", "land"], "view")
    + [event("ghost", "flat", "bid"), event("i1", "unlisted", "bid")]  # out of scope: skipped
)


@pytest.fixture(scope="module")
def table() -> ProfileTable:
    return build_profiles(*market(INVESTORS, CATALOGUE, EVENTS), NOW)


def test_every_investor_in_the_input_gets_a_profile(table: ProfileTable) -> None:
    assert len(table) == 4 and table.investor_ids == ["i0", "i1", "i2", "i3"]
    assert all(i in table for i in table.investor_ids) and "ghost" not in table
    assert list(table.frame.index) == table.investor_ids
    assert table.frame["is_cold"].tolist() == [False, True, True, True]
    assert table["i1"].event_counts["bid"] == 0


def test_the_summary_frame_has_typed_columns_for_segments(table: ProfileTable) -> None:
    frame = table.frame
    assert isinstance(frame["investor_type"].dtype, pd.CategoricalDtype)
    assert frame["top_asset_type"].notna().all()
    assert frame["count_view"].dtype == np.int64 and frame["licensed_amc"].dtype == bool
    assert frame.loc["i0", "count_view"] == 3
    distribution = table.distribution("asset_type")
    assert distribution.shape == (4, 12)
    assert np.allclose(distribution.sum(axis=1), 1.0)
    assert table.distribution("asset_type", observed=True).loc["i1"].sum() == 0.0


def test_an_unknown_investor_is_refused_by_name(table: ProfileTable) -> None:
    with pytest.raises(UnknownInvestorError, match="'nobody'"):
        table["nobody"]
    with pytest.raises(UnknownInvestorError):
        table.feature_rows(["i0", "nobody"])


def test_a_table_rebuilt_from_its_profiles_gives_the_same_rows(table: ProfileTable) -> None:
    rebuilt = ProfileTable.from_profiles(table[i] for i in table.investor_ids)
    assert rebuilt.feature_rows(rebuilt.investor_ids) == table.feature_rows(table.investor_ids)
    assert repr(rebuilt["i0"]) == repr(table["i0"])


def test_an_empty_market_builds_an_empty_table() -> None:
    table = build_profiles(*market([], CATALOGUE), NOW)
    assert len(table) == 0 and table.feature_rows([]) == []


@pytest.mark.parametrize(
    ("investor_fields", "error", "named"),
    [
        ({"investor_type": "hedge_fund"}, InvalidValueError, "'hedge_fund'"),
        ({"province": "Atlantis"}, InvalidValueError, "'Atlantis'"),
        ({"preferred_asset_types": "residential;yachts"}, InvalidValueError, "'yachts'"),
        ({"risk_appetite": "reckless"}, InvalidValueError, "'reckless'"),
    ],
)
def test_values_outside_the_contract_are_refused_by_name(
    investor_fields: dict, error: type, named: str
) -> None:  # type: ignore[type-arg]
    with pytest.raises(error, match=named):
        build_profiles(*market([investor("bad", **investor_fields)], CATALOGUE), NOW)


def test_duplicate_investors_and_missing_columns_are_refused() -> None:
    investors, packages, events = market([investor("twin"), investor("twin")], CATALOGUE)
    with pytest.raises(DuplicateInvestorError, match="'twin'"):
        build_profiles(investors, packages, events, NOW)
    with pytest.raises(MissingColumnError, match="'investor_type'"):
        build_profiles(investors.drop(columns="investor_type").iloc[:1], packages, events, NOW)


def test_an_unknown_event_type_in_the_log_is_refused() -> None:
    investors, packages, events = market([investor("a")], CATALOGUE, [event("a", "flat", "view")])
    events.loc[0, "event_type"] = "like"
    with pytest.raises(InvalidValueError, match="'like'"):
        build_profiles(investors, packages, events, NOW)


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"weights": {"like": 1.0}}, "'like'"),
        ({"half_life_days": 0.0}, "half_life_days"),
        ({"prior_strength": -1.0}, "prior_strength"),
        ({"weights": {"view": float("nan")}}, "view"),
    ],
)
def test_unusable_event_weights_are_refused_by_name(arguments: dict, named: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidWeightsError, match=named):
        EventWeights(**arguments)


def test_event_weights_are_configurable_and_hashable() -> None:
    weights = EventWeights(weights={"bid": 1.0}, half_life_days=30.0)
    assert weights.weights["bid"] == 1.0 and weights.strength_by_code().sum() == 1.0
    assert hash(weights) == hash(EventWeights(weights={"bid": 1.0}, half_life_days=30.0))
    only_views_count = build_profiles(
        *market([investor("a")], CATALOGUE, repeat(3, "a", ["land"], "bid")),
        NOW,
        EventWeights(weights={"view": 1.0}),
    )["a"]
    assert only_views_count.is_cold and only_views_count.event_counts["bid"] == 3


def test_timezone_aware_now_and_timestamps_are_read_as_utc() -> None:
    investors, packages, events = market([investor("a")], CATALOGUE, [event("a", "flat", "bid", days_ago=0)])
    events["occurred_at"] = events["occurred_at"].dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai")
    before = build_profiles(investors, packages, events, (NOW - pd.Timedelta(seconds=1)).tz_localize("UTC"))[
        "a"
    ]
    at = build_profiles(investors, packages, events, NOW.tz_localize("UTC").tz_convert("Asia/Shanghai"))["a"]
    assert before.event_counts["bid"] == 0 and at.event_counts["bid"] == 1
