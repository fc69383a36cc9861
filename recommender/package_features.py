"""Content features of a listing, the only thing a brand-new package has.

Every package is sold once, so a listing must be scored from the minute it is added: what it
is (asset class and type), where (province, region, city), who sells it, its risk (collateral,
litigation), its size and price (soft log buckets), how open its data room is, and what the
words of its title and description say. Digits never become features, so debtors' personal
data in a description cannot leak into the model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from data.contract import REGION_OF_PROVINCE, requires_amc_licence

FeatureRow = dict[str, float]

# Half-decade edges (in log10 CNY) from 100k to 100bn: fine enough to tell a flat from a portfolio.
SIZE_EDGES_LOG10 = np.arange(5.0, 11.01, 0.5)
LOAN_COUNT_EDGES_LOG10 = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
PRICE_RATIO_EDGES = np.array([0.05, 0.15, 0.3, 0.5, 0.7, 0.9, 1.1])
DD_EDGES = np.array([0.0, 0.25, 0.5, 0.75, 0.9, 1.0])

WORD_PATTERN = re.compile(r"[a-z][a-z\-]{2,}")
STOP_WORDS = frozenset(
    "the and for with from this that are was were has have its into per all any our their "
    "sale sold package listing portfolio asset assets debtor debtors loan loans mobile card "
    "bank total about under over more less than which who will can may not".split()
)
TEXT_WEIGHT = 0.5


def soft_bucket(name: str, value: float, edges: np.ndarray) -> Iterator[tuple[str, float]]:
    """Spread one number over its two nearest bucket edges, so nearby values share features."""
    if value is None or not math.isfinite(value):
        yield f"{name}=unknown", 1.0
        return
    position = float(np.interp(value, edges, np.arange(len(edges))))
    low = int(math.floor(position))
    high = min(low + 1, len(edges) - 1)
    upper_share = position - low
    yield f"{name}={low}", 1.0 - upper_share
    if high != low and upper_share > 0:
        yield f"{name}={high}", upper_share


def text_words(*texts: object) -> set[str]:
    """Lower-case words of the listing text, without digits, stop words or short tokens."""
    words: set[str] = set()
    for text in texts:
        if isinstance(text, str):
            words.update(w.strip("-") for w in WORD_PATTERN.findall(text.lower()))
    return {w for w in words if len(w) >= 3 and w not in STOP_WORDS}


def _log10(value: float) -> float:
    return math.log10(value) if value and value > 0 else float("nan")


def _ratio(numerator: float, denominator: float) -> float:
    if denominator is None or not math.isfinite(denominator) or denominator <= 0:
        return float("nan")
    return numerator / denominator


def package_feature_row(package: Mapping[str, object]) -> FeatureRow:
    """The weighted feature tokens of one listing (a contract row as a mapping)."""
    province = str(package["province"])
    region = REGION_OF_PROVINCE.get(province, "unknown")
    asset_type = str(package["asset_type"])
    features: FeatureRow = {
        f"class={package['asset_class']}": 1.0,
        f"type={asset_type}": 1.0,
        f"province={province}": 1.0,
        f"region={region}": 1.0,
        f"type_region={asset_type}|{region}": 1.0,
        f"seller={package['seller_type']}": 1.0,
        f"collateral={package['collateral']}": 1.0,
        f"litigation={package['litigation_status']}": 1.0,
    }
    city = package.get("city")
    if isinstance(city, str) and city:
        features[f"city={city}"] = 1.0
    if requires_amc_licence(str(package["seller_type"]), str(package["asset_class"]), int(package["loan_count"])):
        features["licence_required"] = 1.0
    reserve = float(package["reserve_price_cny"])  # type: ignore[arg-type]
    claim = package.get("claim_total_cny")
    claim_total = float(claim) if claim is not None and not pd.isna(claim) else float(package["principal_cny"])  # type: ignore[arg-type]
    appraised = package.get("appraised_value_cny")
    appraised_value = float(appraised) if appraised is not None and not pd.isna(appraised) else float("nan")  # type: ignore[arg-type]
    numeric = (
        soft_bucket("principal", _log10(float(package["principal_cny"])), SIZE_EDGES_LOG10),  # type: ignore[arg-type]
        soft_bucket("reserve", _log10(reserve), SIZE_EDGES_LOG10),
        soft_bucket("loans", _log10(float(package["loan_count"])), LOAN_COUNT_EDGES_LOG10),  # type: ignore[arg-type]
        soft_bucket("reserve_to_claim", _ratio(reserve, claim_total), PRICE_RATIO_EDGES),
        soft_bucket("reserve_to_appraisal", _ratio(reserve, appraised_value), PRICE_RATIO_EDGES),
        soft_bucket("dd", float(package["dd_completeness"]), DD_EDGES),  # type: ignore[arg-type]
    )
    for buckets in numeric:
        for name, weight in buckets:
            features[name] = features.get(name, 0.0) + weight
    for word in text_words(package.get("title"), package.get("description")):
        features[f"word={word}"] = TEXT_WEIGHT
    return features


def package_feature_rows(packages: pd.DataFrame) -> list[FeatureRow]:
    """Feature rows of every listing in a contract-shaped frame, in frame order."""
    return [package_feature_row(row) for row in packages.to_dict("records")]
