"""The three scores the market ranks investors by, each in [0, 1].

risk_capacity
    ``0.30 * capital + 0.25 * type + 0.45 * attitude``. ``capital`` is log10 declared capital
    scaled from 100k CNY (0) to 100bn CNY (1); ``type`` is how much loss the investor type can
    carry (national AMCs most, individuals least); ``attitude`` moves from the stated risk
    appetite (or the type's usual one) to the observed share of risky packages acted on
    (unsecured, in litigation or in bankruptcy) as history grows: ``(1 - b) * appetite + b * risky``.
asset_preference_index
    ``concentration * (0.5 + 0.5 * stability)``. ``concentration`` is one minus the normalised
    entropy of the blended asset-type distribution; ``stability`` is the cosine similarity of the
    asset-type mix in the older and the recent half of the investor's actions, shrunk toward
    0.75 (tastes mostly persist) with the weight of five actions, so a short history can not
    claim a stable (or an unstable) taste.
liquidity_need
    ``0.35 * fast_regions + 0.35 * small_tickets + 0.30 * quick_closes``. ``fast_regions`` is the
    blended region distribution scored by how fast recoveries come (east coast fastest, the
    north-east and north-west slowest); ``small_tickets`` maps the typical ticket from 10bn CNY (0)
    down to 300k CNY (1); ``quick_closes`` moves from the type's usual need for quick exits to the
    observed listing-to-close windows of packages acted on (a week or less: 1; 120 days: 0).
"""

from __future__ import annotations

import numpy as np

from data.contract import (
    ASSET_TYPES,
    COLLATERAL_KINDS,
    INVESTOR_TYPES,
    LITIGATION_STATUSES,
    REGIONS,
    RISK_APPETITES,
)
from profiles.distributions import grouped_sum
from profiles.inputs import EventArrays, PackageArrays

TYPE_RISK_SCORE: dict[str, float] = {
    "national_amc": 0.9,
    "local_amc": 0.75,
    "private_fund": 0.7,
    "foreign_institution": 0.6,
    "industrial_capital": 0.5,
    "bank": 0.45,
    "individual": 0.2,
}
APPETITE_SCORE: dict[str, float] = {"conservative": 0.15, "balanced": 0.5, "aggressive": 0.85}
RISKY_COLLATERAL = ("unsecured",)
RISKY_LITIGATION = ("in_litigation", "bankruptcy")
CAPITAL_LOG10_RANGE = (5.0, 11.0)
RISK_WEIGHTS = (0.30, 0.25, 0.45)  # capital, type, attitude

STABILITY_PRIOR = 0.75
STABILITY_PRIOR_EVENTS = 5.0

# How fast recoveries come in each region (contract: east coast fastest, north-east/west slowest).
REGION_RECOVERY_SPEED: dict[str, float] = {
    "east_coast": 1.0,
    "north_coast": 0.75,
    "central": 0.55,
    "south_west": 0.4,
    "north_east": 0.2,
    "north_west": 0.15,
}
# How much an investor type needs its money back soon: individuals and funds with fixed lives
# most, national AMCs with long workout horizons least.
TYPE_QUICK_CLOSE: dict[str, float] = {
    "individual": 0.6,
    "private_fund": 0.55,
    "industrial_capital": 0.45,
    "foreign_institution": 0.4,
    "bank": 0.4,
    "local_amc": 0.35,
    "national_amc": 0.25,
}
TICKET_LOG10_RANGE = (5.5, 10.0)
CLOSE_WINDOW_DAYS = (7.0, 120.0)
LIQUIDITY_WEIGHTS = (0.35, 0.35, 0.30)  # regions, tickets, closes

TYPE_RISK_VECTOR = np.array([TYPE_RISK_SCORE[t] for t in INVESTOR_TYPES])
APPETITE_VECTOR = np.array([APPETITE_SCORE[a] for a in RISK_APPETITES])
REGION_SPEED_VECTOR = np.array([REGION_RECOVERY_SPEED[r] for r in REGIONS])
TYPE_QUICK_VECTOR = np.array([TYPE_QUICK_CLOSE[t] for t in INVESTOR_TYPES])


def scaled(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Linear map of [low, high] onto [0, 1], clipped; NaN becomes 0."""
    return np.nan_to_num(np.clip((values - low) / (high - low), 0.0, 1.0))


def risky_packages(packages: PackageArrays) -> np.ndarray:
    """Packages that lose money when things go wrong: unsecured, in litigation or bankruptcy."""
    collateral = np.isin(packages.codes["collateral"], [COLLATERAL_KINDS.index(c) for c in RISKY_COLLATERAL])
    litigation = np.isin(
        packages.codes["litigation_status"], [LITIGATION_STATUSES.index(s) for s in RISKY_LITIGATION]
    )
    return collateral | litigation


def weighted_package_mean(
    events: EventArrays, values: np.ndarray, weight: np.ndarray, n_investors: int
) -> np.ndarray:
    """Mean of a package attribute over the packages acted on, weighted; NaN without weight."""
    value = values[events.package]
    positive = (weight > 0) & np.isfinite(value)
    total = np.bincount(
        events.investor[positive], weights=weight[positive] * value[positive], minlength=n_investors
    )
    mass = np.bincount(events.investor[positive], weights=weight[positive], minlength=n_investors)
    return np.divide(total, mass, out=np.full(n_investors, np.nan), where=mass > 0)


def risk_capacity(
    capital: np.ndarray,
    type_code: np.ndarray,
    appetite_code: np.ndarray,
    risky_share: np.ndarray,
    behaviour_share: np.ndarray,
) -> np.ndarray:
    """Risk capacity in [0, 1] (formula in the module docstring); ``appetite_code`` already defaulted."""
    with np.errstate(divide="ignore", invalid="ignore"):
        capital_score = scaled(np.log10(np.where(capital > 0, capital, np.nan)), *CAPITAL_LOG10_RANGE)
    share = np.where(np.isnan(risky_share), 0.0, behaviour_share)
    attitude = (1.0 - share) * APPETITE_VECTOR[appetite_code] + share * np.nan_to_num(risky_share)
    w_capital, w_type, w_attitude = RISK_WEIGHTS
    return np.clip(
        w_capital * capital_score + w_type * TYPE_RISK_VECTOR[type_code] + w_attitude * attitude, 0, 1
    )


def concentration(distribution: np.ndarray) -> np.ndarray:
    """One minus the normalised entropy: 1 for a single category, 0 for a uniform spread."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(distribution > 0, distribution * np.log(distribution), 0.0)
    entropy = -terms.sum(axis=1)
    return np.clip(1.0 - entropy / np.log(distribution.shape[1]), 0.0, 1.0)


def stability(
    events: EventArrays, packages: PackageArrays, strength: np.ndarray, n_investors: int
) -> np.ndarray:
    """Similarity of the asset-type mix in the older vs the recent half of positive actions, shrunk."""
    positive = strength > 0
    investor = events.investor[positive]
    order = np.lexsort((-events.age_days[positive], investor))
    investor = investor[order]
    codes = packages.codes["asset_type"][events.package[positive][order]]
    weights = strength[positive][order]
    counts = np.bincount(investor, minlength=n_investors)
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(investor)) - starts[investor]
    older = rank < (counts // 2)[investor]
    shape = (n_investors, len(ASSET_TYPES))
    old_mix = grouped_sum(investor[older], codes[older], weights[older], shape)
    new_mix = grouped_sum(investor[~older], codes[~older], weights[~older], shape)
    norms = np.linalg.norm(old_mix, axis=1) * np.linalg.norm(new_mix, axis=1)
    cosine = np.divide((old_mix * new_mix).sum(axis=1), norms, out=np.zeros(n_investors), where=norms > 0)
    evidence = np.minimum(counts // 2, counts - counts // 2).astype(np.float64)
    return (evidence * cosine + STABILITY_PRIOR_EVENTS * STABILITY_PRIOR) / (
        evidence + STABILITY_PRIOR_EVENTS
    )


def asset_preference_index(type_distribution: np.ndarray, stable: np.ndarray) -> np.ndarray:
    """How concentrated and how stable the asset-type taste is, in [0, 1]."""
    return np.clip(concentration(type_distribution) * (0.5 + 0.5 * stable), 0.0, 1.0)


def quick_close_score(window_days: np.ndarray) -> np.ndarray:
    """1 for a listing that closes within a week, 0 for 120 days or more."""
    low, high = CLOSE_WINDOW_DAYS
    return 1.0 - scaled(window_days, low, high)


def liquidity_need(
    region_distribution: np.ndarray,
    ticket_log10: np.ndarray,
    type_code: np.ndarray,
    observed_quick: np.ndarray,
    behaviour_share: np.ndarray,
) -> np.ndarray:
    """Liquidity need in [0, 1] (formula in the module docstring)."""
    fast_regions = region_distribution @ REGION_SPEED_VECTOR
    small_tickets = 1.0 - scaled(ticket_log10, *TICKET_LOG10_RANGE)
    share = np.where(np.isnan(observed_quick), 0.0, behaviour_share)
    quick = (1.0 - share) * TYPE_QUICK_VECTOR[type_code] + share * np.nan_to_num(observed_quick)
    w_regions, w_tickets, w_closes = LIQUIDITY_WEIGHTS
    return np.clip(w_regions * fast_regions + w_tickets * small_tickets + w_closes * quick, 0.0, 1.0)
