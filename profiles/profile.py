"""One investor's profile: who it is, what it said, what it does, and what that adds up to."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from profiles.distributions import DIMENSIONS, list_matrix, mapping_matrix
from profiles.features import DEFAULT_FEATURE_GROUPS, FeatureRow, feature_rows

# Fields holding a single number, flag or label: one frame column each, same name.
SCALAR_FIELDS: tuple[str, ...] = (
    "investor_type", "province", "home_region", "licensed_amc", "capital_cny",
    "stated_min_ticket_cny", "stated_max_ticket_cny", "risk_appetite",
    "is_cold", "prior_source", "n_eff", "behaviour_share", "active_days", "days_since_last_action",
    "ticket_cny", "ticket_low_cny", "ticket_high_cny", "observed_ticket_cny",
    "bid_to_reserve", "bid_to_appraisal", "win_rate",
    "risk_capacity", "asset_preference_index", "liquidity_need", "concentration", "stability", "risky_share",
    "hesitation", "is_hesitant", "intent_packages", "dd_packages", "bid_packages",
    "bid_dd_completeness", "intent_dd_completeness", "bid_appraisal_share",
)  # fmt: skip


@dataclass(frozen=True)
class InvestorProfile:
    """Everything the engine knows about one investor's tastes at the profile's ``now``.

    Missing numbers are NaN (e.g. ``win_rate`` of an investor that never bid). Distributions
    are ``{category: share}`` mappings summing to one; ``distributions`` are blended (prior and
    behaviour), ``observed`` are behaviour only (empty mappings without history).
    """

    investor_id: str
    # identity
    investor_type: str
    province: str
    home_region: str
    licensed_amc: bool
    capital_cny: float
    # stated preferences (empty / NaN / None when not stated)
    stated_asset_types: tuple[str, ...]
    stated_provinces: tuple[str, ...]
    stated_min_ticket_cny: float
    stated_max_ticket_cny: float
    risk_appetite: str | None
    # history
    is_cold: bool
    prior_source: str  # "stated" or "type": where the non-behaviour part of the profile comes from
    n_eff: float  # strength- and recency-weighted count of positive actions
    behaviour_share: float  # n_eff / (n_eff + prior_strength)
    event_counts: Mapping[str, int]
    active_days: int
    days_since_last_action: float
    # tastes
    distributions: Mapping[str, Mapping[str, float]]
    observed: Mapping[str, Mapping[str, float]]
    # ticket and price
    ticket_cny: float
    ticket_low_cny: float
    ticket_high_cny: float
    observed_ticket_cny: float
    bid_to_reserve: float
    bid_to_appraisal: float
    win_rate: float
    # scores, each in [0, 1]
    risk_capacity: float
    asset_preference_index: float
    liquidity_need: float
    concentration: float
    stability: float
    risky_share: float
    # hesitation
    hesitation: float
    is_hesitant: bool
    intent_packages: int  # packages with high intent and no bid
    dd_packages: int  # of which the investor requested the data room
    bid_packages: int
    bid_dd_completeness: float
    intent_dd_completeness: float
    bid_appraisal_share: float

    def top(self, dimension: str) -> str:
        """The category with the largest blended share in one dimension."""
        distribution = self.distributions[dimension]
        return max(distribution, key=distribution.__getitem__)

    def features(self, groups: Collection[str] = DEFAULT_FEATURE_GROUPS) -> FeatureRow:
        """The ``{feature: weight}`` row of this investor (the same as its ``ProfileTable`` row)."""
        columns = {name: one_element(getattr(self, name)) for name in SCALAR_FIELDS}
        distributions = {d: mapping_matrix([self.distributions[d]], d) for d in DIMENSIONS}
        stated = {
            "asset_type": list_matrix([self.stated_asset_types], "asset_type"),
            "province": list_matrix([self.stated_provinces], "province"),
        }
        return feature_rows(columns, distributions, stated, groups)[0]


def one_element(value: object) -> np.ndarray:
    """A one-element column: float64 for numbers, object for labels and flags (as the table has)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return np.array([value], dtype=np.float64)
    return np.array([value], dtype=object)


def plain(value: object) -> object:
    """A table cell as a plain Python value (numpy scalars unwrapped)."""
    return value.item() if isinstance(value, np.generic) else value
