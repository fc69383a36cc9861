"""Hesitation: investors who look hard and rarely bid, and what made them bid when they did.

A high-intent action is a view of at least two minutes, a favorite or a DD request. Counted per
distinct package (ten views of one flat are one considered purchase), packages with intent but
no bid are hesitations; packages bid on (a win counts) are decisions. Opening the data room is
the deepest step short of a bid, so a package that got a DD request weighs 1 and one that was
only viewed long or favorited weighs ``LOOK_WEIGHT``.

``hesitation = I / (I + k*B + s)`` with I the weighted intent-only packages, B the packages bid
on, k = 3 (one bid outweighs three hesitations) and s = 2 (two looks are not yet a pattern).
``is_hesitant`` needs at least four intent-only packages, DD requests on at least 40% of them
and bids on at most a fifth of all considered packages. The DD completeness of the packages bid
on, against that of the packages only looked at, tells a seller what would turn a hesitant
investor into a bidder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from profiles.inputs import EventArrays, PackageArrays
from profiles.ticket import AMOUNT_EVENTS, distinct_pairs, type_mask

INTENT_DWELL_SECONDS = 120.0
LOOK_WEIGHT = 0.25
BID_WEIGHT = 3.0
SMOOTHING = 2.0
HESITANT_MIN_INTENT = 4
HESITANT_MIN_DD_SHARE = 0.4
HESITANT_MAX_BID_RATE = 0.2


@dataclass(frozen=True)
class Hesitation:
    """Hesitation columns, one value per investor."""

    hesitation: np.ndarray
    is_hesitant: np.ndarray
    intent_packages: np.ndarray
    dd_packages: np.ndarray
    bid_packages: np.ndarray
    bid_dd_completeness: np.ndarray
    intent_dd_completeness: np.ndarray
    bid_appraisal_share: np.ndarray


def intent_mask(events: EventArrays) -> np.ndarray:
    """Long views, favorites and DD requests."""
    long_view = type_mask(events, ("view",)) & (events.dwell >= INTENT_DWELL_SECONDS)
    return long_view | type_mask(events, ("favorite", "dd_request"))


def per_investor_mean(pairs: np.ndarray, values: np.ndarray, n_packages: int, n_investors: int) -> np.ndarray:
    """Mean of a package attribute over each investor's packages; NaN for none (or all-missing)."""
    investors = pairs // n_packages
    value = values[pairs % n_packages]
    known = ~np.isnan(value)
    total = np.bincount(investors[known], weights=value[known], minlength=n_investors)
    count = np.bincount(investors[known], minlength=n_investors)
    return np.divide(total, count, out=np.full(n_investors, np.nan), where=count > 0)


def per_investor_count(pairs: np.ndarray, n_packages: int, n_investors: int) -> np.ndarray:
    """How many (investor, package) pairs each investor has."""
    return np.bincount(pairs // n_packages, minlength=n_investors)


def hesitation(events: EventArrays, packages: PackageArrays, n_investors: int) -> Hesitation:
    """Hesitation score, flag and the DD / appraisal profile of bids versus looks."""
    n_packages = max(len(packages), 1)
    bid_pairs = distinct_pairs(events, type_mask(events, AMOUNT_EVENTS), n_packages)
    intent_pairs = distinct_pairs(events, intent_mask(events), n_packages)
    dd_pairs = distinct_pairs(events, type_mask(events, ("dd_request",)), n_packages)
    intent_only = intent_pairs[~np.isin(intent_pairs, bid_pairs, assume_unique=True)]
    dd_only = dd_pairs[~np.isin(dd_pairs, bid_pairs, assume_unique=True)]
    intents = per_investor_count(intent_only, n_packages, n_investors)
    dds = per_investor_count(dd_only, n_packages, n_investors)
    bids = per_investor_count(bid_pairs, n_packages, n_investors)
    weighted_intents = dds + LOOK_WEIGHT * (intents - dds)
    considered = intents + bids
    bid_rate = np.divide(bids, considered, out=np.zeros(n_investors), where=considered > 0)
    dd_share = np.divide(dds, intents, out=np.zeros(n_investors), where=intents > 0)
    has_appraisal = np.where(packages.appraised > 0, 1.0, 0.0)
    return Hesitation(
        hesitation=weighted_intents / (weighted_intents + BID_WEIGHT * bids + SMOOTHING),
        is_hesitant=(intents >= HESITANT_MIN_INTENT)
        & (dd_share >= HESITANT_MIN_DD_SHARE)
        & (bid_rate <= HESITANT_MAX_BID_RATE),
        intent_packages=intents,
        dd_packages=dds,
        bid_packages=bids,
        bid_dd_completeness=per_investor_mean(bid_pairs, packages.dd, n_packages, n_investors),
        intent_dd_completeness=per_investor_mean(intent_only, packages.dd, n_packages, n_investors),
        bid_appraisal_share=per_investor_mean(bid_pairs, has_appraisal, n_packages, n_investors),
    )
