"""The market's hard rules hold under any rule set, however loosened it tries to be."""

from __future__ import annotations

import random
from dataclasses import replace

import pandas as pd
import pytest

from matching.batch_push import batch_push
from matching.matcher import Matcher
from matching.rule_set import (
    DEFAULT_RULES,
    Blend,
    Boost,
    Boosts,
    Diversity,
    Eligibility,
    Exposure,
    MarketTightening,
    ProvinceList,
    RuleSet,
    TicketFit,
)
from tests.matching.market import NOW, tiny_matcher

UNLICENSED = ("fund", "foreign", "person", "doubter")
NEVER = {("fund", "shunned"), ("person", "sold")}
HUGE = Boost(enabled=True, weight=1e6)

LOOSENED = [
    (
        "licence from a million loans",
        replace(DEFAULT_RULES, market=MarketTightening(licence_min_loans=1_000_000)),
    ),
    (
        "negative hours before close",
        replace(DEFAULT_RULES, market=MarketTightening(min_hours_before_close=-1e6)),
    ),
    (
        "every province allowed for the batch",
        replace(
            DEFAULT_RULES,
            eligibility=Eligibility(
                ticket_fit=TicketFit("off"),
                provinces_by_package={"batch": ProvinceList(allow=("Shanghai", "Jiangsu"))},
                cross_border_only=False,
            ),
        ),
    ),
    (
        "huge boosts and weights",
        replace(
            DEFAULT_RULES,
            blend=Blend(model=-5.0, stated=1e6, rules=1e6),
            boosts=Boosts(
                closing_soon=HUGE,
                newly_listed=HUGE,
                data_room=HUGE,
                preferred_province=HUGE,
                hesitant_transparency=HUGE,
            ),
        ),
    ),
    (
        "everything off",
        RuleSet(
            eligibility=Eligibility(ticket_fit=TicketFit("off"), cross_border_only=False),
            blend=Blend(0.0, 0.0, 0.0),
            exposure=Exposure(floor_investors=0),
            candidates=1,
        ),
    ),
    (
        "a floor that wants every listing everywhere",
        replace(DEFAULT_RULES, exposure=Exposure(floor_investors=1_000, floor_top_k=1_000)),
    ),
]


def assert_hard_rules(matcher: Matcher) -> None:
    for investor in ("amc", *UNLICENSED):
        ids = matcher.recommend(investor, 20).ids
        if investor in UNLICENSED:
            assert "batch" not in ids, investor
        assert "sold" not in ids
        assert not {(investor, p) for p in ids} & NEVER
    assert set(matcher.buyers("batch", 20).ids) <= {"amc"}
    assert "fund" not in matcher.buyers("shunned", 20).ids
    assert matcher.buyers("sold", 20).ids == []
    push = batch_push(matcher, ["amc", *UNLICENSED], 20, 20)
    for investor in UNLICENSED:
        assert "batch" not in push.investors[investor]
    assert not {(i, p) for i, ids in push.investors.items() for p in ids} & NEVER
    assert set(push.packages["batch"]) <= {"amc"}
    assert "sold" not in push.packages and all("sold" not in ids for ids in push.investors.values())


@pytest.mark.parametrize(("name", "rules"), LOOSENED, ids=[name for name, _ in LOOSENED])
def test_no_rule_set_can_loosen_the_market_rules(tiny: Matcher, name: str, rules: RuleSet) -> None:
    assert_hard_rules(tiny.with_rules(rules))


def random_rule_set(rng: random.Random) -> RuleSet:
    provinces = ("Shanghai", "Jiangsu", "Zhejiang", "Beijing")

    def boost() -> Boost:
        return Boost(enabled=rng.random() < 0.5, weight=rng.uniform(-10, 10))

    return RuleSet(
        market=MarketTightening(
            licence_min_loans=rng.randint(-5, 10**6), min_hours_before_close=rng.uniform(-100, 10)
        ),
        eligibility=Eligibility(
            ticket_fit=TicketFit(rng.choice(["off", "strict", "tolerance"]), rng.uniform(0, 100)),
            provinces_by_package={"batch": ProvinceList(allow=tuple(rng.sample(provinces, 2)))},
            provinces_by_seller={"bank-js": ProvinceList(deny=tuple(rng.sample(provinces, 1)))},
            investor_types_by_seller_type={"bank": ("private_fund", "individual")}
            if rng.random() < 0.5
            else {},
            cross_border_only=rng.random() < 0.5,
            related_parties=(("amc", "bank-js"),) if rng.random() < 0.3 else (),
        ),
        blend=Blend(rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-3, 3)),
        boosts=Boosts(
            closing_soon=boost(),
            newly_listed=boost(),
            data_room=boost(),
            preferred_province=boost(),
            hesitant_transparency=boost(),
        ),
        diversity=Diversity(*(rng.choice([None, 0, 1, 5]) for _ in range(3))),
        exposure=Exposure(
            daily_cap_per_package=rng.choice([None, 0, 1, 3]),
            floor_investors=rng.randint(0, 10),
            floor_top_k=rng.randint(1, 30),
        ),
        candidates=rng.randint(1, 50),
    )


def test_random_rule_sets_never_break_the_market_rules() -> None:
    rng = random.Random(7)
    matcher = tiny_matcher()
    for _ in range(15):
        assert_hard_rules(matcher.with_rules(random_rule_set(rng)))


def test_a_listing_closed_since_the_index_was_built_is_not_served(tiny: Matcher) -> None:
    later = (NOW + pd.Timedelta(days=2)).to_pydatetime()
    assert "closing" in tiny.recommend("amc", 20).ids
    assert "closing" not in tiny.recommend("amc", 20, now=later).ids
