"""The three market scores: bounded, and ordered as the market reads them."""

from __future__ import annotations

import pytest

from profiles import build_profiles
from tests.profiles.market import CATALOGUE, NOW, investor, market, repeat

INVESTORS = [
    investor(
        "amc",
        investor_type="national_amc",
        capital_cny=50e9,
        risk_appetite="aggressive",
        licensed_amc=True,
        province="Beijing",
    ),
    investor(
        "person",
        investor_type="individual",
        capital_cny=2e6,
        risk_appetite="conservative",
        province="Shanghai",
    ),
    investor("wanderer", investor_type="private_fund"),
    investor("focused", investor_type="private_fund"),
    investor("cold", investor_type="bank", capital_cny=0.0),
]
EVENTS = (
    repeat(20, "amc", ["corp", "corp2"], "bid", amount=2.5e9)
    + repeat(10, "person", ["flat", "flat2", "car"], "bid", amount=1e6)
    + repeat(5, "wanderer", ["flat", "car", "flat2"], "dd_request", days_ago=400)
    + repeat(5, "wanderer", ["land", "corp", "thin_dd0"], "dd_request", days_ago=10)
    + repeat(5, "focused", ["land"], "dd_request", days_ago=400)
    + repeat(5, "focused", ["land2"], "dd_request", days_ago=10)
)


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return build_profiles(*market(INVESTORS, CATALOGUE, EVENTS), NOW)


@pytest.mark.parametrize(
    "score",
    ["risk_capacity", "asset_preference_index", "liquidity_need", "concentration", "stability", "hesitation"],
)
def test_every_score_of_every_investor_is_in_the_unit_interval(table, score: str) -> None:  # type: ignore[no-untyped-def]
    values = table.frame[score]
    assert values.notna().all()
    assert ((values >= 0) & (values <= 1)).all()


@pytest.mark.parametrize(
    ("higher", "lower", "score"),
    [
        (
            "amc",
            "person",
            "risk_capacity",
        ),  # a national AMC on bankrupt unsecured credit vs a cautious individual
        ("person", "amc", "liquidity_need"),  # east-coast flats and cars vs north-east multi-billion credit
        ("focused", "wanderer", "asset_preference_index"),  # one kind, held over time vs a switch of kinds
        ("focused", "wanderer", "stability"),
        ("focused", "wanderer", "concentration"),
    ],
)
def test_scores_order_investors_sensibly(table, higher: str, lower: str, score: str) -> None:  # type: ignore[no-untyped-def]
    assert getattr(table[higher], score) > getattr(table[lower], score)


def test_risky_share_counts_unsecured_litigated_and_bankrupt_packages(table) -> None:  # type: ignore[no-untyped-def]
    assert table["amc"].risky_share == pytest.approx(1.0)
    assert table["person"].risky_share == pytest.approx(0.0)


def test_aggressive_behaviour_raises_a_cautious_statement(table) -> None:  # type: ignore[no-untyped-def]
    cautious = investor("c", investor_type="private_fund", risk_appetite="conservative")
    cold = build_profiles(*market([cautious], CATALOGUE), NOW)["c"]
    bold = build_profiles(*market([cautious], CATALOGUE, repeat(30, "c", ["corp", "corp2"], "bid")), NOW)["c"]
    assert bold.risk_capacity > cold.risk_capacity + 0.2


def test_a_cold_investor_gets_neutral_stability(table) -> None:  # type: ignore[no-untyped-def]
    assert table["cold"].stability == pytest.approx(0.75)
    assert table["cold"].risk_capacity > 0
