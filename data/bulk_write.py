"""Bulk writes of validated frames: upserts by id, and append-only event inserts.

Imports move millions of events, so rows never become ORM objects. Each backend gets its
fastest path: on SQLite, batched ``INSERT .. ON CONFLICT DO UPDATE`` for investors and packages
and ``executemany`` of ``INSERT OR IGNORE`` for events; on PostgreSQL, ``COPY`` into a staging
table and one ``INSERT .. SELECT .. ON CONFLICT`` per table.

An event whose ``event_id`` is already stored with the same content is a repeat and is
skipped; one stored with *other* content is a conflict, and the whole batch is refused with
:class:`~data.event_conflicts.EventConflictError` (the caller's transaction then rolls back, so
nothing of it is stored). Conflicts are looked for after the insert, in the same transaction,
so a concurrent writer that stored the id first is caught too; a batch with nothing skipped
costs no extra query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from data.event_conflicts import EVENT_CONTENT, EventConflictError, describe_conflicts
from data.schema import events_table

CHUNK_ROWS = 50_000
# From this many events on, PostgreSQL checks the event table's foreign keys once for the whole
# batch (drop, insert, re-add: a single join) instead of once per row, which is most of the
# cost of a large import; and when the batch is at least as large as what is stored, the
# lookup indexes are rebuilt once instead of updated row by row. The table is locked for the
# transaction meanwhile, so smaller batches, such as those the API ingests, keep per-row work.
BULK_FOREIGN_KEY_CHECK_ROWS = 100_000
EVENT_COLUMNS: tuple[str, ...] = tuple(c.name for c in events_table.columns if c.name != "id")

ProgressCallback = Callable[[int], None]


def python_values(series: pd.Series) -> list[Any]:
    """Column values as plain Python objects with None for missing, as DB drivers want them."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    if pd.api.types.is_bool_dtype(series.dtype):
        return [bool(v) for v in series.to_numpy()]
    values = series.astype(object)
    return values.where(series.notna(), None).tolist()


def timestamp_texts(series: pd.Series) -> list[str | None]:
    """Naive-UTC timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff`` text, which both backends parse.

    Formatting in numpy is what keeps a million-row import fast; the format is the one
    SQLAlchemy itself writes into SQLite, so rows read back as ``datetime`` either way.
    """
    values = series.to_numpy(dtype="datetime64[us]")
    texts = np.char.replace(np.datetime_as_string(values, unit="us"), "T", " ")
    missing = np.isnat(values)
    result: list[str | None] = texts.tolist()
    if missing.any():
        for index in np.flatnonzero(missing):
            result[index] = None
    return result


def upsert_by_key(connection: Connection, table: Table, frame: pd.DataFrame) -> None:
    """Insert new rows and overwrite existing ones, matched on the table's primary key."""
    if frame.empty:
        return
    key = [column.name for column in table.primary_key.columns]
    columns = [column for column in frame.columns if column in table.c]
    rows = zip(*(python_values(frame[column]) for column in columns), strict=True)
    if connection.dialect.name == "postgresql":
        _copy_upsert(connection, table, columns, key, rows)
        return
    records = [dict(zip(columns, values, strict=True)) for values in rows]
    for chunk in _chunks(records, CHUNK_ROWS // 10):
        statement = sqlite.insert(table)
        updates = {column: statement.excluded[column] for column in columns if column not in key}
        connection.execute(statement.on_conflict_do_update(index_elements=key, set_=updates), chunk)


def _copy_upsert(
    connection: Connection, table: Table, columns: list[str], key: list[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """PostgreSQL: COPY into a staging copy of the table, then one INSERT .. ON CONFLICT DO UPDATE."""
    staging = f"staged_{table.name}"
    column_list = ", ".join(columns)
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns if column not in key)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"CREATE TEMPORARY TABLE {staging} (LIKE {table.name})")
        with cursor.copy(f"COPY {staging} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table.name} ({column_list}) SELECT {column_list} FROM {staging}"
            f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        )
        cursor.execute(f"DROP TABLE {staging}")
    finally:
        cursor.close()


def insert_new_events(
    connection: Connection, events: pd.DataFrame, on_progress: ProgressCallback | None = None
) -> int:
    """Append events whose ``event_id`` is not stored yet; returns how many were added.

    Raises
    ------
    EventConflictError
        When any event's id is stored with different content (checked only when some event
        was skipped); the caller must roll back, as the other events were inserted.
    """
    if events.empty:
        return 0
    rows = _event_rows(events)
    if connection.dialect.name != "postgresql":
        added = _executemany_new_events(connection, rows, on_progress)
        if added < len(events):
            _refuse_conflicts(connection, events, _staged_differences(connection, _event_rows(events)))
        return added
    if len(events) < BULK_FOREIGN_KEY_CHECK_ROWS:
        added, differing = _copy_new_events(connection, rows, on_progress, len(events))
        _refuse_conflicts(connection, events, differing)
        return added
    foreign_keys = sorted(events_table.foreign_key_constraints, key=lambda constraint: str(constraint.name))
    stored = connection.execute(select(func.count()).select_from(events_table)).scalar_one()
    rebuilt_indexes = sorted(
        (index for index in events_table.indexes if not index.unique and len(events) >= stored),
        key=lambda index: str(index.name),
    )
    for constraint in foreign_keys:
        connection.execute(DropConstraint(constraint))
    for index in rebuilt_indexes:
        connection.execute(DropIndex(index))
    added, differing = _copy_new_events(connection, rows, on_progress, len(events))
    _refuse_conflicts(connection, events, differing)
    for index in rebuilt_indexes:
        connection.execute(CreateIndex(index))
    for constraint in foreign_keys:
        connection.execute(AddConstraint(constraint))  # validates every row in one pass
    return added


def _event_rows(events: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    columns = [
        timestamp_texts(events[name]) if name == "occurred_at" else python_values(events[name])
        for name in EVENT_COLUMNS
    ]
    return zip(*columns, strict=True)


def _executemany_new_events(
    connection: Connection, rows: Iterator[tuple[Any, ...]], on_progress: ProgressCallback | None
) -> int:
    placeholders = ", ".join("?" for _ in EVENT_COLUMNS)
    sql = f"INSERT OR IGNORE INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({placeholders})"
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    added = 0
    try:
        for chunk in _chunks(rows, CHUNK_ROWS):
            cursor.executemany(sql, chunk)
            added += cursor.rowcount
            if on_progress:
                on_progress(len(chunk))
    finally:
        cursor.close()
    return added


def _copy_new_events(
    connection: Connection, rows: Iterator[tuple[Any, ...]], on_progress: ProgressCallback | None, total: int
) -> tuple[int, list[int]]:
    """PostgreSQL: COPY into a staging table, insert the new ones; also the rows that conflict."""
    staging_columns = ", ".join(EVENT_COLUMNS)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            "CREATE TEMPORARY TABLE staged_events (position bigint, event_id text, investor_id text,"
            " package_id text, event_type text, occurred_at timestamp, amount_cny double precision,"
            " dwell_seconds double precision, request_id text)"
        )
        with cursor.copy(f"COPY staged_events (position, {staging_columns}) FROM STDIN") as copy:
            for position, row in enumerate(rows):
                copy.write_row((position, *row))
                if on_progress and position % CHUNK_ROWS == CHUNK_ROWS - 1:
                    on_progress(CHUNK_ROWS)
        cursor.execute(
            f"INSERT INTO events ({staging_columns}) SELECT {staging_columns} FROM staged_events"
            " ORDER BY position ON CONFLICT (event_id) DO NOTHING"
        )
        added = cursor.rowcount
        differing = _differing_positions(cursor, "IS DISTINCT FROM") if added < total else []
        cursor.execute("DROP TABLE staged_events")
    finally:
        cursor.close()
    return added, differing


def _staged_differences(connection: Connection, rows: Iterator[tuple[Any, ...]]) -> list[int]:
    """SQLite: stage the batch beside the events it was inserted into; the rows that conflict."""
    columns = ", ".join(EVENT_COLUMNS)
    placeholders = ", ".join("?" for _ in range(len(EVENT_COLUMNS) + 1))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("DROP TABLE IF EXISTS temp.staged_events")
        cursor.execute(
            "CREATE TEMPORARY TABLE staged_events (position INTEGER, event_id TEXT, investor_id TEXT,"
            " package_id TEXT, event_type TEXT, occurred_at TEXT, amount_cny REAL, dwell_seconds REAL,"
            " request_id TEXT)"
        )
        sql = f"INSERT INTO staged_events (position, {columns}) VALUES ({placeholders})"
        for chunk in _chunks(((position, *row) for position, row in enumerate(rows)), CHUNK_ROWS):
            cursor.executemany(sql, chunk)
        return _differing_positions(cursor, "IS NOT")
    finally:
        cursor.execute("DROP TABLE IF EXISTS temp.staged_events")
        cursor.close()


def _differing_positions(cursor: Any, distinct: str) -> list[int]:
    """Staged rows whose ``event_id`` is stored with other content (``distinct``: the null-safe !=)."""
    differs = " OR ".join(f"s.{name} {distinct} e.{name}" for name in EVENT_CONTENT)
    cursor.execute(
        "SELECT s.position FROM staged_events s JOIN events e ON e.event_id = s.event_id"
        f" WHERE {differs} ORDER BY s.position"
    )
    return [int(row[0]) for row in cursor.fetchall()]


def _refuse_conflicts(connection: Connection, events: pd.DataFrame, differing: list[int]) -> None:
    if not differing:
        return
    conflicts = describe_conflicts(connection, events, differing)
    if conflicts:
        raise EventConflictError(conflicts)


def _chunks(items: Iterable[Any], size: int) -> Iterator[Sequence[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
