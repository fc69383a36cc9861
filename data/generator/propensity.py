"""The true propensity model: how much an investor wants a package, and whether it would bid.

One set of pairwise functions serves both the simulator (flat arrays of investor/package pairs)
and ``MarketTruth.affinity`` (an investor x package grid, by broadcasting), so the oracle an
evaluation computes is exactly the propensity the events were drawn from.

The interest logit of investor i in package j is

    type_weight[i, asset_type_j] + province_weight[i, province_j] + sector_weight[i, sector_j]
    - 0.5 * ((log10 reserve_j - ticket_centre_i) / ticket_width_i) ** 2
    + risk_tolerance_i * (2 * risk_j - 1) + price_sensitivity_i * discount_gap_j
    + circle_taste[circle_i] . circle_latent_j      (members of a co-bidding circle only)

P(view | impression) = sigmoid(logit + VIEW_OFFSET + HESITANT_VIEW_BOOST * hesitant_i) and
P(bid | view) = sigmoid(logit + BID_OFFSET + bid_bias_i) * gate, where the gate is zero for
packages the investor may not or cannot buy (bank batches for the unlicensed, reserve above
capital, no cross-border eligibility for foreign institutions) and, for hesitant investors,
rises steeply with dd_completeness past their threshold and drops without a needed appraisal.
The affinity (true propensity to bid on a package once shown it) is the product of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.special import expit

from data.contract import (
    ASSET_CLASS_OF_TYPE,
    ASSET_CLASSES,
    ASSET_TYPES,
    BANK_BATCH_MIN_LOANS,
    COLLATERAL_KINDS,
    INVESTOR_TYPES,
    LITIGATION_STATUSES,
    PROVINCES,
)

VIEW_OFFSET = -2.0
BID_OFFSET = -5.5
HESITANT_VIEW_BOOST = 0.8
DD_GATE_STEEPNESS = 14.0
MISSING_APPRAISAL_FACTOR = 0.25
# A confident investor's bid propensity still grows a little with the data room.
CONFIDENT_DD_FLOOR = 0.6

# How risky a package reads: litigation stage and collateral, mixed 60/40 into [0, 1].
LITIGATION_RISK: dict[str, float] = {
    "none": 0.0, "in_litigation": 0.35, "judgment": 0.5, "enforcement": 0.6, "bankruptcy": 1.0,
}  # fmt: skip
COLLATERAL_RISK: dict[str, float] = {"secured": 0.0, "guaranteed": 0.45, "unsecured": 1.0}
LITIGATION_SHARE = 0.6

# Typical discount to the reference value per asset class; price-sensitive investors like a
# package discounted more than its class usually is.
CLASS_MEAN_DISCOUNT: dict[str, float] = {"credit": 0.78, "real_estate": 0.42, "equity": 0.45, "other": 0.5}
# Asset classes whose discount is measured against an appraisal rather than the claim.
APPRAISAL_REFERENCED_CLASSES: frozenset[str] = frozenset({"real_estate", "other"})

_FOREIGN = INVESTOR_TYPES.index("foreign_institution")


class InvestorTruth(Protocol):
    """The hidden investor arrays the propensity model reads (``MarketTruth`` has them all).

    Declared here rather than importing ``MarketTruth``, so that the truth (which computes
    affinities with this module) and the model do not import each other.
    """

    investor_type: np.ndarray
    capital_cny: np.ndarray
    licensed_amc: np.ndarray
    hesitant_mask: np.ndarray
    dd_threshold: np.ndarray
    ticket_centre: np.ndarray
    ticket_width: np.ndarray
    risk_tolerance: np.ndarray
    price_sensitivity: np.ndarray
    bid_bias: np.ndarray
    type_weight: np.ndarray
    province_weight: np.ndarray
    sector_weight: np.ndarray
    circle_of: np.ndarray | None
    circle_taste: np.ndarray | None


class PackageDataError(ValueError):
    """A package frame lacks a column or holds a value the propensity model cannot read."""


@dataclass(frozen=True)
class PackageFeatures:
    """What the propensity model reads from a package, one array entry per package."""

    asset_type: np.ndarray
    asset_class: np.ndarray
    province: np.ndarray
    sector: np.ndarray
    reserve: np.ndarray
    log_reserve: np.ndarray
    risk: np.ndarray
    discount_gap: np.ndarray
    dd: np.ndarray
    appraisal_missing: np.ndarray
    licence_required: np.ndarray
    cross_border: np.ndarray
    # Hidden co-bidding latent per package (``circles``); None in a market without circles.
    circle_latent: np.ndarray | None = None

    @classmethod
    def from_frame(
        cls, packages: pd.DataFrame, sector: np.ndarray, circle_latent: np.ndarray | None = None
    ) -> PackageFeatures:
        """Features of contract-shaped package rows, with their hidden sectors (and latents) aligned.

        Accepts the generator's frame or one read back from CSV (strings for enums, numbers or
        numeric strings for amounts, ``true``/``false`` or bools for flags).
        """
        asset_type = _codes(packages, "asset_type", ASSET_TYPES)
        class_of_type = np.array([ASSET_CLASSES.index(ASSET_CLASS_OF_TYPE[t]) for t in ASSET_TYPES])
        asset_class = class_of_type[asset_type]
        litigation = _codes(packages, "litigation_status", LITIGATION_STATUSES)
        collateral = _codes(packages, "collateral", COLLATERAL_KINDS)
        principal = _numbers(packages, "principal_cny")
        claim = _numbers(packages, "claim_total_cny", required=False)
        appraised = _numbers(packages, "appraised_value_cny", required=False)
        reserve = _numbers(packages, "reserve_price_cny")
        loan_count = _numbers(packages, "loan_count")

        claim = np.where(np.isnan(claim), principal, claim)
        by_appraisal = np.isin(asset_class, [ASSET_CLASSES.index(c) for c in APPRAISAL_REFERENCED_CLASSES])
        reference = np.where(by_appraisal & ~np.isnan(appraised), appraised, claim)
        discount = np.clip(1.0 - reserve / reference, 0.0, 1.0)
        mean_discount = np.array([CLASS_MEAN_DISCOUNT[c] for c in ASSET_CLASSES])

        lit_risk = np.array([LITIGATION_RISK[s] for s in LITIGATION_STATUSES])[litigation]
        coll_risk = np.array([COLLATERAL_RISK[c] for c in COLLATERAL_KINDS])[collateral]
        needs_appraisal = (asset_class == ASSET_CLASSES.index("real_estate")) | (
            collateral == COLLATERAL_KINDS.index("secured")
        )
        seller = packages["seller_type"].astype(str).to_numpy()
        licence_required = (
            (seller == "bank")
            & (asset_class == ASSET_CLASSES.index("credit"))
            & (loan_count >= BANK_BATCH_MIN_LOANS)
        )
        return cls(
            asset_type=asset_type,
            asset_class=asset_class,
            province=_codes(packages, "province", PROVINCES),
            sector=np.asarray(sector, dtype=np.int64),
            reserve=reserve,
            log_reserve=np.log10(reserve),
            risk=LITIGATION_SHARE * lit_risk + (1.0 - LITIGATION_SHARE) * coll_risk,
            discount_gap=discount - mean_discount[asset_class],
            dd=_numbers(packages, "dd_completeness"),
            appraisal_missing=needs_appraisal & np.isnan(appraised),
            licence_required=licence_required,
            cross_border=_flags(packages, "cross_border_eligible"),
            circle_latent=circle_latent,
        )


def interest_logit(truth: InvestorTruth, inv: np.ndarray, f: PackageFeatures, pkg: np.ndarray) -> np.ndarray:
    """How much investor ``inv`` likes package ``pkg`` (broadcastable index arrays), as a logit."""
    z = (f.log_reserve[pkg] - truth.ticket_centre[inv]) / truth.ticket_width[inv]
    logit = (
        truth.type_weight[inv, f.asset_type[pkg]]
        + truth.province_weight[inv, f.province[pkg]]
        + truth.sector_weight[inv, f.sector[pkg]]
        - 0.5 * z * z
        + truth.risk_tolerance[inv] * (2.0 * f.risk[pkg] - 1.0)
        + truth.price_sensitivity[inv] * f.discount_gap[pkg]
    )
    if truth.circle_of is None or truth.circle_taste is None or f.circle_latent is None:
        return logit
    return logit + circle_boost(truth.circle_of, truth.circle_taste, f.circle_latent, inv, pkg)


def circle_boost(
    circle_of: np.ndarray, circle_taste: np.ndarray, package_latent: np.ndarray, inv: np.ndarray, pkg: np.ndarray
) -> np.ndarray:
    """The co-bidding circle's shared logit boost for each pair (zero outside any circle)."""
    circle = circle_of[inv]
    taste = circle_taste[np.maximum(circle, 0)]
    boost = np.einsum("...d,...d->...", taste, package_latent[pkg])
    return np.where(circle >= 0, boost, 0.0)


def view_probability(truth: InvestorTruth, inv: np.ndarray, logit: np.ndarray) -> np.ndarray:
    """P(view | impression): hesitant investors look at more of what they are shown."""
    return expit(logit + VIEW_OFFSET + HESITANT_VIEW_BOOST * truth.hesitant_mask[inv])


def bid_gate(truth: InvestorTruth, inv: np.ndarray, f: PackageFeatures, pkg: np.ndarray) -> np.ndarray:
    """Multiplier in [0, 1] on the bid probability: market rules, capacity and due diligence."""
    allowed = ~(f.licence_required[pkg] & ~truth.licensed_amc[inv])
    allowed = allowed & (f.reserve[pkg] <= truth.capital_cny[inv])
    allowed = allowed & ((truth.investor_type[inv] != _FOREIGN) | f.cross_border[pkg])
    dd = f.dd[pkg]
    hesitant_gate = expit(DD_GATE_STEEPNESS * (dd - truth.dd_threshold[inv])) * np.where(
        f.appraisal_missing[pkg], MISSING_APPRAISAL_FACTOR, 1.0
    )
    confident_gate = CONFIDENT_DD_FLOOR + (1.0 - CONFIDENT_DD_FLOOR) * dd
    return np.where(truth.hesitant_mask[inv], hesitant_gate, confident_gate) * allowed


def bid_probability_given_view(
    truth: InvestorTruth, inv: np.ndarray, f: PackageFeatures, pkg: np.ndarray, logit: np.ndarray
) -> np.ndarray:
    """P(bid | view) for each pair."""
    return expit(logit + BID_OFFSET + truth.bid_bias[inv]) * bid_gate(truth, inv, f, pkg)


def bid_propensity(truth: InvestorTruth, inv: np.ndarray, f: PackageFeatures, pkg: np.ndarray) -> np.ndarray:
    """P(bid | impression): the true affinity an oracle ranking is computed from."""
    logit = interest_logit(truth, inv, f, pkg)
    return view_probability(truth, inv, logit) * bid_probability_given_view(truth, inv, f, pkg, logit)


def _codes(frame: pd.DataFrame, column: str, vocab: tuple[str, ...]) -> np.ndarray:
    """Vocabulary indices of an enum column; refuses values outside the vocabulary."""
    if column not in frame:
        raise PackageDataError(f"packages lack the column {column!r}")
    values = frame[column].astype(str).to_numpy()
    codes = pd.Index(vocab).get_indexer(values)
    if (codes < 0).any():
        raise PackageDataError(f"unknown {column} value {values[codes < 0][0]!r}")
    return codes.astype(np.int64)


def _numbers(frame: pd.DataFrame, column: str, required: bool = True) -> np.ndarray:
    """A numeric column as float64, blanks as NaN; an optional column may be absent."""
    if column not in frame:
        if required:
            raise PackageDataError(f"packages lack the column {column!r}")
        return np.full(len(frame), np.nan)
    values = frame[column]
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        values = values.replace("", np.nan)
    return pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)


def _flags(frame: pd.DataFrame, column: str) -> np.ndarray:
    """An optional boolean column (bools or ``true``/``false`` text), missing as ``False``."""
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    values = frame[column]
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool)
    return values.astype(str).str.strip().str.lower().isin(("true", "1")).to_numpy()
