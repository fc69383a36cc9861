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
    "land": "land plots", "equity_stake": "equity stakes",
    "trust_beneficiary_right": "trust beneficiary rights",
    "receivables": "receivables packages", "equipment": "equipment packages", "vehicles": "vehicle packages",
}  # fmt: skip


INVESTOR_PLURAL = {
    "national_amc": "national AMCs", "local_amc": "local AMCs", "bank": "banks",
    "private_fund": "private funds",
    "industrial_capital": "industrial investors", "foreign_institution": "foreign institutions",
    "individual": "individual investors",
}  # fmt: skip
# A data room this complete is a selling point; below it, saying its completeness is no reason.
DATA_ROOM_WORTH_SAYING = 0.6


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


def _flag(feature: str, sentence: str) -> Texts:
    """A sentence said only when the pair has the feature (value > 0)."""
    return lambda values, codes: sentence if values[feature] > 0 else None


def _bids(feature: str, where: Callable[[dict[str, int]], str]) -> Texts:
    """"you bid on 3 industrial properties in Jiangsu this year", from the count feature."""

    def text(values: dict[str, float], codes: dict[str, int]) -> str | None:
        count = int(values[feature])
        return f"you bid on {count} {where(codes)} this year" if count > 0 else None

    return text


def _type_fit(values: dict[str, float], codes: dict[str, int]) -> str | None:
    investor_type = values["investor_type"]
    if math.isnan(investor_type):
        return None
    investors = INVESTOR_PLURAL[INVESTOR_TYPES[int(investor_type)]]
    return f"{investors} like you often take {_plural(codes['asset_type'])}"


def _appraisal_gap(values: dict[str, float], codes: dict[str, int]) -> str | None:
    gap = values["appraisal_gap"]
    return "priced against appraisal as you usually pay" if not math.isnan(gap) and abs(gap) < 0.15 else None


def _data_room_as_bid(values: dict[str, float], codes: dict[str, int]) -> str | None:
    gap = values["dd_vs_bid_dd"]
    if math.isnan(gap) or gap < -0.05:
        return None
    return "data room as complete as on the packages you bid on"


def _reserve_to_appraisal(values: dict[str, float], codes: dict[str, int]) -> str | None:
    ratio = values["reserve_to_appraisal"]
    return f"reserve at {ratio:.0%} of the appraised value" if not math.isnan(ratio) else None


def _data_room(values: dict[str, float], codes: dict[str, int]) -> str | None:
    completeness = values["dd_completeness"]
    return f"data room {completeness:.0%} complete" if completeness >= DATA_ROOM_WORTH_SAYING else None


def _similar(values: dict[str, float], codes: dict[str, int]) -> str:
    return "investors with your profile acted on listings like this"


# Each feature's sentence, from the pair's feature values and the listing's codes; None = no reason.
TEXTS: dict[str, Texts] = {
    "bids_asset_type_province_year": _bids(
        "bids_asset_type_province_year", lambda c: f"{_plural(c['asset_type'])} in {PROVINCES[c['province']]}"
    ),
    "bids_asset_type_year": _bids("bids_asset_type_year", lambda c: _plural(c["asset_type"])),
    "bids_province_year": _bids("bids_province_year", lambda c: f"packages in {PROVINCES[c['province']]}"),
    **{f"share_{d}": _share_text(d) for d in DIMENSIONS},
    "blended_share_asset_type": lambda v, c: f"{_plural(c['asset_type'])} fit your asset preferences",
    "blended_share_province": lambda v, c: f"{PROVINCES[c['province']]} fits your regional preferences",
    "inside_ticket_band": _flag("inside_ticket_band", "reserve within your usual ticket"),
    "ticket_log_ratio": lambda v, c: _ticket(v["ticket_log_ratio"]),
    "ticket_log_ratio_observed": lambda v, c: _ticket(v["ticket_log_ratio_observed"], "your past bids"),
    "inside_stated_range": _flag("inside_stated_range", "reserve within your stated ticket range"),
    "reserve_to_appraisal": _reserve_to_appraisal,
    "appraisal_gap": _appraisal_gap,
    "dd_completeness": _data_room,
    "dd_x_hesitation": _data_room,
    "dd_vs_bid_dd": _data_room_as_bid,
    "stated_asset_type_match": _flag("stated_asset_type_match", "an asset type you asked for"),
    "stated_province_match": _flag("stated_province_match", "in a province you asked for"),
    "same_province": _flag("same_province", "in your home province"),
    "same_region": lambda v, c: (
        f"in your home region ({REGIONS[c['region']].replace('_', ' ')})" if v["same_region"] > 0 else None
    ),
    "listing_asset_type": _type_fit,
    "investor_type": _type_fit,
    "listing_seller_type": lambda v, c: (
        f"sold by a {_label(v['listing_seller_type'], SELLER_TYPES)}, as you often buy"
    ),
    "listing_collateral": lambda v, c: f"{_label(v['listing_collateral'], COLLATERAL_KINDS)} collateral",
    "foreign_cross_border": _flag("foreign_cross_border", "open to cross-border buyers"),
    "requires_licence": _flag("requires_licence", "a bank batch open to licensed AMCs like you"),
    "first_stage_score": _similar,
    "first_stage_rank": _similar,
    "first_stage_gap": _similar,
}


def _ticket(log_ratio: float, against: str = "your usual ticket") -> str | None:
    if math.isnan(log_ratio):
        return None
    # Only a fit is a reason; a reserve far from the ticket can still score well (it is the
    # other features that carry it), and "2.5× below your usual ticket" would read as a warning.
    return f"reserve close to {against}" if 0.67 <= math.exp(log_ratio) <= 1.5 else None


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
    stages = FirstStage.of_block(first_stage_scores)
    features = cross_features(investors, packages, investor_rows, package_rows, stages)
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
