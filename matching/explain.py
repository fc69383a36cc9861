"""Reasons: the machine-readable codes and the sentences a person reads.

Codes are stable (clients switch on them); texts may be reworded. The vocabulary is listed in
docs/matching.md. A removal's effect is minus the score the item would have had.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from data.contract import ASSET_TYPES, INVESTOR_TYPES, PROVINCES, REGIONS, SELLER_TYPES
from data.wording import count
from matching.eligibility import REMOVAL_CODES
from matching.ranked import Reason
from matching.rule_set import RuleSet

MODEL_TEXTS = {
    ("collaborative", "investor"): "investors who bid like you bid on similar packages",
    ("profile_match", "investor"): "investors with a profile like yours act on similar packages",
    ("collaborative", "buyer"): "acts like the bidders on similar packages",
    ("profile_match", "buyer"): "has the profile of investors who act on similar packages",
}
TICKET_TEXTS = {
    ("within", "investor"): "within your ticket range",
    ("near", "investor"): "close to your ticket range",
    ("below", "investor"): "below your usual ticket range",
    ("within", "buyer"): "reserve price within the investor's ticket range",
    ("near", "buyer"): "reserve price close to the investor's ticket range",
    ("below", "buyer"): "reserve price below the investor's usual ticket range",
}


def label(vocabulary: tuple[str, ...], code: int) -> str:
    return vocabulary[code] if 0 <= code < len(vocabulary) else "unknown"


def model_reason(has_history: bool, direction: str, effect: float) -> Reason:
    code = "collaborative" if has_history else "profile_match"
    return Reason(code, MODEL_TEXTS[(code, direction)], effect)


def learned_reason(feature: str, text: str) -> Reason:
    """``learned:<feature>``: one of the top features lifting a listing in the second stage's order.

    The second stage re-orders candidates; it adds nothing to the rule set's score, so the
    effect is 0 (the reason informs) and it is listed after the rules' reasons.
    """
    return Reason(f"learned:{feature}", text, 0.0)


def stated_reason(
    type_match: bool, place: float, asset_type: int, province: int, region: int, effect: float
) -> Reason | None:
    """``stated_preference``: which stated asset type and place the listing matches."""
    parts = []
    if type_match:
        parts.append(label(ASSET_TYPES, asset_type))
    if place >= 1.0:
        parts.append(label(PROVINCES, province))
    elif place > 0:
        parts.append(f"{label(REGIONS, region)} region")
    if not parts:
        return None
    return Reason("stated_preference", "matches stated preference: " + " in ".join(parts), effect)


def ticket_reason(fit: str, direction: str, effect: float = 0.0) -> Reason:
    """``ticket_fit``: ``fit`` is ``within``, ``near`` (within the tolerance) or ``below`` (down-ranked)."""
    return Reason("ticket_fit", TICKET_TEXTS[(fit, direction)], effect)


def days_text(days: float, future: bool) -> str:
    whole = max(0, math.ceil(days) if future else math.floor(days))
    if whole == 0:
        return "closes today" if future else "listed today"
    unit = "day" if whole == 1 else "days"
    return f"closes in {whole} {unit}" if future else f"listed {whole} {unit} ago"


def boost_reason(name: str, effect: float, facts: dict[str, list], n: int, now: float) -> Reason:
    """``boost_<name>`` with a sentence naming the fact that earned it (``facts[key][n]``)."""
    if name == "closing_soon":
        text = "boosted: " + days_text(facts["closes"][n] - now, future=True)
    elif name == "newly_listed":
        text = "boosted: " + days_text(now - facts["listed"][n], future=False)
    elif name == "data_room":
        text = f"boosted: data room {facts['dd'][n]:.0%} complete"
    elif name == "preferred_province":
        if facts["place"][n] >= 1.0:
            text = f"boosted: in preferred province {label(PROVINCES, facts['province'][n])}"
        else:
            text = f"boosted: in preferred region {label(REGIONS, facts['region'][n])}"
    elif name == "featured":
        text = (
            f"boosted: featured listing ({label(ASSET_TYPES, facts['asset_type'][n])} "
            f"in {label(PROVINCES, facts['province'][n])})"
        )
    else:
        text = (
            f"boosted: data room {facts['dd'][n]:.0%} complete and an appraised value, "
            "what investors who look long before bidding ask for"
        )
    return Reason(f"boost_{name}", text, effect)


def _listing_of(asset_type: int) -> str:
    return f"{label(ASSET_TYPES, asset_type)} listing"


# Each text reads the candidate's facts through ``a(key)``.
REMOVAL_TEXTS: dict[str, Callable[[Callable[[str], int], RuleSet], str]] = {
    "not_live": lambda a, r: "removed: not live (not yet listed, closed, sold or withdrawn)",
    "not_registered": lambda a, r: "removed: not a registered investor",
    "closing_too_soon": lambda a, r: (
        f"removed: closes within {r.market.min_hours_before_close:g} "
        f"hour{'' if r.market.min_hours_before_close == 1 else 's'}"
    ),
    "licence_required": lambda a, r: (
        "removed: licence required (bank batch of non-performing loans, licensed AMCs only)"
    ),
    "dismissed": lambda a, r: "removed: dismissed by the investor",
    "won": lambda a, r: "removed: already won by the investor",
    "ticket_fit": lambda a, r: "removed: reserve price outside the ticket range",
    "province_blocked": lambda a, r: (
        f"removed: not offered to investors from {label(PROVINCES, a('investor_province'))}"
    ),
    "investor_type_blocked": lambda a, r: (
        f"removed: {label(SELLER_TYPES, a('seller_type'))} sellers do not sell to "
        f"{label(INVESTOR_TYPES, a('investor_type'))}"
    ),
    "cross_border": lambda a, r: "removed: not eligible for cross-border sale",
    "related_party": lambda a, r: "removed: related party of the seller",
    "diversity_asset_type": lambda a, r: (
        f"removed: already {count(r.diversity.max_per_asset_type or 0, _listing_of(a('asset_type')))} "
        "ranked higher"
    ),
    "diversity_seller": lambda a, r: (
        f"removed: already {count(r.diversity.max_per_seller or 0, 'listing')} from this seller ranked higher"
    ),
    "diversity_province": lambda a, r: (
        f"removed: already {count(r.diversity.max_per_province or 0, 'listing')} "
        f"in {label(PROVINCES, a('province'))} ranked higher"
    ),
    "exposure_cap": lambda a, r: (
        f"removed: already pushed to {count(r.exposure.daily_cap_per_package or 0, 'investor')} today"
    ),
}


def removal_reason(code: int, score: float, facts: dict[str, list], n: int, rules: RuleSet) -> Reason:
    """Why a rule removed an item, as ``removed: ...``; its effect is minus the score it lost."""
    name = REMOVAL_CODES[code - 1]
    return Reason(name, REMOVAL_TEXTS[name](lambda key: facts[key][n], rules), -score, removal=True)
