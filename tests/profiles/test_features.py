"""Feature rows: groups select subsets, names carry their group, weights are bounded."""

from __future__ import annotations

import pytest

from profiles import DEFAULT_FEATURE_GROUPS, FEATURE_GROUPS, UnknownFeatureGroupError, build_profiles
from tests.profiles.market import CATALOGUE, NOW, investor, market, repeat

# Every feature name of a group starts with one of these.
GROUP_PREFIXES: dict[str, tuple[str, ...]] = {
    "identity_attrs": ("investor_type=", "home_province=", "home_region=", "licensed_amc", "capital="),
    "stated": ("stated_type=", "stated_province=", "stated_ticket=", "stated_risk=", "stated_none"),
    "behaviour": (
        "pref_type=",
        "pref_class=",
        "pref_province=",
        "pref_region=",
        "pref_seller=",
        "pref_collateral=",
        "pref_litigation=",
        "ticket=",
        "history",
    ),
    "scores": ("risk_capacity=", "liquidity_need=", "asset_preference_index="),
    "hesitation": ("hesitant", "hesitation=", "bid_dd="),
}

INVESTORS = [
    investor(
        "stated",
        investor_type="individual",
        preferred_asset_types="residential;vehicles",
        preferred_provinces="Shanghai",
        min_ticket_cny=1e5,
        max_ticket_cny=1e6,
        risk_appetite="balanced",
    ),
    investor("amc", investor_type="national_amc", licensed_amc=True, capital_cny=8e10),
    investor("silent", investor_type="foreign_institution", capital_cny=0.0),
]
EVENTS = repeat(12, "amc", ["corp", "corp2"], "bid") + repeat(3, "stated", ["flat"], "favorite")


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return build_profiles(*market(INVESTORS, CATALOGUE, EVENTS), NOW)


def test_groups_are_the_five_of_the_spec() -> None:
    assert FEATURE_GROUPS == ("identity_attrs", "stated", "behaviour", "scores", "hesitation")
    assert DEFAULT_FEATURE_GROUPS == FEATURE_GROUPS


@pytest.mark.parametrize("group", FEATURE_GROUPS)
@pytest.mark.parametrize("investor_id", ["stated", "amc", "silent"])
def test_each_group_yields_only_its_own_features(table, group: str, investor_id: str) -> None:  # type: ignore[no-untyped-def]
    row = table[investor_id].features([group])
    assert row, f"{group} is empty for {investor_id}"
    assert all(name.startswith(GROUP_PREFIXES[group]) for name in row), row


@pytest.mark.parametrize("investor_id", ["stated", "amc", "silent"])
def test_all_groups_are_the_union_of_each_group(table, investor_id: str) -> None:  # type: ignore[no-untyped-def]
    union: dict[str, float] = {}
    for group in FEATURE_GROUPS:
        union.update(table[investor_id].features([group]))
    assert table[investor_id].features() == union
    assert table[investor_id].features([]) == {}


def test_weights_are_bounded_and_soft_buckets_sum_to_one(table) -> None:  # type: ignore[no-untyped-def]
    for row in table.feature_rows(table.investor_ids):
        assert all(0.0 < weight <= 1.0 for weight in row.values()), row
        for prefix in (
            "ticket=",
            "risk_capacity=",
            "liquidity_need=",
            "asset_preference_index=",
            "hesitation=",
        ):
            assert sum(w for n, w in row.items() if n.startswith(prefix)) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("investor_id", "expected"),
    [
        (
            "stated",
            {
                "investor_type=individual": 1.0,
                "home_region=east_coast": 1.0,
                "stated_type=residential": 0.5,
                "stated_type=vehicles": 0.5,
                "stated_province=Shanghai": 1.0,
                "stated_risk=balanced": 1.0,
                "stated_ticket=5.5": 1.0,
            },
        ),
        (
            "amc",
            {
                "investor_type=national_amc": 1.0,
                "licensed_amc": 1.0,
                "stated_none": 1.0,
                "hesitation=low": 1.0,
            },
        ),
        ("silent", {"capital=unknown": 1.0, "stated_none": 1.0}),
    ],
)
def test_named_features_carry_the_expected_weights(
    table, investor_id: str, expected: dict[str, float]
) -> None:  # type: ignore[no-untyped-def]
    row = table[investor_id].features()
    assert {name: row.get(name) for name in expected} == pytest.approx(expected)


def test_behaviour_features_follow_history(table) -> None:  # type: ignore[no-untyped-def]
    amc = table["amc"].features(["behaviour"])
    assert amc["pref_type=corporate_loan"] > 0.6
    assert amc["history"] == pytest.approx(table["amc"].behaviour_share)
    assert "history" not in table["silent"].features(["behaviour"])
    assert max(amc, key=lambda n: amc[n] if n.startswith("pref_seller=") else -1) == "pref_seller=bank"


def test_batch_rows_equal_single_profile_rows_in_the_requested_order(table) -> None:  # type: ignore[no-untyped-def]
    order = ["silent", "stated", "amc", "stated"]
    for groups in (FEATURE_GROUPS, ("behaviour", "scores"), ("stated",)):
        assert table.feature_rows(order, groups) == [table[i].features(groups) for i in order]


def test_an_unknown_group_is_refused_by_name(table) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownFeatureGroupError, match="'behavior'"):
        table.feature_rows(["amc"], ["behavior"])
