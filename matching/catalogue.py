"""Package attributes the rules read, as arrays aligned with the model's package rows.

Re-ranking reads a few attributes of each of hundreds of candidates per request; holding them
as numpy columns indexed by the model's own package rows turns that into one ``take`` per
column, with no pandas on the request path. Times are float days since the epoch (naive UTC,
like every stored timestamp), so "closes within 3 days" is one subtraction.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from data.contract import (
    ASSET_CLASSES,
    ASSET_TYPES,
    LIVE_STATUSES,
    PROVINCES,
    REGION_OF_PROVINCE,
    REGIONS,
    SELLER_TYPES,
)
from matching.columns import Columns

MS_PER_DAY = 86_400_000.0
REGION_CODE_OF_PROVINCE = np.array([REGIONS.index(REGION_OF_PROVINCE[p]) for p in PROVINCES], dtype=np.int16)

PACKAGE_COLUMNS = {
    "known": (bool, False),
    "status_live": (bool, False),
    "listed": (np.float64, np.nan),
    "closes": (np.float64, np.nan),
    "asset_type": (np.int16, -1),
    "asset_class": (np.int16, -1),
    "province": (np.int16, -1),
    "region": (np.int16, -1),
    "seller_type": (np.int16, -1),
    "seller": (np.int32, -1),
    "loans": (np.int64, 0),
    "reserve": (np.float64, np.nan),
    "dd": (np.float64, 0.0),
    "appraised": (bool, False),
    "cross_border": (bool, False),
}


def epoch_days(moment: datetime | pd.Timestamp) -> float:
    """A moment as float days since 1970-01-01, naive UTC (aware moments are converted)."""
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.value / (MS_PER_DAY * 1e6)


def days_column(values: pd.Series) -> np.ndarray:
    """A timestamp column as float epoch days (NaN where missing)."""
    stamps = pd.to_datetime(values)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    nanoseconds = stamps.astype("datetime64[ns]").to_numpy().astype(np.int64).astype(np.float64)
    return np.where(stamps.isna().to_numpy(), np.nan, nanoseconds / (MS_PER_DAY * 1e6))


def codes(values: pd.Series, vocabulary: tuple[str, ...]) -> np.ndarray:
    """Vocabulary positions of a label column, -1 for missing or unknown labels."""
    return pd.Index(list(vocabulary)).get_indexer(values.astype(object)).astype(np.int16)


def optional_column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or an all-missing one when an optional contract column was left out."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def is_true(value: object) -> bool:
    """A contract bool cell (a bool, or the text ``true``); missing means false."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return isinstance(value, str) and value.strip().lower() in ("true", "1", "yes")


class Catalogue:
    """Attributes of every package row the model knows, plus a seller vocabulary."""

    def __init__(self) -> None:
        self.columns = Columns(PACKAGE_COLUMNS)
        self.sellers: dict[str, int] = {}
        self.seller_names: list[str] = []

    @property
    def version(self) -> int:
        return self.columns.version

    def seller_code(self, seller_id: object, add: bool = False) -> int:
        """The code of a seller id (-1 for none); new sellers are added when ``add``."""
        if not isinstance(seller_id, str) or not seller_id:
            return -1
        code = self.sellers.get(seller_id)
        if code is None:
            if not add:
                return -1
            code = self.sellers[seller_id] = len(self.seller_names)
            self.seller_names.append(seller_id)
        return code

    def set_rows(self, rows: np.ndarray, packages: pd.DataFrame) -> None:
        """Store the attributes of ``packages`` (contract columns) at the model rows ``rows``."""
        if len(rows) == 0:
            return
        province = codes(packages["province"], PROVINCES)
        appraised = optional_column(packages, "appraised_value_cny")
        cross_border = optional_column(packages, "cross_border_eligible")
        seller_ids = optional_column(packages, "seller_id")
        self.columns.set(
            rows,
            {
                "known": np.ones(len(rows), dtype=bool),
                "status_live": packages["status"].isin(LIVE_STATUSES).to_numpy(),
                "listed": days_column(packages["listed_at"]),
                "closes": days_column(packages["closes_at"]),
                "asset_type": codes(packages["asset_type"], ASSET_TYPES),
                "asset_class": codes(packages["asset_class"], ASSET_CLASSES),
                "province": province,
                "region": np.where(province >= 0, REGION_CODE_OF_PROVINCE[province], -1),
                "seller_type": codes(packages["seller_type"], SELLER_TYPES),
                "seller": np.array([self.seller_code(s, add=True) for s in seller_ids], dtype=np.int32),
                "loans": packages["loan_count"].to_numpy(dtype=np.int64),
                "reserve": pd.to_numeric(packages["reserve_price_cny"], errors="coerce").to_numpy(
                    dtype=np.float64
                ),
                "dd": pd.to_numeric(packages["dd_completeness"], errors="coerce")
                .fillna(0.0)
                .to_numpy(dtype=np.float64),
                "appraised": (pd.to_numeric(appraised, errors="coerce").fillna(0.0) > 0).to_numpy(),
                "cross_border": cross_border.map(is_true).to_numpy(dtype=bool),
            },
        )

    def take(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Every attribute at the given rows (any shape)."""
        return self.columns.take(rows)
