"""Profiles as weighted user-feature rows for a hybrid (LightFM-style) model.

Every feature name carries its group's prefix (``stated_``, ``pref_``, …) so groups never
collide, and every weight lies in [0, 1]: indicators are 1, distributions are shares (shares
below ``MIN_SHARE`` are dropped to keep rows sparse), and numbers become soft buckets — the
weight is split between the two nearest bucket edges, so a 9.9M ticket and a 10.1M ticket share
almost all of their features.

Rows are built column-wise with numpy for all requested investors at once (100k rows in about
a second); ``InvestorProfile.features`` goes through the same code with a one-row table, so a
single profile and a batch can never disagree.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from profiles.distributions import DIMENSIONS
from profiles.errors import UnknownFeatureGroupError
from profiles.priors import stated_ticket_log10

FeatureRow = dict[str, float]

FEATURE_GROUPS: tuple[str, ...] = ("identity_attrs", "stated", "behaviour", "scores", "hesitation")
DEFAULT_FEATURE_GROUPS: tuple[str, ...] = FEATURE_GROUPS

MIN_SHARE = 0.02
# Half-decade edges in log10 CNY from 100k to 100bn (the same grid as the package size buckets).
SIZE_EDGES_LOG10 = np.arange(5.0, 11.01, 0.5)
SIZE_LABELS = tuple(f"{edge:.1f}" for edge in SIZE_EDGES_LOG10)
LEVEL_EDGES = np.array([0.0, 0.5, 1.0])
LEVEL_LABELS = ("low", "mid", "high")

# Blended distribution dimension -> feature prefix of the behaviour group.
PREFERENCE_PREFIXES: dict[str, str] = {
    "asset_type": "pref_type",
    "asset_class": "pref_class",
    "province": "pref_province",
    "region": "pref_region",
    "seller_type": "pref_seller",
    "collateral": "pref_collateral",
    "litigation_status": "pref_litigation",
}
STATED_PREFIXES: dict[str, str] = {"asset_type": "stated_type", "province": "stated_province"}
SCORE_COLUMNS = ("risk_capacity", "liquidity_need", "asset_preference_index")

Entries = tuple[np.ndarray, np.ndarray, np.ndarray]  # row positions, feature names, weights


def check_groups(groups: Collection[str]) -> tuple[str, ...]:
    """The requested groups in canonical order; an unknown group is refused by name."""
    for group in groups:
        if group not in FEATURE_GROUPS:
            raise UnknownFeatureGroupError(group)
    return tuple(g for g in FEATURE_GROUPS if g in groups)


def indicator(rows: np.ndarray, prefix: str, values: np.ndarray) -> Entries:
    """``prefix=value`` with weight 1 for every row whose value is present."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    present = codes >= 0
    names = np.array([f"{prefix}={u}" for u in uniques], dtype=object)
    return rows[present], names[codes[present]], np.ones(int(present.sum()))


def flag(rows: np.ndarray, name: str, values: np.ndarray) -> Entries:
    """A bare feature name with weight 1 where ``values`` is true."""
    on = np.asarray(values, dtype=bool)
    return rows[on], np.full(int(on.sum()), name, dtype=object), np.ones(int(on.sum()))


def soft_bucket(
    rows: np.ndarray, prefix: str, values: np.ndarray, edges: np.ndarray, labels: Sequence[str]
) -> Entries:
    """Each finite value split between its two nearest edges; missing values give no feature."""
    values = np.asarray(values, dtype=np.float64)
    known = np.isfinite(values)
    rows, values = rows[known], values[known]
    position = np.interp(values, edges, np.arange(len(edges), dtype=np.float64))
    low = np.floor(position).astype(np.int64)
    upper_share = position - low
    high = np.minimum(low + 1, len(edges) - 1)
    names = np.array([f"{prefix}={label}" for label in labels], dtype=object)
    return (
        np.concatenate([rows, rows]),
        np.concatenate([names[low], names[high]]),
        np.concatenate([1.0 - upper_share, upper_share]),
    )


def shares(
    rows: np.ndarray, prefix: str, matrix: np.ndarray, categories: Sequence[str], minimum: float
) -> Entries:
    """``prefix=category`` weighted by its share, for shares of at least ``minimum``."""
    row_index, column = np.nonzero(matrix >= minimum)
    names = np.array([f"{prefix}={c}" for c in categories], dtype=object)
    return rows[row_index], names[column], matrix[row_index, column]


def log10_or_nan(values: np.ndarray) -> np.ndarray:
    """log10 of positive values, NaN elsewhere."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log10(values), np.nan)


def identity_entries(rows: np.ndarray, columns: Mapping[str, np.ndarray]) -> list[Entries]:
    """Who the investor is: type, home province and region, licence, declared capital."""
    capital = log10_or_nan(columns["capital_cny"])
    return [
        indicator(rows, "investor_type", columns["investor_type"]),
        indicator(rows, "home_province", columns["province"]),
        indicator(rows, "home_region", columns["home_region"]),
        flag(rows, "licensed_amc", columns["licensed_amc"]),
        soft_bucket(rows, "capital", capital, SIZE_EDGES_LOG10, SIZE_LABELS),
        flag(rows, "capital=unknown", np.isnan(capital)),
    ]


def stated_entries(
    rows: np.ndarray, columns: Mapping[str, np.ndarray], stated: Mapping[str, np.ndarray]
) -> list[Entries]:
    """What the investor said it wants; ``stated_none`` for an investor that said nothing."""
    ticket_centre = stated_ticket_log10(
        np.asarray(columns["stated_min_ticket_cny"], dtype=np.float64),
        np.asarray(columns["stated_max_ticket_cny"], dtype=np.float64),
    )[:, 0]
    appetite = columns["risk_appetite"]
    said_something = np.isfinite(ticket_centre) | pd.notna(pd.Series(appetite, dtype=object)).to_numpy()
    entries = []
    for dimension, prefix in STATED_PREFIXES.items():
        matrix = stated[dimension]
        said_something = said_something | (matrix.sum(axis=1) > 0)
        entries.append(shares(rows, prefix, matrix, DIMENSIONS[dimension], minimum=1e-12))
    entries += [
        soft_bucket(rows, "stated_ticket", ticket_centre, SIZE_EDGES_LOG10, SIZE_LABELS),
        indicator(rows, "stated_risk", appetite),
        flag(rows, "stated_none", ~said_something),
    ]
    return entries


def behaviour_entries(
    rows: np.ndarray, columns: Mapping[str, np.ndarray], distributions: Mapping[str, np.ndarray]
) -> list[Entries]:
    """Blended tastes (stated/prior shifted toward behaviour), typical ticket and history weight."""
    entries = [
        shares(rows, prefix, distributions[dimension], DIMENSIONS[dimension], MIN_SHARE)
        for dimension, prefix in PREFERENCE_PREFIXES.items()
    ]
    history = np.asarray(columns["behaviour_share"], dtype=np.float64)
    has_history = history > 0
    entries += [
        soft_bucket(rows, "ticket", log10_or_nan(columns["ticket_cny"]), SIZE_EDGES_LOG10, SIZE_LABELS),
        (rows[has_history], np.full(int(has_history.sum()), "history", dtype=object), history[has_history]),
    ]
    return entries


def score_entries(rows: np.ndarray, columns: Mapping[str, np.ndarray]) -> list[Entries]:
    """The three market scores as soft low/mid/high levels."""
    return [soft_bucket(rows, name, columns[name], LEVEL_EDGES, LEVEL_LABELS) for name in SCORE_COLUMNS]


def hesitation_entries(rows: np.ndarray, columns: Mapping[str, np.ndarray]) -> list[Entries]:
    """The hesitant flag, the hesitation level and how complete the data rooms of its bids were."""
    return [
        flag(rows, "hesitant", columns["is_hesitant"]),
        soft_bucket(rows, "hesitation", columns["hesitation"], LEVEL_EDGES, LEVEL_LABELS),
        soft_bucket(rows, "bid_dd", columns["bid_dd_completeness"], LEVEL_EDGES, LEVEL_LABELS),
    ]


def feature_rows(
    columns: Mapping[str, np.ndarray],
    distributions: Mapping[str, np.ndarray],
    stated: Mapping[str, np.ndarray],
    groups: Collection[str] = DEFAULT_FEATURE_GROUPS,
) -> list[FeatureRow]:
    """One ``{feature: weight}`` row per position of the given column arrays (all equally long)."""
    selected = check_groups(groups)
    n = len(columns["investor_type"])
    rows = np.arange(n)
    entries: list[Entries] = []
    if "identity_attrs" in selected:
        entries += identity_entries(rows, columns)
    if "stated" in selected:
        entries += stated_entries(rows, columns, stated)
    if "behaviour" in selected:
        entries += behaviour_entries(rows, columns, distributions)
    if "scores" in selected:
        entries += score_entries(rows, columns)
    if "hesitation" in selected:
        entries += hesitation_entries(rows, columns)
    return assemble(entries, n)


def assemble(entries: Sequence[Entries], n: int) -> list[FeatureRow]:
    """Group (row, name, weight) entries into one dict per row, keeping group order in each row."""
    if not entries:
        return [{} for _ in range(n)]
    rows = np.concatenate([e[0] for e in entries]).astype(np.int64)
    names = np.concatenate([e[1] for e in entries])
    weights = np.concatenate([np.asarray(e[2], dtype=np.float64) for e in entries])
    keep = weights > 0
    rows, names, weights = rows[keep], names[keep], np.minimum(weights[keep], 1.0)
    order = np.argsort(rows, kind="stable")
    name_list = names[order].tolist()
    weight_list = weights[order].tolist()
    ends = np.cumsum(np.bincount(rows, minlength=n)).tolist()
    result: list[FeatureRow] = []
    start = 0
    for end in ends:
        result.append(dict(zip(name_list[start:end], weight_list[start:end], strict=True)))
        start = end
    return result
