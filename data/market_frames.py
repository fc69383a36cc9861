"""Read the stored market back as contract-shaped frames, for training and batch ranking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Table, func, select

from data.contract import EVENT_FIELDS, INVESTOR_FIELDS, PACKAGE_FIELDS, Field
from data.schema import events_table, investors_table, packages_table


@dataclass(frozen=True)
class StoredMarket:
    """Investors, packages and events as stored, plus the event high-water mark they include."""

    investors: pd.DataFrame
    packages: pd.DataFrame
    events: pd.DataFrame
    event_high_water: int


# The store's own event key: it grows with every accepted event, so a model version can name
# the exact events it saw (``id <= event_high_water``) and a later run can rebuild that snapshot.
EVENT_ROW_ID = Field("id", "int")


def load_market(engine: Engine, event_row_ids: bool = False) -> StoredMarket:
    """Everything in the store, read in one transaction so the three frames agree.

    With ``event_row_ids`` the events frame also carries the store's ``id`` column.
    """
    event_fields = (*EVENT_FIELDS, EVENT_ROW_ID) if event_row_ids else EVENT_FIELDS
    with engine.connect() as connection, connection.begin():
        high_water = connection.execute(select(func.coalesce(func.max(events_table.c.id), 0))).scalar_one()
        investors = _read(connection, investors_table, INVESTOR_FIELDS)
        packages = _read(connection, packages_table, PACKAGE_FIELDS)
        events = _read(connection, events_table, event_fields, events_table.c.id <= high_water)
    return StoredMarket(investors, packages, events, int(high_water))


def read_frame(
    connection: Connection, table: Table, fields: tuple[Field, ...], where: Any = None
) -> pd.DataFrame:
    """The rows of ``table`` that match ``where``, typed like a whole-market read.

    Serving reads the few rows a change touched with this, so they fold in looking exactly
    like the rows the market was loaded with.
    """
    return _read(connection, table, fields, where)


def _read(connection, table: Table, fields: tuple[Field, ...], where=None) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    columns = [table.c[field.name] for field in fields]
    query = select(*columns)
    if where is not None:
        query = query.where(where)
    if "id" in table.c:
        query = query.order_by(table.c.id)
    rows = connection.execute(query).fetchall()
    names = [field.name for field in fields]
    # Built column by column: given rows, pandas probes every SQLAlchemy Row for namedtuple
    # fields, and each probe raises and catches an exception (two thirds of a 5-million-event read).
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    frame = pd.DataFrame(dict(zip(names, columns, strict=True)))
    return _typed(frame, fields)


def _typed(frame: pd.DataFrame, fields: tuple[Field, ...]) -> pd.DataFrame:
    """The dtypes ``data.csv_reader`` produces, so stored and freshly read markets look alike."""
    for field in fields:
        column = frame[field.name]
        if field.kind in ("date", "timestamp"):
            frame[field.name] = pd.to_datetime(column).astype("datetime64[us]")
        elif field.kind == "decimal":
            frame[field.name] = pd.to_numeric(column, errors="raise").astype("float64")
        elif field.kind == "int":
            frame[field.name] = column.astype("int64")
        elif field.kind == "bool":
            frame[field.name] = column.astype(bool)
        else:
            frame[field.name] = column.astype(object).where(column.notna(), None)
    return frame
