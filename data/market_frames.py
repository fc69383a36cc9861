"""Read the stored market back as contract-shaped frames, for training, serving and batch ranking.

Everything that enters the store is checked against the contract first, but a row can still get
in around the checks (a manual SQL fix, a row written by an older version with laxer checks, a
restore from elsewhere). One such row must not take serving, training or ranking down, so this
read is where the store is distrusted, once, for every reader: instants are fetched as text and
parsed here (a year-0 or year-10000 value would make the database driver raise for the whole
read), and a row whose values break the contract (an unreadable instant, or one outside the
contract's years; a required value missing; a number that is not finite or outside its field's
range; an enum value outside its vocabulary) is left out, logged with its key, and counted in
:attr:`StoredMarket.skipped`. Events of a left-out investor or package are left out with it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Table, Text, func, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from data.contract import EVENT_FIELDS, INVESTOR_FIELDS, PACKAGE_FIELDS, Field
from data.csv_reader import TIMESTAMP_DTYPE, instants_in_range
from data.schema import events_table, investors_table, packages_table

logger = logging.getLogger(__name__)

#: How many keys of left-out rows one warning names.
LOGGED_KEYS = 5
# PostgreSQL writes instants in this layout whatever the session's DateStyle; a year past 9999
# gets a fifth digit, and a year BC reads as AD, both of which the range check then refuses.
_POSTGRES_INSTANT = 'YYYY-MM-DD"T"HH24:MI:SS.US'


@dataclass(frozen=True)
class StoredMarket:
    """Investors, packages and events as stored, plus the event high-water mark they include.

    ``skipped`` counts, by table, the stored rows left out because they break the contract
    (empty when every row could be used).
    """

    investors: pd.DataFrame
    packages: pd.DataFrame
    events: pd.DataFrame
    event_high_water: int
    skipped: Mapping[str, int] = field(default_factory=dict)


# The store's own event key: it grows with every accepted event, so a model version can name
# the exact events it saw (``id <= event_high_water``) and a later run can rebuild that snapshot.
EVENT_ROW_ID = Field("id", "int")


def load_market(engine: Engine, event_row_ids: bool = False) -> StoredMarket:
    """Everything in the store, read in one transaction so the three frames agree.

    With ``event_row_ids`` the events frame also carries the store's ``id`` column. Rows that
    break the contract are left out and counted in ``skipped`` (see the module docstring).
    """
    event_fields = (*EVENT_FIELDS, EVENT_ROW_ID) if event_row_ids else EVENT_FIELDS
    with engine.connect() as connection, connection.begin():
        high_water = connection.execute(select(func.coalesce(func.max(events_table.c.id), 0))).scalar_one()
        investors, bad_investors = _read(connection, investors_table, INVESTOR_FIELDS)
        packages, bad_packages = _read(connection, packages_table, PACKAGE_FIELDS)
        events, bad_events = _read(connection, events_table, event_fields, events_table.c.id <= high_water)
    orphans = ~events["investor_id"].isin(investors["investor_id"]) | ~events["package_id"].isin(
        packages["package_id"]
    )
    if orphans.any():
        _warn("events", events.loc[orphans, "event_id"], "their investor or package was left out")
        events = events[~orphans].reset_index(drop=True)
    skipped = {
        name: count
        for name, count in (
            ("investors", bad_investors),
            ("packages", bad_packages),
            ("events", bad_events + int(orphans.sum())),
        )
        if count
    }
    return StoredMarket(investors, packages, events, int(high_water), skipped)


def describe_skipped(skipped: Mapping[str, int]) -> str:
    """One line for people: which stored rows a read left out (empty text when none)."""
    if not skipped:
        return ""
    counts = ", ".join(f"{count} {table}" for table, count in skipped.items())
    return f"left out stored rows that break the data contract: {counts} (the log names them)"


def read_frame(
    connection: Connection, table: Table, fields: tuple[Field, ...], where: Any = None
) -> pd.DataFrame:
    """The rows of ``table`` that match ``where``, typed like a whole-market read.

    Serving reads the few rows a change touched with this, so they fold in looking exactly
    like the rows the market was loaded with; rows that break the contract are left out and
    logged, as by :func:`load_market`.
    """
    frame, _ = _read(connection, table, fields, where)
    return frame


def _read(
    connection: Connection, table: Table, fields: tuple[Field, ...], where: Any = None
) -> tuple[pd.DataFrame, int]:
    """The typed rows of ``table`` that keep to the contract, and how many were left out."""
    postgres = connection.dialect.name == "postgresql"
    query = select(*(_selected(table.c[spec.name], spec, postgres) for spec in fields))
    if where is not None:
        query = query.where(where)
    if "id" in table.c:
        query = query.order_by(table.c.id)
    rows = connection.execute(query).fetchall()
    names = [spec.name for spec in fields]
    # Built column by column: given rows, pandas probes every SQLAlchemy Row for namedtuple
    # fields, and each probe raises and catches an exception (two thirds of a 5-million-event read).
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    frame = pd.DataFrame(dict(zip(names, columns, strict=True)))
    frame, problems = _typed(frame, fields)
    bad = np.logical_or.reduce(list(problems.values())) if problems else np.zeros(len(frame), bool)
    if bad.any():
        # the first field is the table's key (investor_id, package_id, event_id)
        _warn(table.name, frame.loc[bad, names[0]], "bad or missing " + ", ".join(problems))
        frame = frame[~bad].reset_index(drop=True)
    return frame, int(bad.sum())


def _selected(column: Any, spec: Field, postgres: bool) -> ColumnElement[Any]:
    """A column as selected: instants as text, so an impossible one cannot fail the whole read."""
    if spec.kind not in ("date", "timestamp"):
        return column
    return instant_text(column, postgres)


def instant_text(column: Any, postgres: bool) -> ColumnElement[Any]:
    """Select a stored instant as ISO text (parse it with :func:`stored_instants`).

    The driver would otherwise turn it into a ``datetime`` and raise, for the whole query, on a
    year ``datetime`` cannot hold (0, or 10000 after a time-zone shift).
    """
    if postgres:
        return func.to_char(column, _POSTGRES_INSTANT).label(column.name)
    return type_coerce(column, Text).label(column.name)


def _typed(frame: pd.DataFrame, fields: tuple[Field, ...]) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The dtypes ``data.csv_reader`` produces, and per field the rows that break the contract.

    A bad row gets a harmless placeholder in its bad cell, so every column keeps its dtype; the
    caller drops the row.
    """
    problems: dict[str, np.ndarray] = {}
    for spec in fields:
        column = frame[spec.name]
        missing = column.isna().to_numpy()
        if spec.kind in ("date", "timestamp"):
            values = _instants(column)
            wrong = ~missing & ~instants_in_range(values)
            frame[spec.name] = np.where(wrong, np.datetime64("NaT", "us"), values)
            frame[spec.name] = frame[spec.name].astype(TIMESTAMP_DTYPE)
        elif spec.kind in ("decimal", "int"):
            numbers = pd.to_numeric(column, errors="coerce").astype("float64").to_numpy()
            wrong = ~missing & ~_within(numbers, spec)
            if spec.kind == "int":
                wrong |= ~missing & np.isfinite(numbers) & (numbers != np.round(numbers))
                frame[spec.name] = np.where(wrong | missing, 0, numbers).astype("int64")
            else:
                frame[spec.name] = np.where(wrong, np.nan, numbers)
        elif spec.kind == "bool":
            wrong = np.zeros(len(frame), bool)
            frame[spec.name] = column.fillna(False).astype(bool)
        else:
            wrong = np.zeros(len(frame), bool)
            if spec.kind == "enum":
                wrong = ~missing & ~column.isin(spec.choices).to_numpy()
            frame[spec.name] = column.astype(object).where(column.notna(), None)
        if spec.required and spec.default is None and spec.kind != "bool":
            wrong |= missing
        if wrong.any():
            problems[spec.name] = wrong
    return frame, problems


def stored_instants(values: Any) -> np.ndarray:
    """Instants selected by :func:`instant_text` as naive UTC ``datetime64[us]``.

    ``NaT`` for a missing or unreadable one and for one outside the contract's years.
    """
    instants = _instants(pd.Series(values, dtype=object))
    return np.where(instants_in_range(instants), instants, np.datetime64("NaT", "us"))


def _instants(column: pd.Series) -> np.ndarray:
    """Stored instant text as naive UTC ``datetime64[us]``; ``NaT`` for missing or unreadable."""
    text = column.astype(object).where(column.notna(), None).map(lambda v: v if v is None else str(v))
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    return parsed.dt.tz_convert(None).astype(TIMESTAMP_DTYPE).to_numpy()


def _within(numbers: np.ndarray, spec: Field) -> np.ndarray:
    """Which numbers are finite and inside the field's bounds."""
    ok = np.isfinite(numbers)
    if spec.minimum is not None:
        ok &= numbers > spec.minimum if spec.minimum_exclusive else numbers >= spec.minimum
    if spec.maximum is not None:
        ok &= numbers <= spec.maximum
    return ok


def _warn(table: str, keys: pd.Series, reason: str) -> None:
    """Log the rows a read leaves out: how many, why, and the first few keys."""
    shown = ", ".join(str(key) for key in keys.head(LOGGED_KEYS))
    more = f" and {len(keys) - LOGGED_KEYS} more" if len(keys) > LOGGED_KEYS else ""
    logger.warning(
        "left out %d stored %s row(s) that break the data contract (%s): %s%s",
        len(keys),
        table,
        reason,
        shown,
        more,
    )
