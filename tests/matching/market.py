"""A tiny hand-made market with a fitted small model, for the rule tests.

Candidates are given to ``Matcher.rerank`` with explicit model scores, so a test pins the
order and the reasons the rules produce, whatever the model learned.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from matching.matcher import Matcher
from matching.ranked import RankedList
from matching.rule_set import DEFAULT_RULES, RuleSet
from recommender.als_part import ALSParams
from recommender.hybrid import HybridConfig
from recommender.lightfm_part import LightFMParams
from recommender.pipeline import train_recommender
from tests.profiles.market import event, investor, market, package

NOW = pd.Timestamp("2025-06-01")
LIVE = {
    "listed_at": NOW - pd.Timedelta(days=20),
    "closes_at": NOW + pd.Timedelta(days=30),
    "status": "active",
}
SMALL = HybridConfig(lightfm=LightFMParams(components=8, epochs=5), als=ALSParams(factors=4, iterations=3))

INVESTORS = [
    investor(
        "amc",
        investor_type="national_amc",
        province="Beijing",
        licensed_amc=True,
        capital_cny=5e10,
        min_ticket_cny=1e6,
        max_ticket_cny=1e10,
        preferred_asset_types="consumer_loan",
        preferred_provinces="Jiangsu",
    ),
    investor(
        "fund",
        investor_type="private_fund",
        province="Shanghai",
        capital_cny=5e8,
        min_ticket_cny=1e6,
        max_ticket_cny=5e7,
        preferred_asset_types="commercial_property",
        preferred_provinces="Zhejiang",
    ),
    investor("foreign", investor_type="foreign_institution", province="Shanghai", capital_cny=1e9),
    investor(
        "person",
        investor_type="individual",
        province="Jiangsu",
        capital_cny=3e6,
        max_ticket_cny=4e6,
        preferred_asset_types="residential",
        preferred_provinces="Jiangsu",
    ),
    investor("doubter", investor_type="private_fund", province="Zhejiang", capital_cny=5e8),
    investor("late", registered_at=NOW + pd.Timedelta(days=10)),
]

LISTINGS = [
    package(
        "batch",
        seller_type="bank",
        asset_type="consumer_loan",
        province="Jiangsu",
        loan_count=4200,
        reserve_price_cny=3e7,
        seller_id="bank-js",
        **LIVE,
    ),
    package(
        "flat",
        seller_type="court",
        asset_type="residential",
        province="Jiangsu",
        reserve_price_cny=2e6,
        principal_cny=2.5e6,
        appraised_value_cny=3e6,
        dd_completeness=0.95,
        seller_id="court-js",
        **LIVE,
    ),
    package(
        "office",
        seller_type="enterprise",
        asset_type="commercial_property",
        province="Zhejiang",
        reserve_price_cny=2e7,
        appraised_value_cny=np.nan,
        dd_completeness=0.5,
        seller_id="ent-zj",
        **LIVE,
    ),
    package(
        "office2",
        seller_type="enterprise",
        asset_type="commercial_property",
        province="Zhejiang",
        reserve_price_cny=1.8e7,
        dd_completeness=0.5,
        seller_id="ent-zj",
        **LIVE,
    ),
    package(
        "land",
        seller_type="trust",
        asset_type="land",
        province="Sichuan",
        reserve_price_cny=5e9,
        principal_cny=6e9,
        seller_id="trust-sc",
        **LIVE,
    ),
    package(
        "stake",
        seller_type="national_amc",
        asset_type="equity_stake",
        province="Shanghai",
        reserve_price_cny=5e7,
        cross_border_eligible=True,
        seller_id="amc-sh",
        **LIVE,
    ),
    package(
        "closing",
        seller_type="national_amc",
        asset_type="corporate_loan",
        province="Shanghai",
        reserve_price_cny=2e7,
        seller_id="amc-sh",
        listed_at=NOW - pd.Timedelta(days=40),
        closes_at=NOW + pd.Timedelta(days=1, hours=2),
        status="active",
    ),
    package(
        "fresh",
        seller_type="national_amc",
        asset_type="corporate_loan",
        province="Hubei",
        reserve_price_cny=2e7,
        seller_id="amc-hb",
        listed_at=NOW - pd.Timedelta(days=2),
        closes_at=NOW + pd.Timedelta(days=30),
        status="upcoming",
    ),
    package(
        "shunned",
        seller_type="local_amc",
        asset_type="sme_loan",
        province="Shanghai",
        reserve_price_cny=1e7,
        seller_id="lamc-sh",
        **LIVE,
    ),
    package(
        "sold",
        seller_type="court",
        asset_type="residential",
        province="Jiangsu",
        reserve_price_cny=2e6,
        seller_id="court-js",
        listed_at=NOW - pd.Timedelta(days=90),
        closes_at=NOW - pd.Timedelta(days=5),
        status="sold",
    ),
    *[
        package(
            f"old{n}",
            seller_type="court",
            asset_type=("residential", "commercial_property")[n % 2],
            province=("Jiangsu", "Zhejiang")[n % 2],
            reserve_price_cny=3e6 + n * 1e6,
            dd_completeness=0.9 if n % 3 else 0.3,
            seller_id="court-js",
            listed_at=NOW - pd.Timedelta(days=200 - n),
            closes_at=NOW - pd.Timedelta(days=150 - n),
            status="sold",
        )
        for n in range(12)
    ],
]

EVENTS = [
    event("person", "sold", "bid", days_ago=6, amount=2.1e6),
    event("person", "sold", "win", days_ago=5, amount=2.1e6),
    event("fund", "shunned", "dismiss", days_ago=3),
    *[
        event("fund", f"old{n}", kind, days_ago=160 - n, amount=5e6 if kind == "bid" else None)
        for n in range(1, 12, 2)
        for kind in ("view", "favorite", "bid")
    ],
    *[
        event("person", f"old{n}", kind, days_ago=160 - n, amount=3e6 if kind == "bid" else None)
        for n in range(0, 12, 2)
        for kind in ("view", "bid")
    ],
    # doubter: long looks and data-room requests on five listings, never a bid
    *[
        event("doubter", f"old{n}", kind, days_ago=155 - n, dwell=600.0 if kind == "view" else None)
        for n in range(5)
        for kind in ("view", "dd_request")
    ],
    *[event("amc", f"old{n}", "view", days_ago=150 - n, dwell=30.0) for n in range(12)],
]
for row in EVENTS:  # tests.profiles.market counts back from its own clock; this market's is NOW
    row["occurred_at"] = NOW - (pd.Timestamp("2025-01-01") - row["occurred_at"])


def tiny_market() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Investors, packages and events of the tiny market."""
    return market(INVESTORS, LISTINGS, EVENTS)


def tiny_matcher(rules: RuleSet = DEFAULT_RULES) -> Matcher:
    """A matcher over the tiny market, with a small model fitted on it."""
    investors, packages, events = tiny_market()
    model, profiles = train_recommender(investors, packages, events, NOW.to_pydatetime(), SMALL)
    return Matcher.build(model, profiles, investors, packages, events, rules, NOW.to_pydatetime())


def rerank(matcher: Matcher, investor_id: str, scores: Mapping[str, float], k: int = 10) -> RankedList:
    """Re-rank the given candidates (package id -> model score, best first) for one investor."""
    return matcher.rerank(investor_id, list(scores), np.asarray(list(scores.values()), dtype=np.float32), k)


def codes(ranked: RankedList) -> dict[str, tuple[str, ...]]:
    """Each item's reason codes."""
    return {item.id: tuple(reason.code for reason in item.reasons) for item in ranked.items}


def removed(ranked: RankedList) -> dict[str, str]:
    """Each removed item's removal code."""
    return {item.id: item.reasons[0].code for item in ranked.removed}
