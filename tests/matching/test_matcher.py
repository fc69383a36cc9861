"""The serving matcher: not-found errors, buyers, similar listings, and changes folded in at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from data.contract import EVENT_FIELDS, INVESTOR_FIELDS, PACKAGE_FIELDS
from matching.errors import UnknownInvestorError, UnknownPackageError
from matching.matcher import Matcher
from matching.rule_set import DEFAULT_RULES, Eligibility, TicketFit
from tests.matching.market import NOW, tiny_market
from tests.profiles.market import event, frame, investor, package


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.recommend("nobody", 5),
        lambda m: m.recommend("late", 5),  # registers after the matcher's now
        lambda m: m.recommend(None, 5),
    ],
)
def test_an_unknown_investor_is_a_named_not_found_error(tiny: Matcher, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownInvestorError) as raised:
        call(tiny)
    assert isinstance(raised.value, LookupError)
    assert "unknown investor" in str(raised.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.buyers("nothing", 5),
        lambda m: m.similar("nothing", 5),
        lambda m: m.package_row("nothing"),
    ],
)
def test_an_unknown_package_is_a_named_not_found_error(tiny: Matcher, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownPackageError, match="unknown package 'nothing'"):
        call(tiny)


def test_buyers_apply_the_rules_in_reverse(tiny: Matcher) -> None:
    assert tiny.buyers("batch", 10).ids == ["amc"]
    assert {item.id: item.reasons[0].code for item in tiny.buyers("batch", 10).removed}.get(
        "fund"
    ) == "licence_required"
    assert "fund" not in tiny.buyers("shunned", 10).ids
    assert "foreign" in tiny.buyers("office", 10).ids  # cross_border_only is off by default
    cross_border = replace(DEFAULT_RULES, eligibility=Eligibility(cross_border_only=True))
    assert "foreign" not in tiny.with_rules(cross_border).buyers("office", 10).ids  # not eligible
    buyers = tiny.buyers("stake", 10)
    assert buyers.items and all(
        item.reasons[0].code in ("collaborative", "profile_match") for item in buyers.items
    )


def test_a_closed_listing_has_no_buyers_but_is_still_found(tiny: Matcher) -> None:
    ranked = tiny.buyers("sold", 10)
    assert ranked.items == []
    assert ranked.removed and all(item.reasons[0].code == "not_live" for item in ranked.removed)


def test_similar_listings_are_live_and_exclude_the_listing_itself(tiny: Matcher) -> None:
    ranked = tiny.similar("office", 5)
    assert "office" not in ranked.ids and "sold" not in ranked.ids and ranked.ids
    assert ranked.items[0].reasons[0].code == "similar_content"
    assert tiny.similar("sold", 3).ids  # a closed listing still has live neighbours


def test_package_row_is_the_stored_listing_as_plain_values(tiny: Matcher) -> None:
    row = tiny.package_row("flat")
    assert row["package_id"] == "flat" and row["reserve_price_cny"] == 2e6
    assert isinstance(row["closes_at"], datetime)
    assert tiny.package_row("office")["appraised_value_cny"] is None


def test_with_rules_shares_the_market(tiny: Matcher) -> None:
    other = tiny.with_rules(tiny.rules)
    assert other.state is tiny.state and other.model is tiny.model


def new_listing(package_id: str, **fields: object) -> pd.DataFrame:
    row = package(
        package_id,
        seller_type="court",
        asset_type="residential",
        province="Jiangsu",
        reserve_price_cny=2.2e6,
        dd_completeness=0.9,
        listed_at=NOW - pd.Timedelta(hours=1),
        closes_at=NOW + pd.Timedelta(days=10),
        status="active",
        seller_id="court-js",
    )
    row.update(fields)
    return frame([row], PACKAGE_FIELDS)


def test_a_new_listing_is_recommendable_at_once(tiny: Matcher) -> None:
    assert "flat-new" not in tiny.recommend("person", 20).ids
    tiny.upsert_packages(new_listing("flat-new"))
    assert "flat-new" in tiny.recommend("person", 20).ids
    assert "person" in tiny.buyers("flat-new", 10).ids
    assert tiny.package_row("flat-new")["reserve_price_cny"] == 2.2e6


def test_an_edited_listing_that_is_sold_leaves_at_once(tiny: Matcher) -> None:
    assert "flat" in tiny.recommend("person", 20).ids
    tiny.upsert_packages(new_listing("flat", status="sold"))
    assert "flat" not in tiny.recommend("person", 20).ids
    assert tiny.package_row("flat")["status"] == "sold"


def dismissal(investor_id: str, package_id: str, kind: str = "dismiss") -> pd.DataFrame:
    row = event(investor_id, package_id, kind, amount=2e6 if kind == "win" else None)
    row["occurred_at"] = NOW
    return frame([row], EVENT_FIELDS)


def test_a_dismiss_removes_the_listing_at_once_in_both_directions(tiny: Matcher) -> None:
    assert "flat" in tiny.recommend("person", 20).ids
    tiny.add_events(dismissal("person", "flat"))
    ranked = tiny.recommend("person", 20)
    assert "flat" not in ranked.ids
    assert "person" not in tiny.buyers("flat", 10).ids
    assert {item.id: item.reasons[0].code for item in ranked.removed}.get("flat") == "dismissed"


def test_new_events_refresh_the_investors_vector(tiny: Matcher) -> None:
    row = tiny.model.investor_ids.row("foreign")
    before = tiny.model.investor_vectors[row].copy()
    looks = [
        event("foreign", "stake", kind, dwell=300.0 if kind == "view" else None)
        for kind in ("view", "favorite", "dd_request")
    ]
    for look in looks:
        look["occurred_at"] = NOW - pd.Timedelta(hours=1)
    tiny.add_events(frame(looks, EVENT_FIELDS))
    assert not np.allclose(before, tiny.model.investor_vectors[row])
    assert tiny.recommend("foreign", 5).items[0].reasons[0].code == "collaborative"  # it has history now


def test_a_new_investor_is_recommendable_at_once(tiny: Matcher) -> None:
    with pytest.raises(UnknownInvestorError):
        tiny.recommend("newcomer", 5)
    tiny.upsert_investors(
        frame(
            [
                investor(
                    "newcomer",
                    investor_type="individual",
                    province="Jiangsu",
                    registered_at=NOW - pd.Timedelta(hours=1),
                    capital_cny=4e6,
                    preferred_asset_types="residential",
                )
            ],
            INVESTOR_FIELDS,
        )
    )
    ranked = tiny.recommend("newcomer", 5)
    assert ranked.items and "batch" not in ranked.ids
    assert ranked.items[0].reasons[0].code == "profile_match"


def test_an_investor_who_gains_a_licence_may_buy_bank_batches_at_once(tiny: Matcher) -> None:
    investors, _, _ = tiny_market()
    open_tickets = tiny.with_rules(
        replace(DEFAULT_RULES, eligibility=Eligibility(ticket_fit=TicketFit("off")))
    )
    assert "batch" not in open_tickets.recommend("fund", 20).ids
    tiny.upsert_investors(investors[investors["investor_id"] == "fund"].assign(licensed_amc=True))
    assert "batch" in open_tickets.recommend("fund", 20).ids
    assert "fund" in open_tickets.buyers("batch", 10).ids


def test_empty_answers_are_lists_not_crashes(tiny: Matcher) -> None:
    assert tiny.recommend("amc", 0).ids == [] and tiny.buyers("flat", 0).ids == []
    tiny.upsert_packages(tiny_market()[1].assign(status="sold"))  # nothing is live any more
    assert tiny.recommend("amc", 5).ids == []
    assert tiny.similar("flat", 3).ids == []
    assert tiny.buyers("flat", 5).ids == []


def test_an_investor_becomes_recommendable_once_registered(tiny: Matcher) -> None:
    with pytest.raises(UnknownInvestorError):
        tiny.recommend("late", 5)
    later = (NOW + pd.Timedelta(days=11)).to_pydatetime()
    assert tiny.recommend("late", 5, now=later).items


def test_similar_hides_closing_listings_exactly_as_eligibility_does(tiny: Matcher) -> None:
    """docs/matching.md: hidden when closing *within* ``min_hours_before_close``; the boundary stays."""
    from matching.rule_set import MarketTightening

    def under(hours: float) -> Matcher:
        return tiny.with_rules(replace(DEFAULT_RULES, market=MarketTightening(min_hours_before_close=hours)))

    at_the_boundary = under(30 * 24)  # every listing closes in exactly 30 days
    assert "office2" in at_the_boundary.similar("office", 5).ids
    assert at_the_boundary.recommend("amc", 10).ids
    assert under(30 * 24 + 1).similar("office", 5).ids == []
    assert under(30 * 24 + 1).recommend("amc", 10).ids == []
