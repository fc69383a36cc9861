"""Cold start: every investor gets a profile, from what it stated or else from its type."""

from __future__ import annotations

import pytest

from data.contract import INVESTOR_TYPES
from profiles import build_profiles, prior_profile
from tests.profiles.market import CATALOGUE, NOW, investor, market


@pytest.mark.parametrize(
    ("investor_type", "top_type", "max_ticket_cny", "top_seller"),
    [
        ("individual", "residential", 5_000_000, "court"),
        ("national_amc", "corporate_loan", 10_000_000_000, "bank"),
        ("local_amc", "sme_loan", 1_000_000_000, "bank"),
        ("industrial_capital", "industrial_property", 1_000_000_000, "enterprise"),
        ("foreign_institution", "corporate_loan", 5_000_000_000, "national_amc"),
    ],
)
def test_a_cold_investor_without_stated_preferences_gets_its_types_prior(
    investor_type: str, top_type: str, max_ticket_cny: float, top_seller: str
) -> None:
    capital = {"individual": 3_000_000.0}.get(investor_type, 20_000_000_000.0)
    profile = prior_profile(
        {"investor_id": "new", "investor_type": investor_type, "province": "Hubei", "capital_cny": capital,
         "licensed_amc": investor_type.endswith("amc")}
    )  # fmt: skip
    assert profile.is_cold and profile.prior_source == "type"
    assert profile.top("asset_type") == top_type
    assert profile.top("seller_type") == top_seller
    assert profile.ticket_cny <= max_ticket_cny
    assert profile.ticket_low_cny <= profile.ticket_cny <= profile.ticket_high_cny
    assert sum(profile.distributions["asset_type"].values()) == pytest.approx(1.0)
    assert profile.features(["behaviour"]), "the prior gives behaviour-group features"


def test_individuals_ticket_prior_stays_under_five_million_and_within_capital() -> None:
    profile = prior_profile({"investor_id": "p", "investor_type": "individual", "province": "Hubei",
                             "capital_cny": 800_000.0, "licensed_amc": "false"})  # fmt: skip
    assert profile.ticket_high_cny <= 800_000.0 * 1.000001
    assert profile.ticket_cny < 5_000_000.0


def test_locals_stay_near_home_and_national_amcs_spread_nationwide() -> None:
    local = prior_profile(
        {"investor_id": "l", "investor_type": "local_amc", "province": "Sichuan", "capital_cny": 1e9}
    )
    national = prior_profile(
        {"investor_id": "n", "investor_type": "national_amc", "province": "Beijing", "capital_cny": 1e11}
    )
    assert local.top("province") == "Sichuan" and local.distributions["province"]["Sichuan"] > 0.5
    assert local.top("region") == "south_west"
    assert max(national.distributions["province"].values()) < 0.25


def test_stated_lists_become_uniform_priors_and_stated_tickets_the_band() -> None:
    profile = prior_profile(
        {"investor_id": "s", "investor_type": "national_amc", "province": "Beijing", "capital_cny": 1e11,
         "preferred_asset_types": "residential;land", "preferred_provinces": ["Hainan"],
         "min_ticket_cny": 1_000_000.0, "max_ticket_cny": 4_000_000.0, "risk_appetite": "conservative"}
    )  # fmt: skip
    assert profile.prior_source == "stated"
    assert profile.stated_asset_types == ("residential", "land")
    assert profile.distributions["asset_type"]["residential"] == pytest.approx(0.5)
    assert profile.distributions["asset_type"]["land"] == pytest.approx(0.5)
    assert profile.distributions["province"]["Hainan"] == pytest.approx(1.0)
    assert profile.distributions["region"]["north_coast"] == pytest.approx(1.0)
    assert profile.ticket_cny == pytest.approx(2_000_000.0)
    assert (profile.ticket_low_cny, profile.ticket_high_cny) == pytest.approx((1_000_000.0, 4_000_000.0))
    assert profile.risk_appetite == "conservative"


def test_prior_profile_equals_the_built_profile_of_an_investor_without_events() -> None:
    row = investor("x", investor_type="bank", preferred_asset_types="receivables", max_ticket_cny=9e7)
    investors, packages, events = market([row], CATALOGUE)
    built = build_profiles(investors, packages, events, NOW)["x"]
    assert prior_profile(row, NOW).features() == built.features()


def test_every_investor_type_has_a_complete_prior() -> None:
    rows = [investor(f"i{n}", investor_type=t, capital_cny=0.0) for n, t in enumerate(INVESTOR_TYPES)]
    table = build_profiles(*market(rows, CATALOGUE), NOW)
    assert len(table) == len(INVESTOR_TYPES)
    for investor_id in table.investor_ids:
        profile = table[investor_id]
        for dimension, distribution in profile.distributions.items():
            assert sum(distribution.values()) == pytest.approx(1.0), dimension
        assert 0 < profile.ticket_cny < float("inf")
