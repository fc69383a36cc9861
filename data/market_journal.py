"""The market change journal, and how a serving process follows it and the event log.

Several serving processes hold the market in memory. A listing or investor upserted through
one of them is written to its table and journalled in ``market_changes`` in the same
transaction; events go to ``events``. Every process reads the rows it has not seen yet, by id,
and folds them into its own copy, so each process converges on what the store holds without a
restart.

Ids grow with every insert, but on PostgreSQL they are handed out before commit, so a
transaction that started first can commit after a later id was already read. :class:`IdCursor`
therefore remembers the ids it skipped (gaps) for a while and asks for them again, instead of
assuming that everything below the highest id seen is complete. Rolled-back inserts and
``ON CONFLICT DO NOTHING`` leave gaps that never fill; they are forgotten after
:data:`GAP_SECONDS`.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Column, Connection, func, or_, select

from data.contract import EVENT_FIELDS, INVESTOR_FIELDS, PACKAGE_FIELDS
from data.market_frames import read_frame
from data.schema import events_table, investors_table, market_changes_table, packages_table

PACKAGE = "package"
INVESTOR = "investor"
CHANGE_KINDS = (PACKAGE, INVESTOR)

#: How long an id below the high-water mark is awaited before it is taken as never coming.
GAP_SECONDS = 30.0
#: At most this many gaps are tracked (the newest); older ones are dropped first.
MAX_GAPS = 1000


@dataclass
class IdCursor:
    """How far a reader has read an id-ordered, append-only table, and which ids it still awaits."""

    high_water: int = 0
    gaps: dict[int, float] = field(default_factory=dict)  # id -> monotonic time it was first missed

    def condition(self, column: Column) -> object:
        """The WHERE clause selecting the rows this cursor has not seen."""
        newer = column > self.high_water
        return or_(newer, column.in_(sorted(self.gaps))) if self.gaps else newer

    def advance(self, ids: Iterable[int], clock: float | None = None) -> None:
        """Record ``ids`` as read; ids skipped on the way to the new high-water mark become gaps."""
        now = time.monotonic() if clock is None else clock
        seen = sorted(set(ids))
        for row_id in seen:
            self.gaps.pop(row_id, None)
        expected = self.high_water + 1
        for row_id in (i for i in seen if i > self.high_water):
            self._await(range(max(expected, row_id - MAX_GAPS), row_id), now)
            expected = row_id + 1
        if seen and seen[-1] > self.high_water:
            self.high_water = seen[-1]
        self._expire(now)

    def _await(self, missing: Iterable[int], now: float) -> None:
        for row_id in missing:
            self.gaps[row_id] = now

    def _expire(self, now: float) -> None:
        stale = [row_id for row_id, since in self.gaps.items() if now - since > GAP_SECONDS]
        for row_id in stale:
            del self.gaps[row_id]
        if len(self.gaps) > MAX_GAPS:
            for row_id in sorted(self.gaps)[: len(self.gaps) - MAX_GAPS]:
                del self.gaps[row_id]


@dataclass(frozen=True)
class MarketChange:
    id: int
    kind: str
    entity_id: str


def record_changes(connection: Connection, kind: str, entity_ids: Collection[str], now: datetime) -> None:
    """Journal upserts of ``kind`` (in the caller's transaction, beside the upsert itself)."""
    if kind not in CHANGE_KINDS:
        raise ValueError(f"unknown change kind {kind!r} (expected one of: {', '.join(CHANGE_KINDS)})")
    if entity_ids:
        connection.execute(
            market_changes_table.insert(),
            [{"kind": kind, "entity_id": entity_id, "changed_at": now} for entity_id in entity_ids],
        )


def start_cursor(connection: Connection, column: Column, high_water: int | None = None) -> IdCursor:
    """A cursor at ``high_water`` (default: the newest id) that still awaits the recent ids not there."""
    if high_water is None:
        high_water = int(connection.execute(select(func.coalesce(func.max(column), 0))).scalar_one())
    cursor = IdCursor(high_water)
    low = max(high_water - MAX_GAPS, 0)
    present = connection.execute(select(column).where(column > low, column <= high_water)).scalars()
    stored = set(present)
    now = time.monotonic()
    cursor.gaps = {row_id: now for row_id in range(low + 1, high_water + 1) if row_id not in stored}
    return cursor


def changes_since(connection: Connection, cursor: IdCursor) -> list[MarketChange]:
    """Journal rows the cursor has not seen, oldest first (the cursor is not moved)."""
    table = market_changes_table
    rows = connection.execute(
        select(table.c.id, table.c.kind, table.c.entity_id)
        .where(cursor.condition(table.c.id))
        .order_by(table.c.id)
    )
    return [MarketChange(int(row.id), row.kind, row.entity_id) for row in rows]


def event_ids_since(connection: Connection, cursor: IdCursor) -> list[int]:
    """Ids of stored events the cursor has not seen, in order (the cursor is not moved)."""
    column = events_table.c.id
    return [
        int(i)
        for i in connection.execute(select(column).where(cursor.condition(column)).order_by(column)).scalars()
    ]


def read_events(connection: Connection, ids: Collection[int]) -> pd.DataFrame:
    """The events with these row ids, in id order, typed like ``load_market``'s events."""
    return read_frame(connection, events_table, EVENT_FIELDS, events_table.c.id.in_(sorted(ids)))


def read_investors(connection: Connection, investor_ids: Collection[str]) -> pd.DataFrame:
    """The stored rows of these investors."""
    return read_frame(
        connection, investors_table, INVESTOR_FIELDS, investors_table.c.investor_id.in_(sorted(investor_ids))
    )


def read_packages(connection: Connection, package_ids: Collection[str]) -> pd.DataFrame:
    """The stored rows of these packages."""
    return read_frame(
        connection, packages_table, PACKAGE_FIELDS, packages_table.c.package_id.in_(sorted(package_ids))
    )


def stored_ids(connection: Connection, column: Column, ids: Collection[str]) -> set[str]:
    """Which of ``ids`` the store holds in ``column`` (an id column of investors or packages)."""
    if not ids:
        return set()
    return set(connection.execute(select(column).where(column.in_(sorted(set(ids))))).scalars())
