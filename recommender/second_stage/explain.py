"""Reasons a person can read, from the second stage's per-feature contributions.

LightGBM splits each score into one contribution per feature (``pred_contrib=True``, the
exact TreeSHAP values of the trees). The features that pushed an item up the most become
sentences built from the pair's own values — "you bid on 3 industrial properties in Jiangsu
this year", "reserve within your usual ticket" — so a reason always states a fact about this
investor and this listing, never a model internal.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from data.contract import ASSET_TYPES, COLLATERAL_KINDS, INVESTOR_TYPES, PROVINCES, REGIONS, SELLER_TYPES
from profiles import DIMENSIONS
from recommender.second_stage.context import InvestorContext, PackageContext
from recommender.second_stage.features import FEATURE_NAMES, FirstStage, cross_features
from recommender.second_stage.model import SecondStage

Reason = tuple[str, float, str]

PLURAL = {
    "consumer_loan": "consumer-loan packages", "sme_loan": "SME-loan packages",
    "corporate_loan": "corporate-loan packages", "residential": "residential properties",
    "commercial_property": "commercial properties", "industrial_property": "industrial properties",
    "land": "land plots", "equity_stake": "equity stakes", "trust_beneficiary_right": "trust beneficiary rights",
    "receivables": "receivables packages", "equipment": "equipment packages", "vehicles": "vehicle packages",
}  # fmt: skip


def _label(value: float, vocabulary: tuple[str, ...]) -> str:
    return vocabulary[int(value)].replace("_", " ") if not math.isnan(value) else "unknown"


def _plural(code: int) -> str:
    return PLURAL[ASSET_TYPES[code]]


Texts = Callable[[dict[str, float], dict[str, int]], str | None]


def _share_text(dimension: str) -> Texts:
    """"40% of your activity is in Jiangsu": the behavioural share of the listing's category."""

    def text(values: dict[str, float], codes: dict[str, int]) -> str | None:
        share = values[f"share_{dimension}"]
        if math.isnan(share) or share < 0.05 or codes[dimension] < 0:
            return None
        category = DIMENSIONS[dimension][codes[dimension]].replace("_", " ")
        suffix = "" if dimension in ("province", "region") else " packages"
        return f"{share:.0%} of your activity is in {category}{suffix}"

    return text


# Each feature's sentence, from the pair's feature values and the listing's codes; None = no reason.
TEXTS: dict[str, Texts] = {
    "bids_asset_type_province_year": lambda v, c: (
        f"you bid on {int(v['bids_asset_type_province_year'])} {_plural(c['asset_type'])} "
        f"in {PROVINCES[c['province']]} this year" if v["bids_asset_type_province_year"] > 0 else None
    ),
    "bids_asset_type_year": lambda v, c: (
        f"you bid on {int(v['bids_asset_type_year'])} {_plural(c['asset_type'])} this year"
        if v["bids_asset_type_year"] > 0 else None
    ),
    "bids_province_year": lambda v, c: (
        f"you bid on {int(v['bids_province_year'])} packages in {PROVINCES[c['province']]} this year"
        if v["bids_province_year"] > 0 else None
    ),
    **{f"share_{d}": _share_text(d) for d in DIMENSIONS},
    "blended_share_asset_type": lambda v, c: f"{ASSET_TYPES[c['asset_type']].replace('_', ' ')} fits your asset preferences",
    "blended_share_province": lambda v, c: f"{PROVINCES[c['province']]} fits your regional preferences",
    "inside_ticket_band": lambda v, c: "reserve within your usual ticket" if v["inside_ticket_band"] > 0 else None,
    "ticket_log_ratio": lambda v, c: _ticket(v["ticket_log_ratio"]),
    "ticket_log_ratio_observed": lambda v, c: _ticket(v["ticket_log_ratio_observed"], "your past bids"),
    "inside_stated_range": lambda v, c: "reserve within your stated ticket range" if v["inside_stated_range"] > 0 else None,
    "reserve_to_appraisal": lambda v, c: (
        f"reserve at {v['reserve_to_appraisal']:.0%} of the appraised value"
        if not math.isnan(v["reserve_to_appraisal"]) else None
    ),
    "appraisal_gap": lambda v, c: (
        "priced against appraisal as you usually pay" if not math.isnan(v["appraisal_gap"]) and abs(v["appraisal_gap"]) < 0.15 else None
    ),
    "dd_completeness": lambda v, c: f"data room {v['dd_completeness']:.0%} complete",
    "dd_x_hesitation": lambda v, c: f"data room {v['dd_completeness']:.0%} complete",
    "dd_vs_bid_dd": lambda v, c: (
        "data room as complete as on the packages you bid on" if not math.isnan(v["dd_vs_bid_dd"]) and v["dd_vs_bid_dd"] >= -0.05 else None
    ),
    "stated_asset_type_match": lambda v, c: "an asset type you asked for" if v["stated_asset_type_match"] > 0 else None,
    "stated_province_match": lambda v, c: "in a province you asked for" if v["stated_province_match"] > 0 else None,
    "same_province": lambda v, c: "in your home province" if v["same_province"] > 0 else None,
    "same_region": lambda v, c: f"in your home region ({REGIONS[c['region']].replace('_', ' ')})" if v["same_region"] > 0 else None,
    "listing_asset_type": lambda v, c: f"{_label(v['investor_type'], INVESTOR_TYPES)}s like you often take {_plural(c['asset_type'])}",
    "investor_type": lambda v, c: f"{_label(v['investor_type'], INVESTOR_TYPES)}s like you often take {_plural(c['asset_type'])}",
    "listing_seller_type": lambda v, c: f"sold by a {_label(v['listing_seller_type'], SELLER_TYPES)}, as you often buy",
    "listing_collateral": lambda v, c: f"{_label(v['listing_collateral'], COLLATERAL_KINDS)} collateral",
    "foreign_cross_border": lambda v, c: "open to cross-border buyers" if v["foreign_cross_border"] > 0 else None,
    "requires_licence": lambda v, c: "a bank batch open to licensed AMCs like you" if v["requires_licence"] > 0 else None,
    "first_stage_score": lambda v, c: "investors with your profile acted on listings like this",
    "first_stage_rank": lambda v, c: "investors with your profile acted on listings like this",
    "first_stage_gap": lambda v, c: "investors with your profile acted on listings like this",
}


def _ticket(log_ratio: float, against: str = "your usual ticket") -> str | None:
    if math.isnan(log_ratio):
        return None
    ratio = math.exp(log_ratio)
    if 0.67 <= ratio <= 1.5:
        return f"reserve close to {against}"
    return f"reserve {ratio:.1f}× {against}" if ratio > 1 else f"reserve {1 / ratio:.1f}× below {against}"


def explain(
    stage: SecondStage,
    investors: InvestorContext,
    packages: PackageContext,
    investor_id: str,
    package_ids: list[str],
    first_stage_scores: np.ndarray,
    top: int = 3,
) -> dict[str, list[Reason]]:
    """Each package's top ``top`` reasons as ``[(feature, contribution, text)]``, largest first.

    Pass the same candidate block that was re-ranked (ranks and gaps are relative to it). Only
    features that raised the score and have a sentence for this pair become reasons; several
    features saying the same sentence count once.
    """
    investor_rows = np.full(len(package_ids), investors.ids.row(investor_id, "investor"))
    package_rows = packages.ids.rows(package_ids, "package")
    features = cross_features(investors, packages, investor_rows, package_rows, FirstStage.of_block(first_stage_scores))
    contributions = stage.ranker.predict(features, pred_contrib=True, num_threads=1)[:, : len(FEATURE_NAMES)]
    result: dict[str, list[Reason]] = {}
    for row, package_id in enumerate(package_ids):
        values = dict(zip(FEATURE_NAMES, features[row].astype(np.float64).tolist(), strict=True))
        codes = {d: int(packages.codes[d][package_rows[row]]) for d in packages.codes}
        reasons: list[Reason] = []
        seen: set[str] = set()
        for column in np.argsort(-contributions[row], kind="stable").tolist():
            contribution = float(contributions[row, column])
            if contribution <= 0 or len(reasons) >= top:
                break
            name = FEATURE_NAMES[column]
            text = TEXTS[name](values, codes) if name in TEXTS else None
            if text and text not in seen:
                seen.add(text)
                reasons.append((name, contribution, text))
        result[package_id] = reasons
    return result
