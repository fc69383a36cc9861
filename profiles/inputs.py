"""Turn the three contract frames into integer codes and flat arrays, once.

Every later step (distributions, tickets, scores, hesitation) is a numpy ``bincount`` or a
sort over these arrays, so the 5-million-row event log is hashed and decoded exactly once.
Events after ``now`` are dropped here, so no later step can peek past the training cutoff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from data.contract import (
    ASSET_CLASSES,
    ASSET_TYPES,
    COLLATERAL_KINDS,
    EVENT_TYPES,
    INVESTOR_TYPES,
    LITIGATION_STATUSES,
    PROVINCES,
    REGION_OF_PROVINCE,
    REGIONS,
    RISK_APPETITES,
    SELLER_TYPES,
)
from profiles.errors import DuplicateInvestorError, InvalidValueError, MissingColumnError

INVESTOR_COLUMNS = (
    "investor_id", "investor_type", "province", "capital_cny", "min_ticket_cny", "max_ticket_cny",
    "preferred_asset_types", "preferred_provinces", "risk_appetite", "licensed_amc",
)  # fmt: skip
PACKAGE_COLUMNS = (
    "package_id", "seller_type", "asset_class", "asset_type", "province", "principal_cny",
    "appraised_value_cny", "reserve_price_cny", "collateral", "litigation_status", "dd_completeness",
    "listed_at", "closes_at",
)  # fmt: skip
EVENT_COLUMNS = ("investor_id", "package_id", "event_type", "occurred_at", "amount_cny", "dwell_seconds")

# Optional contract columns a caller may leave out of a frame entirely.
OPTIONAL_INVESTOR_COLUMNS = frozenset(
    {"min_ticket_cny", "max_ticket_cny", "preferred_asset_types", "preferred_provinces", "risk_appetite"}
)
OPTIONAL_PACKAGE_COLUMNS = frozenset({"appraised_value_cny"})
OPTIONAL_EVENT_COLUMNS = frozenset({"amount_cny", "dwell_seconds"})

REGION_CODE_OF_PROVINCE = np.array([REGIONS.index(REGION_OF_PROVINCE[p]) for p in PROVINCES], dtype=np.int8)
MS_PER_DAY = 86_400_000.0


def require_columns(frame: pd.DataFrame, name: str, columns: Sequence[str], optional: frozenset[str]) -> None:
    """Refuse a frame without a required column, naming the column."""
    for column in columns:
        if column not in frame.columns and column not in optional:
            raise MissingColumnError(name, column)


def column_or_missing(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column, or an all-missing one when an optional column was left out."""
    if column in frame.columns:
        return frame[column]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def codes_of(
    values: pd.Series, vocabulary: Sequence[str], column: str, allow_missing: bool = False
) -> np.ndarray:
    """Vocabulary positions of a categorical column; an unknown value is refused by name.

    Missing values get -1 when ``allow_missing`` (optional enums such as ``risk_appetite``).
    """
    codes = pd.Index(list(vocabulary)).get_indexer(values.astype(object)).astype(np.int16)
    bad = codes < 0
    if bad.any():
        offending = values[bad]
        present = offending.notna() & (offending.astype(object) != "")
        if present.any() or not allow_missing:
            raise InvalidValueError(column, offending[present].iloc[0] if present.any() else None)
    return codes


def float_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A decimal column as float64 with NaN for missing values."""
    return pd.to_numeric(column_or_missing(frame, column), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )


def naive_utc(moment: datetime | pd.Timestamp | np.datetime64) -> np.datetime64:
    """``now`` as a naive-UTC millisecond datetime64 (aware inputs are converted to UTC)."""
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return np.datetime64(stamp.to_datetime64(), "ms")


def timestamp_column(values: pd.Series) -> np.ndarray:
    """A timestamp column as naive-UTC millisecond datetime64 (aware columns are converted)."""
    stamps = pd.to_datetime(values)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.to_numpy(dtype="datetime64[ms]")


def bool_column(values: pd.Series) -> np.ndarray:
    """A contract bool column (bools, or the strings ``true``/``false``) as a numpy bool array."""
    if values.dtype == bool:
        return values.to_numpy()
    text = values.astype(object).map(
        lambda v: str(v).strip().lower() if v is not None and v == v else "false"
    )
    return text.isin(("true", "1", "yes")).to_numpy()


@dataclass(frozen=True)
class InvestorArrays:
    """The investors frame as arrays in frame order."""

    ids: pd.Index
    type_code: np.ndarray
    province_code: np.ndarray
    region_code: np.ndarray
    capital: np.ndarray
    min_ticket: np.ndarray
    max_ticket: np.ndarray
    stated_types: pd.Series
    stated_provinces: pd.Series
    appetite_code: np.ndarray
    licensed_amc: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class PackageArrays:
    """The packages frame as codes and numbers in frame order."""

    ids: pd.Index
    codes: dict[str, np.ndarray]  # distribution dimension -> category code per package
    principal: np.ndarray
    reserve: np.ndarray
    appraised: np.ndarray
    dd: np.ndarray
    window_days: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class EventArrays:
    """Events known at ``now`` whose investor and package are known, as parallel arrays."""

    investor: np.ndarray  # int32 row in InvestorArrays
    package: np.ndarray  # int32 row in PackageArrays
    type_code: np.ndarray  # int8 position in EVENT_TYPES
    age_days: np.ndarray  # float64, >= 0
    day: np.ndarray  # int64 calendar day number (UTC)
    amount: np.ndarray
    dwell: np.ndarray

    def __len__(self) -> int:
        return len(self.investor)

    def subset(self, mask: np.ndarray) -> EventArrays:
        """The events where ``mask`` holds."""
        return EventArrays(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def investor_arrays(investors: pd.DataFrame) -> InvestorArrays:
    """Validate and encode the investors frame; ids must be unique."""
    require_columns(investors, "investors", INVESTOR_COLUMNS, OPTIONAL_INVESTOR_COLUMNS)
    ids = pd.Index(investors["investor_id"].astype(object), name="investor_id")
    if not ids.is_unique:
        raise DuplicateInvestorError(ids[ids.duplicated()][0])
    province_code = codes_of(investors["province"], PROVINCES, "province")
    return InvestorArrays(
        ids=ids,
        type_code=codes_of(investors["investor_type"], INVESTOR_TYPES, "investor_type"),
        province_code=province_code,
        region_code=REGION_CODE_OF_PROVINCE[province_code],
        capital=float_column(investors, "capital_cny"),
        min_ticket=float_column(investors, "min_ticket_cny"),
        max_ticket=float_column(investors, "max_ticket_cny"),
        stated_types=column_or_missing(investors, "preferred_asset_types").reset_index(drop=True),
        stated_provinces=column_or_missing(investors, "preferred_provinces").reset_index(drop=True),
        appetite_code=codes_of(
            column_or_missing(investors, "risk_appetite"), RISK_APPETITES, "risk_appetite", allow_missing=True
        ),
        licensed_amc=bool_column(investors["licensed_amc"]),
    )


PACKAGE_DIMENSION_COLUMNS: dict[str, tuple[str, Sequence[str]]] = {
    "asset_type": ("asset_type", ASSET_TYPES),
    "asset_class": ("asset_class", ASSET_CLASSES),
    "province": ("province", PROVINCES),
    "seller_type": ("seller_type", SELLER_TYPES),
    "collateral": ("collateral", COLLATERAL_KINDS),
    "litigation_status": ("litigation_status", LITIGATION_STATUSES),
}


def package_arrays(packages: pd.DataFrame) -> PackageArrays:
    """Validate and encode the packages frame."""
    require_columns(packages, "packages", PACKAGE_COLUMNS, OPTIONAL_PACKAGE_COLUMNS)
    codes = {
        dimension: codes_of(packages[column], vocabulary, column)
        for dimension, (column, vocabulary) in PACKAGE_DIMENSION_COLUMNS.items()
    }
    codes["region"] = REGION_CODE_OF_PROVINCE[codes["province"]].astype(np.int16)
    listed = timestamp_column(packages["listed_at"])
    closes = timestamp_column(packages["closes_at"])
    window = (closes - listed).astype("timedelta64[ms]").astype(np.float64) / MS_PER_DAY
    return PackageArrays(
        ids=pd.Index(packages["package_id"].astype(object), name="package_id"),
        codes=codes,
        principal=float_column(packages, "principal_cny"),
        reserve=float_column(packages, "reserve_price_cny"),
        appraised=float_column(packages, "appraised_value_cny"),
        dd=float_column(packages, "dd_completeness"),
        window_days=window,
    )


def event_arrays(
    events: pd.DataFrame, investors: InvestorArrays, packages: PackageArrays, now: datetime
) -> EventArrays:
    """Encode the events that happened by ``now``; events of unknown investors or packages are skipped.

    The importer refuses such events, so they only reach here when a caller passes a subset
    of investors or packages (e.g. those registered by a cutoff) — then they are out of scope.
    """
    require_columns(events, "events", EVENT_COLUMNS, OPTIONAL_EVENT_COLUMNS)
    occurred = timestamp_column(events["occurred_at"])
    cutoff = naive_utc(now)
    known = occurred <= cutoff  # NaT compares False, so undated events are dropped too
    frame = events.loc[known] if not known.all() else events
    occurred = occurred[known]
    investor = investors.ids.get_indexer(frame["investor_id"].astype(object))
    package = packages.ids.get_indexer(frame["package_id"].astype(object))
    type_code = codes_of(frame["event_type"], EVENT_TYPES, "event_type")
    keep = (investor >= 0) & (package >= 0)
    age_ms = (cutoff - occurred).astype("timedelta64[ms]").astype(np.float64)
    arrays = EventArrays(
        investor=investor.astype(np.int32),
        package=package.astype(np.int32),
        type_code=type_code.astype(np.int8),
        age_days=age_ms / MS_PER_DAY,
        day=occurred.astype("datetime64[D]").astype(np.int64),
        amount=float_column(frame, "amount_cny"),
        dwell=float_column(frame, "dwell_seconds"),
    )
    return arrays if keep.all() else arrays.subset(keep)
