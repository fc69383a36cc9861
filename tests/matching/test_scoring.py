"""Score blend and boosts: the order they produce and the reasons (with effects) each item carries."""

from __future__ import annotations

from dataclasses import replace

import pytest

from matching.matcher import Matcher
from matching.rule_set import DEFAULT_RULES, Blend, Boost, Boosts, RuleSet
from tests.matching.market import codes, rerank

ON = Boost(enabled=True, weight=1.5)  # model scores span [0, 1] over a list: 1.5 lifts the last to the top


def boosted(**boosts: Boost) -> RuleSet:
    return replace(DEFAULT_RULES, boosts=replace(DEFAULT_RULES.boosts, **boosts))


def test_default_rules_keep_the_model_order_and_explain_it(tiny: Matcher) -> None:
    ranked = rerank(tiny, "amc", {"fresh": 3.0, "closing": 2.0, "batch": 1.0})
    assert ranked.ids == ["fresh", "closing", "batch"]
    top = ranked.items[0]
    assert top.score == pytest.approx(1.0) and top.model_score == pytest.approx(3.0)
    assert codes(ranked)["fresh"][0] == "collaborative"
    assert top.reasons[0].text == "investors who bid like you bid on similar packages"
    assert ranked.items[-1].score == pytest.approx(0.0)  # model scores are scaled over the list


def test_a_cold_investor_is_told_the_match_comes_from_its_profile(tiny: Matcher) -> None:
    ranked = rerank(tiny, "foreign", {"stake": 1.0})
    assert ranked.items[0].reasons[0].code == "profile_match"


BOOST_CASES = [
    # (name, rules, investor, candidates best first, expected order, item, expected reason code, text)
    (
        "closing soon lifts the listing that closes tomorrow",
        boosted(closing_soon=ON),
        "amc",
        {"fresh": 3.0, "batch": 2.8, "closing": 2.5},
        ["closing", "fresh", "batch"],
        "closing",
        "boost_closing_soon",
        "boosted: closes in 2 days",
    ),
    (
        "newly listed lifts the two-day-old listing",
        boosted(newly_listed=ON),
        "amc",
        {"closing": 3.0, "batch": 2.8, "fresh": 2.5},
        ["fresh", "closing", "batch"],
        "fresh",
        "boost_newly_listed",
        "boosted: listed 2 days ago",
    ),
    (
        "a full data room is boosted",
        boosted(data_room=ON),
        "amc",
        {"batch": 3.0, "office": 2.8, "flat": 2.5},
        ["flat", "batch", "office"],
        "flat",
        "boost_data_room",
        "boosted: data room 95% complete",
    ),
    (
        "a stated province is boosted",
        boosted(preferred_province=ON),
        "amc",
        {"fresh": 3.0, "closing": 2.8, "batch": 2.5},
        ["batch", "closing", "fresh"],
        "batch",
        "boost_preferred_province",
        "boosted: in preferred province Jiangsu",
    ),
    (
        "a stated province's region counts half",
        boosted(preferred_province=ON),
        "amc",
        {"fresh": 3.0, "closing": 2.8, "batch": 2.5},
        ["batch", "closing", "fresh"],
        "closing",
        "boost_preferred_province",
        "boosted: in preferred region east_coast",
    ),
    (
        "a hesitant investor gets complete, appraised listings first",
        boosted(hesitant_transparency=ON),
        "doubter",
        {"office": 3.0, "closing": 2.8, "flat": 2.5},
        ["flat", "office", "closing"],
        "flat",
        "boost_hesitant_transparency",
        None,
    ),
    (
        "a featured asset type is boosted for everyone",
        replace(
            DEFAULT_RULES,
            boosts=replace(DEFAULT_RULES.boosts, featured=ON, featured_asset_types=("residential",)),
        ),
        "amc",
        {"office": 3.0, "closing": 2.8, "flat": 2.5},
        ["flat", "office", "closing"],
        "flat",
        "boost_featured",
        "boosted: featured listing (residential in Jiangsu)",
    ),
    (
        "stated preferences blended in",
        replace(DEFAULT_RULES, blend=Blend(model=1.0, stated=1.5, rules=1.0)),
        "person",
        {"fresh": 3.0, "closing": 2.9, "flat": 2.5},
        ["flat", "closing", "fresh"],
        "flat",
        "stated_preference",
        "matches stated preference: residential in Jiangsu",
    ),
]


@pytest.mark.parametrize(
    ("name", "rules", "investor", "scores", "expected", "item", "code", "text"),
    BOOST_CASES,
    ids=[c[0] for c in BOOST_CASES],
)
def test_each_boost_moves_its_listing_and_says_by_how_much(
    tiny: Matcher,
    name: str,
    rules: RuleSet,
    investor: str,
    scores: dict[str, float],
    expected: list[str],
    item: str,
    code: str,
    text: str | None,
) -> None:
    ranked = rerank(
        tiny.with_rules(
            replace(
                rules,
                eligibility=replace(
                    rules.eligibility, ticket_fit=replace(rules.eligibility.ticket_fit, mode="off")
                ),
            )
        ),
        investor,
        scores,
    )
    assert ranked.ids == expected
    reasons = {reason.code: reason for reason in next(i for i in ranked.items if i.id == item).reasons}
    assert reasons[code].effect > 0
    if text is not None:
        assert reasons[code].text == text


def test_the_hesitant_boost_is_for_hesitant_investors_only(tiny: Matcher) -> None:
    rules = boosted(hesitant_transparency=ON)
    scores = {"office": 3.0, "closing": 2.8, "flat": 2.5}
    assert rerank(tiny.with_rules(rules), "amc", scores).ids[-1] == "flat"


@pytest.mark.parametrize("investor", ["amc", "fund", "person", "doubter"])
def test_reason_effects_add_up_to_the_score(tiny: Matcher, investor: str) -> None:
    on = Boost(enabled=True, weight=0.2)
    rules = replace(
        DEFAULT_RULES,
        blend=Blend(model=0.8, stated=0.3, rules=1.5),
        boosts=Boosts(
            closing_soon=on, newly_listed=on, data_room=on, preferred_province=on, hesitant_transparency=on
        ),
    )
    ranked = rerank(
        tiny.with_rules(rules),
        investor,
        {
            p: 1.0 + n / 10
            for n, p in enumerate(["batch", "flat", "office", "office2", "stake", "closing", "fresh", "land"])
        },
    )
    assert ranked.items
    for item in ranked.items:
        assert sum(reason.effect for reason in item.reasons) == pytest.approx(item.score)
    scores = [item.score for item in ranked.items]
    assert scores == sorted(scores, reverse=True)


def test_boost_weight_scales_with_the_rules_blend_weight(tiny: Matcher) -> None:
    rules = replace(boosted(closing_soon=Boost(True, 0.1)), blend=Blend(model=1.0, stated=0.0, rules=3.0))
    ranked = rerank(tiny.with_rules(rules), "amc", {"fresh": 3.0, "closing": 2.0})
    closing = next(item for item in ranked.items if item.id == "closing")
    effect = next(r.effect for r in closing.reasons if r.code == "boost_closing_soon")
    assert effect == pytest.approx(0.3)


def test_to_json_is_machine_readable(tiny: Matcher) -> None:
    ranked = rerank(tiny, "fund", {"batch": 3.0, "office": 2.0})
    payload = ranked.to_json(explain=True, include_removed=True)
    assert payload["items"][0]["id"] == "office"
    assert {"code", "text", "effect", "informative"} == set(payload["items"][0]["reasons"][0])
    assert payload["removed"][0]["reasons"][0]["code"] == "licence_required"
    assert "removed" not in ranked.to_json()
    assert "reasons" not in ranked.to_json(explain=False)["items"][0]


def test_a_listing_below_the_ticket_band_is_down_ranked_and_says_so(tiny: Matcher) -> None:
    # foreign's band starts at 28m: the 2m flat is affordable but below it.
    ranked = rerank(tiny, "foreign", {"flat": 1.0, "stake": 0.9, "office": 0.0})
    assert ranked.ids == ["stake", "flat", "office"]  # 1.0 - 0.2 penalty < 0.9
    flat = next(item for item in ranked.items if item.id == "flat")
    ticket = next(reason for reason in flat.reasons if reason.code == "ticket_fit")
    assert ticket.text == "below your usual ticket range"
    assert ticket.effect == pytest.approx(-0.2) and not ticket.informative
    assert sum(reason.effect for reason in flat.reasons) == pytest.approx(flat.score)
    no_penalty = replace(
        DEFAULT_RULES,
        eligibility=replace(
            DEFAULT_RULES.eligibility,
            ticket_fit=replace(DEFAULT_RULES.eligibility.ticket_fit, below_band_penalty=0.0),
        ),
    )
    unpenalised = rerank(tiny.with_rules(no_penalty), "foreign", {"flat": 1.0, "stake": 0.9})
    assert unpenalised.ids == ["flat", "stake"]


def test_reasons_that_did_not_move_the_score_are_marked_and_listed_last(tiny: Matcher) -> None:
    # With the default blend (stated 0) the stated preference and the ticket fit inform only.
    ranked = rerank(tiny, "fund", {"office": 3.0, "office2": 2.0, "flat": 1.0})
    seen_informative = False
    for item in ranked.items:
        flags = [reason.informative for reason in item.reasons]
        assert flags == sorted(flags)  # every reason with an effect comes first
        for reason in item.reasons:
            assert reason.informative == (round(reason.effect, 6) == 0.0)
            assert reason.to_json()["informative"] == reason.informative
            seen_informative |= reason.informative
    office = ranked.items[0]
    assert office.reasons[0].code == "collaborative" and not office.reasons[0].informative
    assert {r.code for r in office.reasons if r.informative} >= {"stated_preference", "ticket_fit"}
    assert seen_informative
    removal = rerank(tiny, "fund", {"batch": 0.0, "office": 0.0}).removed[0].reasons[0]
    assert removal.code == "licence_required" and not removal.informative
