"""Eligibility, rule by rule: candidates in, the expected list and removal reasons out."""

from __future__ import annotations

from dataclasses import replace

import pytest

from matching.eligibility import REMOVAL_CODES
from matching.matcher import Matcher
from matching.rule_set import DEFAULT_RULES, Eligibility, MarketTightening, ProvinceList, RuleSet, TicketFit
from tests.conftest import REPO_ROOT
from tests.matching.market import removed, rerank

OFF = TicketFit(mode="off")


def with_eligibility(**fields: object) -> RuleSet:
    return replace(DEFAULT_RULES, eligibility=replace(Eligibility(ticket_fit=OFF), **fields))


CASES = [
    # (name, rules, investor, candidates best first, expected list, expected removals)
    (
        "licence: a bank batch of 4,200 loans is for licensed AMCs only",
        DEFAULT_RULES,
        "fund",
        ["batch", "office", "office2"],
        ["office", "office2"],
        {"batch": "licence_required"},
    ),
    (
        "licence: a licensed AMC may buy it",
        DEFAULT_RULES,
        "amc",
        ["batch", "office", "office2"],
        ["batch", "office", "office2"],
        {},
    ),
    (
        "live: a sold listing never comes back",
        DEFAULT_RULES,
        "fund",
        ["sold", "office"],
        ["office"],
        {"sold": "not_live"},
    ),
    (
        "never again: dismissed",
        DEFAULT_RULES,
        "fund",
        ["shunned", "office"],
        ["office"],
        {"shunned": "dismissed"},
    ),
    (
        "never again: won (and sold)",
        DEFAULT_RULES,
        "person",
        ["sold", "flat"],
        ["flat"],
        {"sold": "not_live"},
    ),
    (
        "tightened: hide listings closing within 48 hours",
        replace(DEFAULT_RULES, market=MarketTightening(min_hours_before_close=48)),
        "fund",
        ["closing", "office"],
        ["office"],
        {"closing": "closing_too_soon"},
    ),
    (
        "tightened: licence from 3 loans",
        replace(DEFAULT_RULES, market=MarketTightening(licence_min_loans=3)),
        "fund",
        ["batch", "office"],
        ["office"],
        {"batch": "licence_required"},
    ),
    (
        "ticket strict: a 5bn plot is outside a 3m ticket",
        with_eligibility(ticket_fit=TicketFit("strict")),
        "person",
        ["land", "flat"],
        ["flat"],
        {"land": "ticket_fit"},
    ),
    ("ticket off: anything goes", with_eligibility(), "fund", ["land", "office"], ["land", "office"], {}),
    (
        "ticket tolerance 0.5: a 20m office is beyond 1.5x a 3m ticket",
        with_eligibility(ticket_fit=TicketFit("tolerance", 0.5)),
        "person",
        ["office", "flat"],
        ["flat"],
        {"office": "ticket_fit"},
    ),
    (
        "province allow list per listing",
        with_eligibility(provinces_by_package={"office": ProvinceList(allow=("Zhejiang",))}),
        "fund",
        ["office", "office2"],
        ["office2"],
        {"office": "province_blocked"},
    ),
    (
        "province deny list per seller",
        with_eligibility(provinces_by_seller={"ent-zj": ProvinceList(deny=("Shanghai",))}),
        "fund",
        ["office", "office2", "flat"],
        ["flat"],
        {"office": "province_blocked", "office2": "province_blocked"},
    ),
    (
        "province allow list admits the home province",
        with_eligibility(provinces_by_package={"office": ProvinceList(allow=("Shanghai",))}),
        "fund",
        ["office", "office2"],
        ["office", "office2"],
        {},
    ),
    (
        "investor types per seller type",
        with_eligibility(investor_types_by_seller_type={"court": ("national_amc",)}),
        "person",
        ["flat", "fresh"],
        ["fresh"],
        {"flat": "investor_type_blocked"},
    ),
    (
        "cross-border: foreign institutions only on eligible listings",
        with_eligibility(cross_border_only=True),
        "foreign",
        ["office", "stake"],
        ["stake"],
        {"office": "cross_border"},
    ),
    (
        "cross-border rule off (the default: cross_border_eligible defaults to false)",
        DEFAULT_RULES,
        "foreign",
        ["office", "stake"],
        ["office", "stake"],
        {},
    ),
    (
        "ticket: a 2m flat below a 28m band is affordable, so it stays (down-ranked, not removed)",
        DEFAULT_RULES,
        "foreign",
        ["flat", "stake"],
        ["flat", "stake"],
        {},
    ),
    (
        "ticket strict: below the band is kept too",
        with_eligibility(ticket_fit=TicketFit("strict")),
        "foreign",
        ["flat", "stake"],
        ["flat", "stake"],
        {},
    ),
    (
        "cross-border rule off",
        with_eligibility(cross_border_only=False),
        "foreign",
        ["office", "stake"],
        ["office", "stake"],
        {},
    ),
    (
        "related parties may not deal",
        with_eligibility(related_parties=(("fund", "ent-zj"),)),
        "fund",
        ["office", "flat", "office2"],
        ["flat"],
        {"office": "related_party", "office2": "related_party"},
    ),
    (
        "market rules before operator rules: the first failed rule is named",
        with_eligibility(
            related_parties=(("fund", "bank-js"),),
            provinces_by_package={"batch": ProvinceList(deny=("Shanghai",))},
        ),
        "fund",
        ["batch", "office"],
        ["office"],
        {"batch": "licence_required"},
    ),
]


@pytest.mark.parametrize(
    ("name", "rules", "investor", "candidates", "expected", "removals"), CASES, ids=[c[0] for c in CASES]
)
def test_each_rule_removes_what_it_should_and_says_why(
    tiny: Matcher,
    name: str,
    rules: RuleSet,
    investor: str,
    candidates: list[str],
    expected: list[str],
    removals: dict[str, str],
) -> None:
    scores = {package: float(len(candidates) - n) for n, package in enumerate(candidates)}
    ranked = rerank(tiny.with_rules(rules), investor, scores)
    assert ranked.ids == expected
    assert removed(ranked) == removals
    assert [item.rank for item in ranked.items] == list(range(1, len(expected) + 1))


def test_removals_carry_text_and_the_score_they_lost(tiny: Matcher) -> None:
    ranked = rerank(tiny, "fund", {"batch": 3.0, "office": 2.0, "shunned": 1.0})
    by_id = {item.id: item.reasons[0] for item in ranked.removed}
    assert by_id["batch"].text.startswith("removed: licence required")
    assert by_id["shunned"].text == "removed: dismissed by the investor"
    for item in ranked.removed:
        assert item.reasons[0].effect == pytest.approx(-item.score)
    batch = next(item for item in ranked.removed if item.id == "batch")
    assert batch.rank == 1  # it would have led the list


def test_every_removal_code_is_documented() -> None:
    text = (REPO_ROOT / "docs" / "matching.md").read_text(encoding="utf-8")
    missing = [code for code in REMOVAL_CODES if f"`{code}`" not in text]
    assert not missing
