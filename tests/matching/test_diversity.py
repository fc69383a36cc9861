"""Diversity caps: at most N per asset type, seller or province in the top k, filled from the top."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from matching.eligibility import CODE
from matching.matcher import Matcher
from matching.rule_set import DEFAULT_RULES, Diversity, Eligibility, TicketFit
from matching.selection import select
from tests.matching.market import removed, rerank

OPEN = Eligibility(ticket_fit=TicketFit("off"))


CASES = [
    # (name, caps, candidates best first, expected list, expected removals)
    (
        "off by default",
        Diversity(),
        ["office", "office2", "fresh", "closing"],
        ["office", "office2", "fresh", "closing"],
        {},
    ),
    (
        "one commercial property",
        Diversity(max_per_asset_type=1),
        ["office", "office2", "fresh", "closing"],
        ["office", "fresh"],
        {"office2": "diversity_asset_type", "closing": "diversity_asset_type"},
    ),
    (
        "one listing per seller",
        Diversity(max_per_seller=1),
        ["office", "office2", "closing", "stake", "fresh"],
        ["office", "closing", "fresh"],
        {"office2": "diversity_seller", "stake": "diversity_seller"},
    ),
    (
        "one listing per province",
        Diversity(max_per_province=1),
        ["closing", "stake", "office", "office2", "flat"],
        ["closing", "office", "flat"],
        {"stake": "diversity_province", "office2": "diversity_province"},
    ),
    (
        "a skipped listing does not count",
        Diversity(max_per_asset_type=1, max_per_seller=1),
        ["office", "fresh", "closing", "stake"],
        ["office", "fresh", "stake"],
        {"closing": "diversity_asset_type"},
    ),  # closing (seller amc-sh) was skipped, so stake (amc-sh) fits
]


@pytest.mark.parametrize(
    ("name", "caps", "candidates", "expected", "removals"), CASES, ids=[c[0] for c in CASES]
)
def test_caps_keep_the_best_of_each_kind(
    tiny: Matcher,
    name: str,
    caps: Diversity,
    candidates: list[str],
    expected: list[str],
    removals: dict[str, str],
) -> None:
    rules = replace(DEFAULT_RULES, eligibility=OPEN, diversity=caps)
    scores = {package: float(len(candidates) - n) for n, package in enumerate(candidates)}
    ranked = rerank(tiny.with_rules(rules), "amc", scores, k=len(candidates))
    assert ranked.ids == expected
    assert removed(ranked) == removals


def test_a_cap_stops_counting_once_the_list_is_full() -> None:
    scores = np.array([[5.0, 4.0, 3.0, 2.0]])
    codes = np.zeros((1, 4), dtype=np.int8)
    kinds = {
        "asset_type": np.array([0, 0, 1, 0]),
        "seller": np.array([-1, -1, -1, -1]),
        "province": np.array([0, 1, 2, 3]),
    }
    chosen = select(scores, codes, 2, Diversity(max_per_asset_type=1), kinds)
    assert chosen.tolist() == [[0, 2]]
    assert codes.tolist() == [[0, CODE["diversity_asset_type"], 0, 0]]  # the last was never reached


def test_diversity_removals_say_how_many_ranked_higher(tiny: Matcher) -> None:
    rules = replace(DEFAULT_RULES, eligibility=OPEN, diversity=Diversity(max_per_asset_type=1))
    ranked = rerank(tiny.with_rules(rules), "amc", {"office": 2.0, "office2": 1.0}, k=2)
    (item,) = ranked.removed
    assert item.reasons[0].text == "removed: already 1 commercial_property listing ranked higher"
