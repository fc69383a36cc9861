"""What a rule-set document may say: one spec per ``RuleSet`` field, with its range.

The table mirrors ``matching.rule_set`` field for field (a test keeps the two in step), so the
ranges an operator reads in the operator guide live in exactly one place in code.

The market's hard rules are not in the table as switches: a key that tries to turn one off —
under ``market`` or anywhere else — is answered with why it cannot be disabled, and
``market.licence_min_loans`` only accepts values that tighten the contract's threshold.
"""

from __future__ import annotations

from typing import Any

from data.contract import ASSET_TYPES, BANK_BATCH_MIN_LOANS, INVESTOR_TYPES, PROVINCES, SELLER_TYPES
from matching.rule_fields import (
    INVALID,
    Choice,
    Flag,
    IdPairs,
    Integer,
    Keys,
    MappingOf,
    Names,
    Number,
    Section,
    is_number,
    shown,
    unknown_rule,
)
from matching.rule_set import (
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

MAX_WEIGHT = 10.0
MAX_TOLERANCE = 10.0
MAX_DAYS = 365.0
MAX_TOP_K = 1_000
MAX_CANDIDATES = 10_000

CANNOT_DISABLE = "the market rule cannot be disabled"
LICENCE_RULE = (
    f"a bank's batch of {BANK_BATCH_MIN_LOANS} or more non-performing loans goes only to licensed AMCs "
    f"(market.licence_min_loans may only tighten it, 1 to {BANK_BATCH_MIN_LOANS})"
)
LIVE_RULE = (
    "only active or upcoming listings closing in the future are recommended "
    "(market.min_hours_before_close may only tighten it)"
)
NEVER_AGAIN_RULE = "a listing an investor dismissed or won is never recommended to it again"
MASKING_RULE = "debtors' personal data never leaves the engine unmasked"
ALL_MARKET_RULES = (
    f"the market rules cannot be disabled; a document may only tighten them with "
    f"market.licence_min_loans (1 to {BANK_BATCH_MIN_LOANS}) and market.min_hours_before_close (>= 0)"
)

# Keys an operator might write to switch a hard rule off, and the rule each one names.
HARD_RULE_KEYS: dict[str, str] = {
    **dict.fromkeys(
        ("licence_rule", "licence", "amc_licence", "licence_required", "licensed_amc_only",
         "bank_batch_licence", "require_licence", "licence_check"),
        LICENCE_RULE,
    ),
    **dict.fromkeys(
        ("live_only", "live", "live_listings_only", "only_live", "exclude_closed", "hide_closed"),
        LIVE_RULE,
    ),
    **dict.fromkeys(
        ("never_again", "exclude_dismissed", "exclude_won", "hide_dismissed", "dismissed"),
        NEVER_AGAIN_RULE,
    ),
    **dict.fromkeys(
        ("masking", "mask_personal_data", "personal_data_masking", "mask_pii", "pii_masking"),
        MASKING_RULE,
    ),
}  # fmt: skip
GENERIC_HARD_RULE_KEYS = frozenset({"market_rules", "hard_rules", "regulatory_rules", "regulatory"})
SWITCHED_OFF = frozenset({"off", "none", "null", "false", "no", "never", "disabled", "unlimited"})


def _hard_rule_key(key: Any) -> str:
    """Spelling-tolerant: ``License-Rule`` and ``licence_rule`` are the same key."""
    return str(key).strip().lower().replace("-", "_").replace(" ", "_").replace("licens", "licenc")


_HARD_RULE_BY_KEY = {_hard_rule_key(key): rule for key, rule in HARD_RULE_KEYS.items()}


def hard_rule_problem(key: Any) -> str | None:
    """Why ``key`` cannot be used, when it names (a switch for) one of the market's hard rules."""
    normal = _hard_rule_key(key)
    if normal in _HARD_RULE_BY_KEY:
        return f"{CANNOT_DISABLE}: {_HARD_RULE_BY_KEY[normal]}"
    if normal in GENERIC_HARD_RULE_KEYS:
        return ALL_MARKET_RULES
    return None


def unknown_key(key: Any) -> str:
    return hard_rule_problem(key) or unknown_rule(key)


def unknown_market_key(key: Any) -> str:
    """Under ``market`` only tightenings exist, so any other key is an attempt to change a hard rule."""
    return hard_rule_problem(key) or ALL_MARKET_RULES


def market_not_a_mapping(value: Any) -> str:
    return f"{ALL_MARKET_RULES}, got {shown(value)}"


class LicenceThreshold:
    """``market.licence_min_loans``: the loan count from which a bank batch needs a licensed AMC."""

    exact = Integer(minimum=1, maximum=BANK_BATCH_MIN_LOANS)

    def parse(self, value: Any, path: str, problems: list[str]) -> Any:
        loosens = (
            value is None
            or value is False
            or (isinstance(value, str) and value.strip().lower() in SWITCHED_OFF)
            or (is_number(value) and value > BANK_BATCH_MIN_LOANS)
        )
        if loosens:
            problems.append(f"{path}: {CANNOT_DISABLE}: {LICENCE_RULE}, got {shown(value)}")
            return INVALID
        return self.exact.parse(value, path, problems)

    def dump(self, value: Any) -> Any:
        return value


def _both_allowed_and_denied(lists: ProvinceList) -> tuple[str, str] | None:
    both = [province for province in lists.deny if province in lists.allow]
    return ("deny", f"{', '.join(map(repr, both))} also in allow") if both else None


def _some_weight(blend: Blend) -> tuple[str, str] | None:
    if blend.model == blend.stated == blend.rules == 0:
        return "", "at least one weight must be above 0, or every list would be in arbitrary order"
    return None


def _top_k_within_candidates(rules: RuleSet) -> tuple[str, str] | None:
    if rules.top_k > rules.candidates:
        return "top_k", f"must not exceed candidates ({rules.candidates}), got {rules.top_k}"
    return None


def _section(cls: type, fields: dict[str, Any], **options: Any) -> Section:
    return Section(cls, fields, unknown=options.pop("unknown", unknown_key), **options)


WEIGHT = Number(0.0, MAX_WEIGHT)
DAYS = Number(0.0, MAX_DAYS)
SHARE = Number(0.0, 1.0)
CAP = Integer(minimum=1, nullable=True)
BOOST = _section(Boost, {"enabled": Flag(), "weight": WEIGHT})
PROVINCE_LISTS = MappingOf(
    Keys("id"),
    _section(
        ProvinceList,
        {"allow": Names(PROVINCES, "province"), "deny": Names(PROVINCES, "province")},
        checks=(_both_allowed_and_denied,),
        unknown=lambda key: "unknown list (expected allow or deny)",
    ),
)

RULE_SET_SCHEMA = _section(
    RuleSet,
    {
        "market": _section(
            MarketTightening,
            {"licence_min_loans": LicenceThreshold(), "min_hours_before_close": Number(0.0)},
            unknown=unknown_market_key,
            not_a_mapping=market_not_a_mapping,
        ),
        "eligibility": _section(
            Eligibility,
            {
                "ticket_fit": _section(
                    TicketFit,
                    {
                        "mode": Choice(("off", "strict", "tolerance")),
                        "tolerance": Number(0.0, MAX_TOLERANCE),
                        "below_band_penalty": Number(0.0, 1.0),
                    },
                ),
                "provinces_by_package": PROVINCE_LISTS,
                "provinces_by_seller": PROVINCE_LISTS,
                "investor_types_by_seller_type": MappingOf(
                    Keys("seller type", SELLER_TYPES), Names(INVESTOR_TYPES, "investor type", non_empty=True)
                ),
                "cross_border_only": Flag(),
                "related_parties": IdPairs(("investor_id", "seller_id")),
            },
        ),
        "blend": _section(
            Blend, {"model": WEIGHT, "stated": WEIGHT, "rules": WEIGHT}, checks=(_some_weight,)
        ),
        "boosts": _section(
            Boosts,
            {
                "closing_soon": BOOST,
                "closing_soon_days": DAYS,
                "newly_listed": BOOST,
                "newly_listed_days": DAYS,
                "data_room": BOOST,
                "data_room_min_dd": SHARE,
                "preferred_province": BOOST,
                "hesitant_transparency": BOOST,
                "hesitant_min_dd": SHARE,
                "featured": BOOST,
                "featured_asset_types": Names(ASSET_TYPES, "asset type"),
                "featured_provinces": Names(PROVINCES, "province"),
            },
        ),
        "diversity": _section(
            Diversity, {"max_per_asset_type": CAP, "max_per_seller": CAP, "max_per_province": CAP}
        ),
        "exposure": _section(
            Exposure,
            {
                "daily_cap_per_package": CAP,
                "floor_investors": Integer(minimum=0),
                "floor_top_k": Integer(minimum=1, maximum=MAX_TOP_K),
            },
        ),
        "candidates": Integer(minimum=1, maximum=MAX_CANDIDATES),
        "top_k": Integer(minimum=1, maximum=MAX_TOP_K),
    },
    checks=(_top_k_within_candidates,),
)
