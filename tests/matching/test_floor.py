"""The exposure floor holds for every listing the market lets enough investors buy; the rest say why.

Pins the bug where small consumer-loan packages (reserve 2,240 CNY, below every investor's
ticket band) were removed by the ticket fit and reached no investor at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from data.generator import generate_market
from data.generator.market import DEFAULT_END
from matching.batch_push import batch_push
from matching.eligibility import MARKET_CODES, REMOVAL_CODES
from matching.floor_shortfall import why_below_floor
from matching.matcher import Matcher
from matching.rule_set import DEFAULT_RULES, Eligibility, Exposure
from recommender.als_part import ALSParams
from recommender.hybrid import HybridConfig
from recommender.lightfm_part import LightFMParams
from recommender.pipeline import train_recommender

SMALL = HybridConfig(lightfm=LightFMParams(components=8, epochs=5), als=ALSParams(factors=8, iterations=3))
NOW = pd.Timestamp(DEFAULT_END).to_pydatetime()
TINY_RESERVES = (2_240.0, 5_213.0, 3_100.0)


@pytest.fixture(scope="module")
def market_with_tiny_packages() -> Matcher:
    """An unseen generated market (about 200 live listings) plus three tiny consumer-loan packages."""
    market = generate_market(400, 3000, seed=7)
    investors, packages, events = market.investors, market.packages, market.events
    model, _ = train_recommender(investors, packages, events, NOW, SMALL)
    live = packages[packages["status"].isin(["active", "upcoming"]) & (packages["closes_at"] > NOW)]
    template = live[live["asset_type"] == "consumer_loan"].iloc[0]
    tiny = [
        {**template.to_dict(), "package_id": f"TINY{n}", "reserve_price_cny": reserve,
         "principal_cny": reserve * 3, "claim_total_cny": reserve * 4, "loan_count": 2,
         "listed_at": NOW - pd.Timedelta(days=1)}  # fmt: skip
        for n, reserve in enumerate(TINY_RESERVES)
    ]
    packages = pd.concat([packages, pd.DataFrame(tiny)], ignore_index=True)
    return Matcher.build(model, None, investors, packages, events, DEFAULT_RULES, NOW)


def registered(matcher: Matcher) -> list[str]:
    ids = matcher.model.investor_ids.ids(np.arange(len(matcher.model.investor_ids)))
    known = matcher.state.audience.columns["known"][: len(ids)]
    return [i for i, ok in zip(ids, known.tolist(), strict=True) if ok]


def market_eligible(matcher: Matcher, package_id: str, investor_ids: list[str]) -> int:
    """Investors the market's hard rules alone let buy the listing."""
    rows = matcher.model.investor_ids.rows(investor_ids)
    package = matcher.package_attributes(np.int64(matcher.state.package_model_row(package_id)))
    codes, _ = matcher.investor_codes(package_id, package, rows, matcher.state.advance(None))
    failed = [(c != 0 and REMOVAL_CODES[c - 1] in MARKET_CODES) for c in codes.tolist()]
    return len(failed) - sum(failed)


def test_tiny_packages_below_every_ticket_band_still_reach_the_floor(
    market_with_tiny_packages: Matcher,
) -> None:
    matcher = market_with_tiny_packages
    investors = registered(matcher)
    rows = matcher.model.investor_ids.rows(investors)
    low = matcher.state.audience.columns["low"][rows]
    assert all(reserve * 2 < np.nanmin(low) for reserve in TINY_RESERVES)  # below every band
    push = batch_push(matcher, investors, 20, 50)
    in_top = Counter(p for ids in push.investors.values() for p in ids[:20])
    for n in range(len(TINY_RESERVES)):
        assert in_top[f"TINY{n}"] >= 3
        assert len(push.packages[f"TINY{n}"]) == 50  # affordable: every investor may be a buyer
    for package_id in push.packages:  # the floor holds wherever the market's rules allow three buyers
        if market_eligible(matcher, package_id, investors) >= 3:
            assert in_top[package_id] >= 3, package_id
    assert push.floor_unmet == len(push.below_floor)


def test_each_listing_still_below_the_floor_is_named_with_why(market_with_tiny_packages: Matcher) -> None:
    matcher = market_with_tiny_packages.with_rules(
        replace(DEFAULT_RULES, exposure=Exposure(floor_investors=30, floor_top_k=20))
    )
    push = batch_push(matcher, registered(matcher), 20, 50)
    assert push.floor_unmet > 0 and len(push.below_floor) == push.floor_unmet
    reasons = {shortfall.package_id: shortfall.reason for shortfall in push.below_floor}
    assert any(r.startswith("licence rule: ") and "licensed AMC" in r for r in reasons.values())
    lines = push.lines()
    assert lines[0].startswith("exposure floor lifted ")
    assert sum(line.startswith("  below the floor: ") for line in lines) == push.floor_unmet


def test_why_below_floor_names_the_market_rule_then_the_rule_set(tiny: Matcher) -> None:
    assert why_below_floor(tiny, "batch") == "licence rule: 4200 loans, 1 licensed AMC"
    rules = replace(
        DEFAULT_RULES, eligibility=Eligibility(investor_types_by_seller_type={"court": ("national_amc",)})
    )
    reason = why_below_floor(tiny.with_rules(rules), "flat")
    assert reason.startswith(
        "only 1 investor eligible under the rule set (most removed by investor_type_blocked"
    )


def test_cross_border_only_reports_the_foreign_institutions_it_leaves_empty(tiny: Matcher) -> None:
    investors = ["amc", "fund", "foreign", "person", "doubter"]
    assert batch_push(tiny, investors, 5, 5).empty_cross_border == 0  # off by default
    listings = tiny.with_rules(replace(DEFAULT_RULES, eligibility=Eligibility(cross_border_only=True)))
    assert batch_push(listings, investors, 5, 5).empty_cross_border == 0  # "stake" is cross-border eligible
    listings.upsert_packages(listings.state.packages.frame(["stake"]).assign(status="withdrawn"))
    push = batch_push(listings, investors, 5, 5)
    assert push.empty_cross_border == 1
    assert "1 foreign institution got an empty list" in "\n".join(push.lines())
