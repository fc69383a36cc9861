"""Investor × listing crosses: one row per candidate pair, one column per ``FEATURE_NAMES`` entry.

The first stage scores by similarity of learned vectors; the crosses say *why* a pair fits in
terms a trader would use: how much of the investor's past activity was in this listing's asset
type, province, region, seller type and asset class; whether the reserve sits in its ticket;
whether the data room is complete enough for a hesitant investor; whether it matches what the
investor stated. The whole block is computed with numpy gathers, no per-pair Python, so a block
of 300 candidates costs well under a millisecond. The column order is saved with each model and
checked on load: a model never reads columns it was not trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.contract import INVESTOR_TYPES
from profiles import DIMENSIONS
from recommender.second_stage.context import InvestorContext, PackageContext, cell_of

FOREIGN = INVESTOR_TYPES.index("foreign_institution")

SHARE_FEATURES = tuple(f"share_{d}" for d in DIMENSIONS)
FEATURE_NAMES: tuple[str, ...] = (
    *SHARE_FEATURES,
    "blended_share_asset_type", "blended_share_province",
    "bids_asset_type_year", "bids_province_year", "bids_asset_type_province_year",
    "log_n_eff", "behaviour_share", "log_bid_packages", "win_rate", "days_since_last_action",
    "log_active_days", "is_cold",
    "ticket_log_ratio_observed", "ticket_log_ratio", "inside_ticket_band", "inside_stated_range",
    "reserve_to_appraisal", "investor_bid_to_appraisal", "appraisal_gap",
    "dd_completeness", "hesitation", "dd_x_hesitation", "dd_vs_bid_dd", "is_hesitant",
    "stated_asset_type_match", "stated_province_match",
    "investor_type", "listing_asset_type", "listing_seller_type", "listing_region", "listing_collateral",
    "listing_litigation", "risk_appetite", "same_province", "same_region", "licensed_amc",
    "requires_licence", "foreign_cross_border", "log_capital", "reserve_to_capital_log", "log_reserve",
    "log_loan_count",
    "first_stage_score", "first_stage_rank", "first_stage_gap",
)  # fmt: skip
CATEGORICAL_FEATURES: tuple[str, ...] = (
    "investor_type", "listing_asset_type", "listing_seller_type", "listing_region", "listing_collateral",
    "listing_litigation", "risk_appetite",
)  # fmt: skip
CATEGORICAL_COLUMNS = np.array([FEATURE_NAMES.index(name) for name in CATEGORICAL_FEATURES])
# Feature groups, for ablations and for reading a model's importances.
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "behaviour": (*SHARE_FEATURES, "blended_share_asset_type", "blended_share_province",
                  "bids_asset_type_year", "bids_province_year", "bids_asset_type_province_year"),
    "activity": ("log_n_eff", "behaviour_share", "log_bid_packages", "win_rate", "days_since_last_action",
                 "log_active_days", "is_cold"),
    "ticket_and_price": ("ticket_log_ratio_observed", "ticket_log_ratio", "inside_ticket_band",
                         "inside_stated_range", "reserve_to_appraisal", "investor_bid_to_appraisal",
                         "appraisal_gap", "reserve_to_capital_log", "log_reserve", "log_capital",
                         "log_loan_count"),
    "data_room": ("dd_completeness", "hesitation", "dd_x_hesitation", "dd_vs_bid_dd", "is_hesitant"),
    "stated": ("stated_asset_type_match", "stated_province_match", "risk_appetite"),
    "type_and_listing": ("investor_type", "listing_asset_type", "listing_seller_type", "listing_region",
                         "listing_collateral", "listing_litigation", "same_province", "same_region",
                         "licensed_amc", "requires_licence", "foreign_cross_border"),
    "first_stage": ("first_stage_score", "first_stage_rank", "first_stage_gap"),
}  # fmt: skip


@dataclass(frozen=True)
class FirstStage:
    """The first stage's view of each pair: its score, rank within the query's block (0 = best)
    and gap to the block's best score."""

    score: np.ndarray
    rank: np.ndarray
    gap: np.ndarray

    @classmethod
    def of_block(cls, scores: np.ndarray) -> FirstStage:
        """Ranks and gaps of one query's candidate scores."""
        scores = np.asarray(scores, dtype=np.float64)
        rank = np.empty(len(scores))
        rank[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
        best = scores.max() if len(scores) else 0.0
        return cls(scores, rank, scores - best)

    @classmethod
    def concat(cls, parts: list[FirstStage]) -> FirstStage:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("score", "rank", "gap")))


def _log_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(numerator / denominator)
    return np.where(np.isfinite(ratio), ratio, np.nan)


def cross_features(
    investors: InvestorContext,
    packages: PackageContext,
    investor_rows: np.ndarray,
    package_rows: np.ndarray,
    first_stage: FirstStage,
) -> np.ndarray:
    """The (pairs × ``FEATURE_NAMES``) float32 matrix of the given (investor row, package row) pairs.

    Missing values are NaN (LightGBM's missing), categories are vocabulary codes (-1 missing).
    """
    i, p = np.asarray(investor_rows, dtype=np.int64), np.asarray(package_rows, dtype=np.int64)
    number, code = investors.numbers, investors.codes
    listing_code = {d: packages.codes[d][p] for d in packages.codes}
    listing = {name: values[p] for name, values in packages.numbers.items()}

    def share(matrix: np.ndarray, codes: np.ndarray) -> np.ndarray:
        return np.where(codes >= 0, matrix[i, np.maximum(codes, 0)], np.nan)

    def stated_match(dimension: str) -> np.ndarray:
        matrix = investors.stated[dimension]
        stated_any = matrix[i].any(axis=1) if len(i) else np.zeros(0, dtype=bool)
        return np.where(stated_any, share(matrix, listing_code[dimension]), np.nan)

    reserve = listing["reserve"]
    low, high = number["stated_min_ticket_cny"][i], number["stated_max_ticket_cny"][i]
    stated_range = np.where(
        np.isnan(low) & np.isnan(high),
        np.nan,
        ((np.isnan(low) | (reserve >= low)) & (np.isnan(high) | (reserve <= high))).astype(np.float64),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        reserve_to_appraisal = reserve / listing["appraised"]
    hesitation, dd = number["hesitation"][i], listing["dd_completeness"]
    bid_to_appraisal = number["bid_to_appraisal"][i]
    asset_type, province = listing_code["asset_type"], listing_code["province"]
    columns = {
        **{f"share_{d}": share(investors.observed[d], listing_code[d]) for d in DIMENSIONS},
        "blended_share_asset_type": share(investors.blended["asset_type"], asset_type),
        "blended_share_province": share(investors.blended["province"], province),
        **{
            f"bids_{kind}_year": counts.lookup(i, cell_of(asset_type, province, kind))
            for kind, counts in investors.bid_counts.items()
        },
        "log_n_eff": np.log1p(number["n_eff"][i]),
        "behaviour_share": number["behaviour_share"][i],
        "log_bid_packages": np.log1p(number["bid_packages"][i]),
        "win_rate": number["win_rate"][i],
        "days_since_last_action": number["days_since_last_action"][i],
        "log_active_days": np.log1p(number["active_days"][i]),
        "is_cold": number["is_cold"][i],
        "ticket_log_ratio_observed": _log_ratio(reserve, number["observed_ticket_cny"][i]),
        "ticket_log_ratio": _log_ratio(reserve, number["ticket_cny"][i]),
        "inside_ticket_band": (
            (reserve >= number["ticket_low_cny"][i]) & (reserve <= number["ticket_high_cny"][i])
        ).astype(np.float64),
        "inside_stated_range": stated_range,
        "reserve_to_appraisal": reserve_to_appraisal,
        "investor_bid_to_appraisal": bid_to_appraisal,
        "appraisal_gap": reserve_to_appraisal - bid_to_appraisal,
        "dd_completeness": dd,
        "hesitation": hesitation,
        "dd_x_hesitation": dd * hesitation,
        "dd_vs_bid_dd": dd - number["bid_dd_completeness"][i],
        "is_hesitant": number["is_hesitant"][i],
        "stated_asset_type_match": stated_match("asset_type"),
        "stated_province_match": stated_match("province"),
        "investor_type": code["investor_type"][i],
        "listing_asset_type": asset_type,
        "listing_seller_type": listing_code["seller_type"],
        "listing_region": listing_code["region"],
        "listing_collateral": listing_code["collateral"],
        "listing_litigation": listing_code["litigation_status"],
        "risk_appetite": code["risk_appetite"][i],
        "same_province": (code["province"][i] == province).astype(np.float64),
        "same_region": (code["home_region"][i] == listing_code["region"]).astype(np.float64),
        "licensed_amc": number["licensed_amc"][i],
        "requires_licence": listing["requires_licence"],
        "foreign_cross_border": (code["investor_type"][i] == FOREIGN) * listing["cross_border"],
        "log_capital": _log_ratio(number["capital_cny"][i], np.ones(len(i))),
        "reserve_to_capital_log": _log_ratio(reserve, number["capital_cny"][i]),
        "log_reserve": _log_ratio(reserve, np.ones(len(p))),
        "log_loan_count": np.log1p(listing["loan_count"]),
        "first_stage_score": first_stage.score,
        "first_stage_rank": first_stage.rank,
        "first_stage_gap": first_stage.gap,
    }
    matrix = np.empty((len(i), len(FEATURE_NAMES)), dtype=np.float32)
    for column, name in enumerate(FEATURE_NAMES):
        matrix[:, column] = columns[name]
    categorical = matrix[:, CATEGORICAL_COLUMNS]
    categorical[categorical < 0] = np.nan  # a missing category is missing, not category -1
    matrix[:, CATEGORICAL_COLUMNS] = categorical
    return matrix
