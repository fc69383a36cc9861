"""Taste distributions: what an investor buys, where, from whom, at what risk.

For each dimension the observed distribution is the event-weighted mass (strength x recency)
of the packages the investor acted on. A dismiss has a negative strength: it subtracts from the
categories of the dismissed package, and a category's mass is floored at zero, so dismissing a
land plot pulls land down but never below "no interest". The observed distribution is blended
with the prior (stated, else type-based) by the behaviour share ``n_eff / (n_eff + k)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from data.contract import (
    ASSET_CLASSES,
    ASSET_TYPES,
    COLLATERAL_KINDS,
    LITIGATION_STATUSES,
    PROVINCES,
    REGIONS,
    SELLER_TYPES,
)
from profiles.inputs import EventArrays, InvestorArrays, PackageArrays
from profiles.priors import (
    APPETITE_COLLATERAL_MATRIX,
    APPETITE_LITIGATION_MATRIX,
    CLASS_OF_TYPE_MATRIX,
    REGION_OF_PROVINCE_MATRIX,
    TYPE_ASSET_MATRIX,
    TYPE_SELLER_MATRIX,
    appetite_or_default,
    has_any,
    province_prior,
)

# Every dimension a profile holds a distribution over, with its categories in column order.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "asset_type": ASSET_TYPES,
    "asset_class": ASSET_CLASSES,
    "province": PROVINCES,
    "region": REGIONS,
    "seller_type": SELLER_TYPES,
    "collateral": COLLATERAL_KINDS,
    "litigation_status": LITIGATION_STATUSES,
}


def grouped_sum(
    rows: np.ndarray, columns: np.ndarray, weights: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Dense ``shape`` matrix of weights summed per (row, column): a vectorised groupby-sum."""
    flat = rows.astype(np.int64) * shape[1] + columns
    return np.bincount(flat, weights=weights, minlength=shape[0] * shape[1]).reshape(shape)


def observed_masses(
    events: EventArrays, packages: PackageArrays, weight: np.ndarray, n_investors: int
) -> dict[str, np.ndarray]:
    """Per dimension, the (investors x categories) mass of the packages acted on, floored at 0."""
    masses = {}
    for dimension, categories in DIMENSIONS.items():
        codes = packages.codes[dimension][events.package]
        mass = grouped_sum(events.investor, codes, weight, (n_investors, len(categories)))
        masses[dimension] = np.maximum(mass, 0.0)
    return masses


def normalised(mass: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to one; all-zero rows stay zero."""
    total = mass.sum(axis=1, keepdims=True)
    return np.divide(mass, total, out=np.zeros_like(mass), where=total > 0)


def prior_distributions(investors: InvestorArrays, stated: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per dimension, the distribution assumed without history: stated where stated, else by type."""
    type_code = investors.type_code
    appetite = appetite_or_default(type_code, investors.appetite_code)
    types = stated["asset_type"]
    asset_type = np.where(has_any(types)[:, None], types, TYPE_ASSET_MATRIX[type_code])
    provinces = stated["province"]
    province = np.where(
        has_any(provinces)[:, None], provinces, province_prior(type_code, investors.province_code)
    )
    return {
        "asset_type": asset_type,
        "asset_class": asset_type @ CLASS_OF_TYPE_MATRIX,
        "province": province,
        "region": province @ REGION_OF_PROVINCE_MATRIX,
        "seller_type": TYPE_SELLER_MATRIX[type_code],
        "collateral": APPETITE_COLLATERAL_MATRIX[appetite],
        "litigation_status": APPETITE_LITIGATION_MATRIX[appetite],
    }


def blend(prior: np.ndarray, observed: np.ndarray, behaviour_share: np.ndarray) -> np.ndarray:
    """``(1 - b) * prior + b * observed`` row by row; a row with nothing observed keeps its prior."""
    share = np.where(observed.sum(axis=1) > 0, behaviour_share, 0.0)[:, None]
    return (1.0 - share) * prior + share * observed


def mapping_matrix(mappings: Sequence[Mapping[str, float]], dimension: str) -> np.ndarray:
    """``{category: share}`` mappings as a (rows x categories) matrix; absent categories are 0."""
    categories = DIMENSIONS[dimension]
    matrix = np.zeros((len(mappings), len(categories)))
    for row, mapping in enumerate(mappings):
        matrix[row] = [mapping.get(c, 0.0) for c in categories]
    return matrix


def list_matrix(lists: Sequence[Sequence[str]], dimension: str) -> np.ndarray:
    """Stated lists as uniform shares over the listed categories (all zero for an empty list)."""
    return mapping_matrix(
        [dict.fromkeys(values, 1.0 / len(values)) if values else {} for values in lists], dimension
    )


def as_mapping(row: np.ndarray, dimension: str) -> dict[str, float]:
    """One distribution row as ``{category: share}``."""
    return {category: float(share) for category, share in zip(DIMENSIONS[dimension], row, strict=True)}
