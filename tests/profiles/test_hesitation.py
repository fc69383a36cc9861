"""Hesitant investors look hard and rarely bid; what their rare bids had in common is recorded."""

from __future__ import annotations

import math

import pytest

from profiles import build_profiles
from tests.profiles.market import CATALOGUE, NOW, event, investor, market, repeat

THIN = [f"thin_dd{i}" for i in range(8)]


def hesitant_events() -> list[dict[str, object]]:
    """DD requests and long views on eight thin data rooms, one bid on a complete one."""
    return (
        repeat(8, "hes", THIN, "dd_request")
        + repeat(8, "hes", THIN, "view", dwell=600)
        + [event("hes", "full_dd", "view", dwell=300), event("hes", "full_dd", "bid")]
    )


def decisive_events() -> list[dict[str, object]]:
    """Short looks, then bids on most of what was looked at."""
    return repeat(6, "dec", THIN[:6], "view", dwell=40) + repeat(6, "dec", THIN[:6], "bid")


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    events = (
        hesitant_events()
        + decisive_events()
        + repeat(2, "few", THIN[:2], "favorite")
        + repeat(8, "browser", THIN, "view", dwell=900)
    )
    investors = [investor("hes"), investor("dec"), investor("few"), investor("browser"), investor("cold")]
    return build_profiles(*market(investors, CATALOGUE, events), NOW)


def test_a_hesitant_investor_is_flagged_and_bids_only_on_complete_data_rooms(table) -> None:  # type: ignore[no-untyped-def]
    profile = table["hes"]
    assert profile.is_hesitant
    assert (profile.intent_packages, profile.dd_packages, profile.bid_packages) == (8, 8, 1)
    assert profile.hesitation == pytest.approx(8 / (8 + 3 + 2))
    assert profile.bid_dd_completeness == pytest.approx(0.95)
    assert profile.intent_dd_completeness == pytest.approx(0.2)
    assert profile.bid_appraisal_share == pytest.approx(1.0)


def test_a_decisive_bidder_is_not_hesitant(table) -> None:  # type: ignore[no-untyped-def]
    profile = table["dec"]
    assert not profile.is_hesitant
    assert profile.intent_packages == 0  # short views are not high intent
    assert profile.hesitation == 0.0
    assert profile.bid_dd_completeness == pytest.approx(0.2)
    assert profile.bid_appraisal_share == 0.0


@pytest.mark.parametrize(
    ("investor_id", "hesitant", "low", "high"),
    [
        ("hes", True, 0.55, 1.0),
        ("few", False, 0.1, 0.3),  # two favorites are not yet a pattern
        ("browser", False, 0.4, 0.6),  # long looks without opening a data room
        ("dec", False, 0.0, 0.0),
        ("cold", False, 0.0, 0.0),
    ],
)
def test_hesitation_scores_are_bounded_and_ordered(
    table, investor_id: str, hesitant: bool, low: float, high: float
) -> None:  # type: ignore[no-untyped-def]
    profile = table[investor_id]
    assert profile.is_hesitant is hesitant
    assert low <= profile.hesitation <= high


def test_an_investor_without_bids_has_no_bid_profile(table) -> None:  # type: ignore[no-untyped-def]
    profile = table["few"]
    assert math.isnan(profile.bid_dd_completeness) and math.isnan(profile.bid_appraisal_share)
    assert profile.intent_dd_completeness == pytest.approx(0.2)


def test_hesitation_features_name_the_flag_and_level(table) -> None:  # type: ignore[no-untyped-def]
    hesitant = table["hes"].features(["hesitation"])
    decisive = table["dec"].features(["hesitation"])
    assert hesitant["hesitant"] == 1.0
    assert hesitant["bid_dd=high"] > 0.8
    assert "hesitant" not in decisive and decisive["hesitation=low"] == 1.0
