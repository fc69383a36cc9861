"""Whether a record read from a file or a request holds the same content as the stored one.

Two questions need the same answer: is a repeated ``event_id`` a harmless retry or a
conflicting event (idempotency means *same id, same content*), and is an imported investor or
listing really updated or unchanged. Both compare rows typed alike (``data.csv_reader`` and
``data.market_frames`` produce the same dtypes), with every kind of missing value (``None``,
``NaN``, ``NaT``) equal to every other, so a row read back from the store compares equal to the
row it was written from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["differing_fields", "same_value", "unchanged_rows"]


def same_value(left: Any, right: Any) -> bool:
    """Whether two cell values are equal, missing equal to missing."""
    left_missing, right_missing = _missing(left), _missing(right)
    if left_missing or right_missing:
        return left_missing and right_missing
    return bool(left == right)


def differing_fields(
    incoming: Mapping[str, Any], stored: Mapping[str, Any], fields: Iterable[str]
) -> list[str]:
    """The ``fields`` whose values differ between two records, in the order given."""
    return [name for name in fields if not same_value(incoming.get(name), stored.get(name))]


def unchanged_rows(incoming: pd.DataFrame, stored: pd.DataFrame, key: str) -> np.ndarray:
    """For each incoming row, whether the store holds the row with its ``key`` exactly as it is.

    Columns are those of ``incoming`` (a file may leave optional columns out, which then keep
    their stored values); a row whose key is not stored is not unchanged.
    """
    if incoming.empty or stored.empty:
        return np.zeros(len(incoming), dtype=bool)
    stored = stored.drop_duplicates(key).set_index(key)
    columns = [name for name in incoming.columns if name != key and name in stored.columns]
    found = incoming[key].isin(stored.index).to_numpy()
    matched = stored.reindex(incoming[key].where(found, None))
    same = found.copy()
    for name in columns:
        left = incoming[name].reset_index(drop=True)
        right = matched[name].reset_index(drop=True)
        both_missing = (left.isna() & right.isna()).to_numpy()
        equal = (left.astype(object) == right.astype(object)).fillna(False).to_numpy(dtype=bool)
        same &= equal | both_missing
    return same


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array: not a scalar, not missing
        return False
