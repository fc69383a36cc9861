"""Following the change journal and the event log by id, when ids can commit out of order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from data.market_journal import (
    GAP_SECONDS,
    INVESTOR,
    PACKAGE,
    IdCursor,
    changes_since,
    record_changes,
    start_cursor,
)
from data.schema import market_changes_table

NOW = datetime(2026, 6, 20)


def test_a_cursor_awaits_skipped_ids_until_they_arrive() -> None:
    cursor = IdCursor(high_water=3)
    cursor.advance([4, 7], clock=0.0)
    assert cursor.high_water == 7 and set(cursor.gaps) == {5, 6}
    cursor.advance([6], clock=1.0)  # a transaction that started earlier committed later
    assert set(cursor.gaps) == {5}
    cursor.advance([], clock=GAP_SECONDS + 1)  # never came: rolled back, or a conflict
    assert cursor.gaps == {} and cursor.high_water == 7


def test_the_journal_is_read_after_the_cursor_including_late_ids(engine: Engine) -> None:
    with engine.begin() as connection:
        record_changes(connection, PACKAGE, ["pkg-1", "pkg-2"], NOW)
        cursor = start_cursor(connection, market_changes_table.c.id)
        assert changes_since(connection, cursor) == []
        record_changes(connection, INVESTOR, ["inv-1"], NOW)
        changes = changes_since(connection, cursor)
        assert [(c.kind, c.entity_id) for c in changes] == [("investor", "inv-1")]
        cursor.advance(change.id for change in changes)
        cursor.gaps[cursor.high_water - 1] = 0.0  # pretend an earlier id is still in flight
        assert [c.entity_id for c in changes_since(connection, cursor)] == ["pkg-2"]
