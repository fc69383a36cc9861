"""Hidden investor tastes: taste groups blended with individual taste, plus type priors.

Members of a taste group share preferences over asset types, provinces and sectors, so who bid
on the same things carries information that the visible columns do not. Investor type sets the
baseline (individuals like flats and cars, AMCs like loan books) and the size of the tickets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.contract import ASSET_TYPES, PROVINCES, REGIONS

from .geography import province_weights, region_index_of_province
from .scenarios import DEFAULT, Scenario
from .sectors import SECTORS

# Per investor type, in INVESTOR_TYPES order.
# Log-preference for each asset type (ASSET_TYPES order): the type's baseline appetite.
TYPE_PRIOR = np.array(
    [
        # cons  sme  corp  resi  comm  indu  land  eqty  trust recv  equip vehic
        [1.5, 1.5, 2.0, -1.0, 0.0, 0.0, -0.5, 0.5, 0.5, 0.0, -2.0, -2.0],  # national_amc
        [1.5, 1.8, 1.5, -0.5, 0.3, 0.3, 0.0, 0.0, 0.0, 0.3, -1.5, -1.5],  # local_amc
        [0.5, 0.5, 1.0, -1.0, 0.0, -0.5, -1.0, 0.0, 1.0, 0.5, -2.0, -2.0],  # bank
        [0.5, 1.0, 1.5, 0.0, 1.2, 0.5, 0.3, 1.2, 1.0, 0.5, -1.0, -1.5],  # private_fund
        [-1.5, -0.5, 0.5, -0.5, 0.8, 1.8, 1.5, 1.5, 0.0, 0.8, 1.0, 0.0],  # industrial_capital
        [0.5, 0.5, 1.8, -1.0, 1.5, 0.5, -0.5, 0.8, 0.5, 0.0, -2.0, -2.0],  # foreign_institution
        [0.3, -0.5, -1.5, 2.0, 0.8, -0.3, -1.0, -0.8, -1.0, -0.3, 0.8, 1.5],  # individual
    ]
)
# Preferred reserve price (log10 CNY) of a type's median investor, and how it follows capital.
TICKET_CENTRE = np.array([8.0, 7.5, 7.7, 7.2, 7.0, 7.8, 5.9])
TICKET_CAPITAL_SLOPE = 0.4
# How strongly the home province and region pull (local AMCs are tied to their province).
LOCALITY = np.array([0.3, 1.6, 0.7, 0.6, 1.0, 0.3, 1.5])
RISK_MEAN = np.array([0.4, 0.8, -1.0, 1.2, 0.0, 0.6, -0.8])
PRICE_MEAN = np.array([2.0, 2.0, 1.5, 3.0, 1.5, 2.5, 3.0])
BID_BIAS_MEAN = np.array([0.6, 0.5, -0.2, 0.2, 0.0, 0.0, -0.2])
# Relative platform activity (how often an investor is shown things and browses).
ACTIVITY_MEAN = np.array([5.0, 3.0, 1.5, 2.0, 1.2, 1.5, 0.5])
# log10 of the capital of a type's median investor (kept in step with ``population``).
CAPITAL_LOG10_MEDIAN = np.array([10.7, 9.7, 10.3, 8.7, 8.5, 9.3, 6.3])

HESITANT_SHARE = DEFAULT.hesitant_share
DORMANT_SHARE = 0.2
MIN_GROUPS, MAX_GROUPS = 20, 60


@dataclass(frozen=True)
class HiddenTastes:
    """Per-investor hidden preferences (rows follow the investor order) and group tastes."""

    taste_group: np.ndarray
    blend: np.ndarray
    type_weight: np.ndarray
    province_weight: np.ndarray
    sector_weight: np.ndarray
    ticket_centre: np.ndarray
    ticket_width: np.ndarray
    risk_tolerance: np.ndarray
    price_sensitivity: np.ndarray
    bid_bias: np.ndarray
    hesitant_mask: np.ndarray
    dd_threshold: np.ndarray
    activity: np.ndarray
    group_region: np.ndarray
    group_type_weight: np.ndarray
    group_province_weight: np.ndarray
    group_sector_weight: np.ndarray


def n_taste_groups(n_investors: int) -> int:
    """Number of hidden taste groups: grows with the market, between 20 and 60."""
    return int(np.clip(round(np.sqrt(n_investors) / 2.5), MIN_GROUPS, MAX_GROUPS))


def _focus(rng: np.random.Generator, n_rows: int, n_cols: int, n_focus: int, boost: float) -> np.ndarray:
    """A [n_rows, n_cols] matrix that is ``boost`` on ``n_focus`` random columns per row, else 0."""
    picks = np.argsort(rng.random((n_rows, n_cols)), axis=1)[:, :n_focus]
    out = np.zeros((n_rows, n_cols))
    np.put_along_axis(out, picks, boost, axis=1)
    return out


def _group_tastes(rng: np.random.Generator, n_groups: int) -> dict[str, np.ndarray]:
    """Shared tastes of each group: a few favourite asset types, sectors and provinces."""
    region_of = region_index_of_province()
    weights = province_weights()
    region_mass = np.bincount(region_of, weights=weights, minlength=len(REGIONS))
    region = rng.choice(len(REGIONS), size=n_groups, p=region_mass / region_mass.sum())
    type_w = rng.normal(0.0, 0.8, (n_groups, len(ASSET_TYPES))) + _focus(
        rng, n_groups, len(ASSET_TYPES), 2, 1.8
    )
    sector_w = rng.normal(0.0, 0.7, (n_groups, len(SECTORS))) + _focus(rng, n_groups, len(SECTORS), 2, 2.0)
    province_w = (
        rng.normal(0.0, 0.3, (n_groups, len(PROVINCES)))
        + 0.8 * (region_of[None, :] == region[:, None])
        + _focus(rng, n_groups, len(PROVINCES), 2, 1.2)
    )
    return {
        "region": region,
        "type": type_w,
        "sector": sector_w,
        "province": province_w,
        "ticket": rng.normal(0.0, 0.3, n_groups),
        "risk": rng.normal(0.0, 0.6, n_groups),
        "price": rng.normal(0.0, 0.3, n_groups),
    }


def _assign_groups(rng: np.random.Generator, home_region: np.ndarray, group_region: np.ndarray) -> np.ndarray:
    """Group of each investor; groups recruit four times as readily in their own region."""
    weights = 1.0 + 3.0 * (home_region[:, None] == group_region[None, :])
    cdf = np.cumsum(weights, axis=1)
    u = rng.random(len(home_region))[:, None] * cdf[:, -1:]
    return np.minimum((cdf <= u).sum(axis=1), len(group_region) - 1)


def _activity(rng: np.random.Generator, investor_type: np.ndarray, skew: float) -> np.ndarray:
    """Relative platform activity: lognormal around the type's mean, raised to ``skew``.

    Above 1 the spread widens on both ends: active institutions grow far more active while most
    individuals become near one-off visitors (``skew`` 1 is today's market, drawn as before).
    """
    n = len(investor_type)
    if skew == 1.0:
        return ACTIVITY_MEAN[investor_type] * np.minimum(rng.lognormal(0.0, 1.4, n), 25.0)
    return ACTIVITY_MEAN[investor_type] ** skew * np.minimum(rng.lognormal(0.0, 1.4 * skew, n), 25.0**skew)


def draw_tastes(
    rng: np.random.Generator,
    investor_type: np.ndarray,
    province: np.ndarray,
    capital: np.ndarray,
    scenario: Scenario = DEFAULT,
) -> HiddenTastes:
    """Hidden tastes of investors of the given types, home provinces and capitals.

    The scenario sets the hesitant share and scales price sensitivity, ticket width and the
    skew of activity; every knob at its default leaves the draws exactly as they were.
    """
    n = len(investor_type)
    n_groups = n_taste_groups(n)
    groups = _group_tastes(rng, n_groups)
    region_of = region_index_of_province()
    home_region = region_of[province]
    group = _assign_groups(rng, home_region, groups["region"])
    blend = rng.beta(5.0, 2.5, n)
    own = blend[:, None]
    t = investor_type

    type_weight = (
        TYPE_PRIOR[t]
        + own * groups["type"][group]
        + (1.0 - own) * rng.normal(0.0, 1.0, (n, len(ASSET_TYPES)))
    )
    sector_weight = own * groups["sector"][group] + (1.0 - own) * rng.normal(0.0, 1.0, (n, len(SECTORS)))
    home = (np.arange(len(PROVINCES))[None, :] == province[:, None]).astype(float)
    same_region = (region_of[None, :] == home_region[:, None]).astype(float)
    province_weight = (
        LOCALITY[t][:, None] * (1.2 * home + 0.5 * same_region)
        + own * groups["province"][group]
        + (1.0 - own) * rng.normal(0.0, 0.5, (n, len(PROVINCES)))
    )

    log_capital = np.log10(capital)
    centre = (
        TICKET_CENTRE[t]
        + TICKET_CAPITAL_SLOPE * (log_capital - CAPITAL_LOG10_MEDIAN[t])
        + groups["ticket"][group]
        + rng.normal(0.0, 0.25, n)
    )
    centre = np.minimum(centre, log_capital - 0.15)
    width = rng.uniform(0.45, 0.8, n)
    if scenario.ticket_dispersion != 1.0:
        width = width * scenario.ticket_dispersion
    risk = RISK_MEAN[t] + blend * groups["risk"][group] + rng.normal(0.0, 0.6, n)
    price = PRICE_MEAN[t] * np.exp(groups["price"][group] + rng.normal(0.0, 0.3, n))
    if scenario.price_sensitivity != 1.0:
        price = price * scenario.price_sensitivity
    bid_bias = BID_BIAS_MEAN[t] + rng.normal(0.0, 0.5, n)
    hesitant = rng.random(n) < scenario.hesitant_share
    dd_threshold = rng.uniform(0.7, 0.88, n)
    activity = _activity(rng, t, scenario.activity_skew)
    activity = np.where(rng.random(n) < DORMANT_SHARE, activity * 0.03, activity)

    return HiddenTastes(
        taste_group=group.astype(np.int32),
        blend=blend,
        type_weight=type_weight,
        province_weight=province_weight,
        sector_weight=sector_weight,
        ticket_centre=centre,
        ticket_width=width,
        risk_tolerance=risk,
        price_sensitivity=price,
        bid_bias=bid_bias,
        hesitant_mask=hesitant,
        dd_threshold=dd_threshold,
        activity=activity,
        group_region=groups["region"].astype(np.int32),
        group_type_weight=groups["type"],
        group_province_weight=groups["province"],
        group_sector_weight=groups["sector"],
    )
