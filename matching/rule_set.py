"""The matching rule set: what operators tune, as plain frozen data.

A rule set is parsed and validated from a JSON or YAML document (``matching.rule_document``),
stored as a version in the database, and applied by the re-ranker in a fixed order:
eligibility filters → score blend → boosts → diversity → exposure → top-k.

The market's hard rules (``matching.market_rules``) are not part of this data: no document can
switch them off. A document can only tighten them (``MarketTightening``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

TicketFitMode = Literal["off", "strict", "tolerance"]


@dataclass(frozen=True)
class MarketTightening:
    """Stricter versions of the hard rules; the defaults are the contract's own rules."""

    licence_min_loans: int = 10  # bank credit batches of this many loans need a licensed AMC (<= 10)
    min_hours_before_close: float = 0.0  # hide listings closing sooner than this (>= 0)


@dataclass(frozen=True)
class ProvinceList:
    """Investor home provinces a listing may (``allow``, empty = any) or may not (``deny``) go to."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass(frozen=True)
class TicketFit:
    """Does the listing's reserve price fit the investor's ticket range and capital?

    ``strict``: reserve within [min, max] ticket and at most capital; ``tolerance``: the same with
    the bounds widened by ``tolerance`` (0.5 → from min/1.5 up to max·1.5); ``off``: no check.
    The range is the profile's ticket band (``ticket_low_cny``..``ticket_high_cny``: the stated
    range blended with the tickets the investor actually acted on).

    Only a reserve *above* the (widened) band or the capital removes a listing: the investor
    cannot afford it. A reserve *below* the band is affordable, so it is never removed; it is
    down-ranked by ``below_band_penalty`` (times the blend's ``rules`` weight) instead, and the
    exposure floor can still lift it into the lists of its best buyers.
    """

    mode: TicketFitMode = "tolerance"
    tolerance: float = 1.0
    below_band_penalty: float = 0.2


@dataclass(frozen=True)
class Eligibility:
    ticket_fit: TicketFit = field(default_factory=TicketFit)
    provinces_by_package: dict[str, ProvinceList] = field(default_factory=dict)  # package_id -> lists
    provinces_by_seller: dict[str, ProvinceList] = field(default_factory=dict)  # seller_id -> lists
    investor_types_by_seller_type: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Foreign institutions only on cross-border eligible listings. Off by default: the contract's
    # cross_border_eligible is optional and defaults to false, so on a market that does not fill it,
    # this rule would leave every foreign institution with an empty list.
    cross_border_only: bool = False
    related_parties: tuple[tuple[str, str], ...] = ()  # (investor_id, seller_id) pairs that may not deal


@dataclass(frozen=True)
class Blend:
    """Weights of the final score's parts, each part scaled to [0, 1] within the candidate list."""

    model: float = 1.0
    stated: float = 0.0
    rules: float = 1.0


@dataclass(frozen=True)
class Boost:
    """Adds ``weight`` (times the blend's ``rules`` weight) when the boost's condition holds."""

    enabled: bool = False
    weight: float = 0.0


@dataclass(frozen=True)
class Boosts:
    closing_soon: Boost = field(default_factory=Boost)
    closing_soon_days: float = 3.0
    newly_listed: Boost = field(default_factory=Boost)
    newly_listed_days: float = 7.0
    data_room: Boost = field(default_factory=Boost)
    data_room_min_dd: float = 0.8
    preferred_province: Boost = field(default_factory=Boost)  # stated province, or its region at half weight
    hesitant_transparency: Boost = field(default_factory=Boost)  # hesitant investors: full data room and an appraisal
    hesitant_min_dd: float = 0.8
    featured: Boost = field(default_factory=Boost)  # a platform campaign: listings of these types or provinces
    featured_asset_types: tuple[str, ...] = ()
    featured_provinces: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diversity:
    """At most this many items per asset type / seller / province in the top k (None = no cap)."""

    max_per_asset_type: int | None = None
    max_per_seller: int | None = None
    max_per_province: int | None = None


@dataclass(frozen=True)
class Exposure:
    """Seller-side fairness in the batch push."""

    daily_cap_per_package: int | None = None  # at most this many investors get a listing per day
    floor_investors: int = 3  # every live listing reaches at least this many eligible investors' top ``floor_top_k``
    floor_top_k: int = 20


@dataclass(frozen=True)
class RuleSet:
    market: MarketTightening = field(default_factory=MarketTightening)
    eligibility: Eligibility = field(default_factory=Eligibility)
    blend: Blend = field(default_factory=Blend)
    boosts: Boosts = field(default_factory=Boosts)
    diversity: Diversity = field(default_factory=Diversity)
    exposure: Exposure = field(default_factory=Exposure)
    candidates: int = 500  # model candidates re-ranked per list
    top_k: int = 20  # default list length when a caller does not ask for one


DEFAULT_RULES = RuleSet()
