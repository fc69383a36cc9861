"""Stated preferences and behaviour blend, behaviour winning as history grows; recency and cutoff."""

from __future__ import annotations

import pandas as pd
import pytest

from profiles import EventWeights, build_profiles
from tests.profiles.market import CATALOGUE, NOW, event, investor, market, repeat

STATED_FLATS = investor("a", investor_type="individual", capital_cny=5e9, preferred_asset_types="residential")


@pytest.mark.parametrize(
    ("n_bids", "expected_top", "min_share"),
    [
        (0, "residential", 1.0),  # no history: the statement is all there is
        (1, "residential", 0.5),  # a little history: the statement still leads
        (40, "land", 0.95),  # much history: behaviour dominates
    ],
)
def test_stated_preferences_dominate_without_history_and_behaviour_with_much(
    n_bids: int, expected_top: str, min_share: float
) -> None:
    events = repeat(n_bids, "a", ["land", "land2"], "bid", days_ago=3)
    profile = build_profiles(*market([STATED_FLATS], CATALOGUE, events), NOW)["a"]
    assert profile.top("asset_type") == expected_top
    assert profile.distributions["asset_type"][expected_top] >= min_share - 1e-9
    assert profile.top("asset_class") == ("real_estate")


def test_behaviour_share_grows_with_strength_weighted_history() -> None:
    shares = []
    for n in (0, 1, 5, 50):
        events = repeat(n, "a", ["land"], "view", days_ago=0)
        shares.append(build_profiles(*market([STATED_FLATS], CATALOGUE, events), NOW)["a"].behaviour_share)
    assert shares[0] == 0.0
    assert shares[2] == pytest.approx(0.5)  # five views weigh as much as the default prior
    assert shares == sorted(shares) and shares[-1] > 0.9


def test_a_recent_drift_outweighs_a_larger_old_habit() -> None:
    events = repeat(12, "a", ["flat", "flat2"], "bid", days_ago=900) + repeat(
        4, "a", ["land"], "favorite", days_ago=5
    )
    profile = build_profiles(*market([investor("a")], CATALOGUE, events), NOW)["a"]
    assert profile.observed["asset_type"]["land"] > profile.observed["asset_type"]["residential"]
    no_decay = build_profiles(
        *market([investor("a")], CATALOGUE, events), NOW, EventWeights(half_life_days=1e9)
    )["a"]
    assert no_decay.observed["asset_type"]["residential"] > no_decay.observed["asset_type"]["land"]


def test_events_after_now_are_ignored() -> None:
    past = repeat(3, "a", ["flat"], "bid", days_ago=10)
    future = repeat(30, "a", ["land"], "bid", days_ago=-1) + [event("a", "corp", "win", days_ago=-0.001)]
    investors, packages, _ = market([investor("a")], CATALOGUE)
    with_future = build_profiles(investors, packages, market([], [], past + future)[2], NOW)["a"]
    without = build_profiles(investors, packages, market([], [], past)[2], NOW)["a"]
    assert repr(with_future) == repr(without)  # repr: NaN fields compare equal
    assert with_future.event_counts["bid"] == 3 and with_future.event_counts["win"] == 0


def test_an_event_exactly_at_now_counts() -> None:
    profile = build_profiles(
        *market([investor("a")], CATALOGUE, [event("a", "land", "bid", days_ago=0)]), NOW
    )["a"]
    assert profile.event_counts["bid"] == 1 and profile.days_since_last_action == 0.0


def test_dismisses_subtract_from_the_dismissed_kind_but_never_below_zero() -> None:
    liked = repeat(2, "a", ["flat"], "view") + repeat(2, "a", ["land"], "view")
    dismissed = liked + repeat(5, "a", ["land2"], "dismiss")
    investors = [investor("a")]
    before = build_profiles(*market(investors, CATALOGUE, liked), NOW)["a"]
    after = build_profiles(*market(investors, CATALOGUE, dismissed), NOW)["a"]
    assert before.observed["asset_type"]["land"] == pytest.approx(0.5)
    assert after.observed["asset_type"]["land"] == 0.0
    assert after.observed["asset_type"]["residential"] == pytest.approx(1.0)
    assert after.n_eff == pytest.approx(before.n_eff)  # a dismiss is not history the prior yields to


def test_only_dismisses_leave_the_prior_in_place() -> None:
    events = repeat(4, "a", ["flat"], "dismiss")
    profile = build_profiles(*market([STATED_FLATS], CATALOGUE, events), NOW)["a"]
    assert profile.is_cold and profile.observed["asset_type"] == {}
    assert profile.distributions["asset_type"]["residential"] == pytest.approx(1.0)


def test_ticket_moves_from_the_stated_band_to_the_bid_amounts() -> None:
    stated = investor("a", min_ticket_cny=1_000_000.0, max_ticket_cny=4_000_000.0)
    cold = build_profiles(*market([stated], CATALOGUE), NOW)["a"]
    bids = repeat(60, "a", ["land", "land2"], "bid", days_ago=2, amount=100_000_000.0)
    warm = build_profiles(*market([stated], CATALOGUE, bids), NOW)["a"]
    assert cold.ticket_cny == pytest.approx(2_000_000.0)
    assert warm.observed_ticket_cny == pytest.approx(100_000_000.0)
    assert 50_000_000.0 < warm.ticket_cny <= 100_000_000.0 * 1.000001


def test_price_ratios_and_win_rate_come_from_bids() -> None:
    events = [
        event("a", "land", "bid", amount=88_000_000.0),  # reserve 80M, no appraisal
        event("a", "flat", "bid", amount=1_650_000.0),  # reserve 1.5M, appraisal 2.2M
        event("a", "flat", "win", amount=1_650_000.0),
        event("a", "flat2", "bid", amount=1_320_000.0),  # reserve 1.2M
        event("a", "flat2", "bid", amount=1_320_000.0),  # a repeated bid is one package
    ]
    profile = build_profiles(*market([investor("a")], CATALOGUE, events), NOW)["a"]
    assert profile.bid_to_reserve == pytest.approx(1.1)
    assert profile.bid_to_appraisal == pytest.approx(0.75)
    assert profile.win_rate == pytest.approx(1 / 3)


def test_activity_counts_active_days_and_recency() -> None:
    events = [
        event("a", "flat", "impression", days_ago=0.5),
        event("a", "flat", "view", days_ago=2.5),
        event("a", "flat", "view", days_ago=2.6),  # the same calendar day
        event("a", "land", "favorite", days_ago=10),
    ]
    profile = build_profiles(*market([investor("a"), investor("b")], CATALOGUE, events), NOW)
    a, b = profile["a"], profile["b"]
    assert a.event_counts == {"impression": 1, "view": 2, "favorite": 1, "dd_request": 0, "bid": 0, "win": 0,
                              "dismiss": 0}  # fmt: skip
    assert a.active_days == 2
    assert a.days_since_last_action == pytest.approx(2.5)
    assert b.active_days == 0 and pd.isna(b.days_since_last_action) and pd.isna(b.win_rate)
