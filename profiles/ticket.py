"""Ticket size and price behaviour: how big a package an investor takes, and at what price.

The typical ticket is the weighted median of log10 prices of the packages an investor acted on
strongly (favorite, DD request, bid, win): the bid or winning amount where there is one, else
the reserve price. Weights are strength x recency. The range is the weighted p10-p90. The
observed band is blended in log space with the prior band (stated min/max, else type and
capital) by ``m / (m + k)``, where ``m`` is the weight of those strong actions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from data.contract import EVENT_TYPES
from profiles.inputs import EventArrays, PackageArrays

TICKET_EVENTS = ("favorite", "dd_request", "bid", "win")
AMOUNT_EVENTS = ("bid", "win")
TICKET_QUANTILES = (0.5, 0.1, 0.9)  # centre, low, high: the column order of every band


def type_mask(events: EventArrays, event_types: Sequence[str]) -> np.ndarray:
    """Events of any of the given types."""
    codes = np.array([EVENT_TYPES.index(t) for t in event_types], dtype=np.int8)
    return np.isin(events.type_code, codes)


def grouped_weighted_quantiles(
    groups: np.ndarray, values: np.ndarray, weights: np.ndarray, quantiles: Sequence[float], n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted quantiles of ``values`` per group, all groups at once, and each group's weight.

    Sort by (group, value); a global cumulative weight is monotone, so every group's quantile
    is one ``searchsorted`` for ``start + q * total``. Groups with no positive weight get NaN.
    """
    keep = (weights > 0) & np.isfinite(values)
    groups, values, weights = groups[keep], values[keep], weights[keep]
    order = np.lexsort((values, groups))
    groups, values, weights = groups[order], values[order], weights[order]
    cumulative = np.cumsum(weights)
    totals = np.bincount(groups, weights=weights, minlength=n_groups)
    counts = np.bincount(groups, minlength=n_groups)
    ends = np.cumsum(counts)
    starts = ends - counts
    before = (
        np.where(starts > 0, cumulative[np.maximum(starts - 1, 0)], 0.0)
        if len(values)
        else np.zeros(n_groups)
    )
    result = np.full((n_groups, len(quantiles)), np.nan)
    present = counts > 0
    for column, q in enumerate(quantiles):
        targets = before[present] + q * totals[present]
        position = np.searchsorted(cumulative, targets, side="left")
        position = np.clip(position, starts[present], ends[present] - 1)
        result[present, column] = values[position]
    return result, totals


def observed_ticket_log10(
    events: EventArrays, packages: PackageArrays, strength: np.ndarray, recency: np.ndarray, n_investors: int
) -> tuple[np.ndarray, np.ndarray]:
    """(centre, low, high) log10 prices of strongly acted-on packages, and the weight behind them."""
    strong = type_mask(events, TICKET_EVENTS)
    subset = events.subset(strong)
    price = packages.reserve[subset.package]
    has_amount = type_mask(subset, AMOUNT_EVENTS) & (subset.amount > 0)
    price = np.where(has_amount, subset.amount, price)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_price = np.where(price > 0, np.log10(price), np.nan)
    weights = np.maximum(strength[strong], 0.0) * recency[strong]
    return grouped_weighted_quantiles(subset.investor, log_price, weights, TICKET_QUANTILES, n_investors)


def blended_ticket_log10(
    prior: np.ndarray, observed: np.ndarray, mass: np.ndarray, prior_strength: float
) -> np.ndarray:
    """Prior and observed bands mixed in log space by ``mass / (mass + k)``, kept low <= centre <= high."""
    share = np.where(np.isnan(observed[:, 0]), 0.0, mass / (mass + prior_strength))[:, None]
    band = (1.0 - share) * prior + share * np.nan_to_num(observed)
    centre = band[:, 0]
    return np.column_stack([centre, np.minimum(band[:, 1], centre), np.maximum(band[:, 2], centre)])


def price_ratios(
    events: EventArrays, packages: PackageArrays, recency: np.ndarray, n_investors: int
) -> tuple[np.ndarray, np.ndarray]:
    """Recency-weighted median bid/reserve and bid/appraisal per investor (NaN without bids).

    Bid/reserve shows how far above the asking price an investor goes; bid/appraisal how much
    of the collateral's value it is willing to pay.
    """
    bids = type_mask(events, ("bid",)) & (events.amount > 0)
    subset = events.subset(bids)
    weights = recency[bids]
    reserve = packages.reserve[subset.package]
    appraised = packages.appraised[subset.package]
    with np.errstate(divide="ignore", invalid="ignore"):
        to_reserve = np.where(reserve > 0, subset.amount / reserve, np.nan)
        to_appraisal = np.where(appraised > 0, subset.amount / appraised, np.nan)
    by_reserve, _ = grouped_weighted_quantiles(subset.investor, to_reserve, weights, (0.5,), n_investors)
    by_appraisal, _ = grouped_weighted_quantiles(subset.investor, to_appraisal, weights, (0.5,), n_investors)
    return by_reserve[:, 0], by_appraisal[:, 0]


def distinct_pairs(events: EventArrays, mask: np.ndarray, n_packages: int) -> np.ndarray:
    """Sorted unique (investor, package) keys ``investor * n_packages + package`` of the masked events."""
    keys = events.investor[mask].astype(np.int64) * n_packages + events.package[mask]
    return np.unique(keys)


def win_rate(events: EventArrays, n_packages: int, n_investors: int) -> np.ndarray:
    """Packages won / packages bid on (a win counts as a bid); NaN for an investor that never bid."""
    bids = np.bincount(
        distinct_pairs(events, type_mask(events, AMOUNT_EVENTS), n_packages) // n_packages,
        minlength=n_investors,
    )
    wins = np.bincount(
        distinct_pairs(events, type_mask(events, ("win",)), n_packages) // n_packages, minlength=n_investors
    )
    return np.divide(wins, bids, out=np.full(n_investors, np.nan), where=bids > 0)
