"""Contract rows as JSON: lists as arrays, dates as the market's calendar day, instants in UTC.

Stored timestamps are naive UTC, while the contract reads a naive timestamp as market-local
time. Writing them out with an explicit ``+00:00`` means a client that sends a record back
(GET, edit, PUT) stores exactly the same instants.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from data.contract import LIST_SEPARATOR, MARKET_TIMEZONE, Field

_MARKET_ZONE = ZoneInfo(MARKET_TIMEZONE)


def record_json(row: Mapping[str, Any], fields: tuple[Field, ...]) -> dict[str, Any]:
    """One contract row (as ``Matcher.package_row`` or a frame row gives it) as a JSON object."""
    return {spec.name: _value(spec, row.get(spec.name)) for spec in fields}


def frame_records(frame: pd.DataFrame, fields: tuple[Field, ...]) -> list[dict[str, Any]]:
    return [record_json(row, fields) for row in frame.to_dict("records")]


def utc_text(instant: datetime) -> str:
    """A naive-UTC instant as ISO 8601 with its offset."""
    return instant.replace(tzinfo=UTC).isoformat()


def _value(spec: Field, value: Any) -> Any:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return [] if spec.kind == "list" else None
    if spec.kind in ("date", "timestamp"):
        instant = pd.Timestamp(value).to_pydatetime()
        if spec.kind == "date":
            return instant.replace(tzinfo=UTC).astimezone(_MARKET_ZONE).date().isoformat()
        return utc_text(instant)
    if spec.kind == "list":
        return [item for item in str(value).split(LIST_SEPARATOR) if item]
    if spec.kind == "int":
        return int(value)
    if spec.kind == "decimal":
        return float(value)
    if spec.kind == "bool":
        return bool(value)
    return value
