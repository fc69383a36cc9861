"""Market records for the API: write one investor or listing as an import writes a row, read them back.

The API's ``PUT /v1/investors/<id>`` and ``PUT /v1/packages/<id>`` call :func:`upsert_record`
(the view only parses the body and renders the answer): the row and its journal entry
(``market_changes``) commit together, so every serving process folds the change in on its next
poll, and nothing is half-written when the commit fails. ``POST /v1/events`` asks
:func:`stored_market_ids` which of the ids its events name are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Table

from data.bulk_write import upsert_by_key
from data.market_journal import INVESTOR, PACKAGE, read_investors, read_packages, record_changes, stored_ids
from data.schema import investors_table, packages_table

#: The table, key column and reader of each kind of market record.
_KINDS: dict[str, tuple[Table, str, Any]] = {
    INVESTOR: (investors_table, "investor_id", read_investors),
    PACKAGE: (packages_table, "package_id", read_packages),
}


@dataclass(frozen=True)
class Upserted:
    """The stored row after an upsert, and whether it existed before (200) or is new (201)."""

    row: dict[str, Any]
    existed: bool


def upsert_record(engine: Engine, kind: str, frame: pd.DataFrame, changed_at: datetime) -> Upserted:
    """Store the one validated record in ``frame`` (an ``INVESTOR`` or a ``PACKAGE``) with its journal row."""
    table, key, read = _KINDS[kind]
    entity_id = str(frame[key].iloc[0])
    with engine.begin() as connection:
        existed = bool(stored_ids(connection, table.c[key], [entity_id]))
        upsert_by_key(connection, table, frame)
        record_changes(connection, kind, [entity_id], changed_at)
        stored = read(connection, [entity_id])
    return Upserted(stored.iloc[0].to_dict(), existed)


def stored_package(engine: Engine, package_id: str) -> dict[str, Any] | None:
    """The stored listing ``package_id`` as one row, or None when there is none."""
    with engine.connect() as connection:
        return _one(read_packages(connection, [package_id]))


def stored_market_ids(
    engine: Engine, investor_ids: set[str], package_ids: set[str]
) -> tuple[set[str], set[str]]:
    """Which of ``investor_ids`` and of ``package_ids`` are stored (events may name only those)."""
    with engine.connect() as connection:
        investors = stored_ids(connection, investors_table.c.investor_id, investor_ids)
        packages = stored_ids(connection, packages_table.c.package_id, package_ids)
    return investors, packages


def _one(rows: pd.DataFrame) -> dict[str, Any] | None:
    return None if rows.empty else rows.iloc[0].to_dict()


