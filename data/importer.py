"""``assetmatch import DIR``: validate a market directory, then write it in one transaction.

Nothing is written unless every row of every file is valid; a re-import updates investors and
packages by id and appends only events not seen before, so importing a file twice is a no-op
(and says so: rows equal to the stored ones are counted as unchanged, not as updated). An event
whose ``event_id`` is stored with other content refuses the import, naming its line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Table, select

from data.bulk_write import ProgressCallback, insert_new_events, upsert_by_key
from data.contract import INVESTOR_FIELDS, PACKAGE_FIELDS, Field
from data.csv_reader import SourceLines, read_market
from data.event_conflicts import EventConflict, EventConflictError
from data.market_frames import read_frame
from data.masking import mask_personal_data
from data.problems import MarketFileError, Problem
from data.record_diff import unchanged_rows
from data.schema import investors_table, packages_table

EVENTS_FILE = "events.csv"


@dataclass(frozen=True)
class ImportSummary:
    """What one import changed."""

    investors_added: int
    investors_updated: int
    packages_added: int
    packages_updated: int
    events_added: int
    events_already_stored: int
    seconds: float
    investors_unchanged: int = 0
    packages_unchanged: int = 0

    def lines(self) -> list[str]:
        """Human-readable summary lines for the CLI."""
        return [
            f"investors: {self.investors_added} added, {self.investors_updated} updated,"
            f" {self.investors_unchanged} unchanged",
            f"packages:  {self.packages_added} added, {self.packages_updated} updated,"
            f" {self.packages_unchanged} unchanged",
            f"events:    {self.events_added} added, {self.events_already_stored} already stored",
            f"took {self.seconds:.1f} s",
        ]


def import_market(
    engine: Engine,
    directory: Path,
    on_event_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Validate ``directory``'s CSV files against the contract and import them atomically.

    Raises ``data.csv_reader.MarketFileError`` listing every problem when any row is invalid,
    or when an event's ``event_id`` is stored with other content; the database is then left
    exactly as it was.
    """
    started = time.perf_counter()
    known_investors = _stored_ids(engine, investors_table.c.investor_id)
    known_packages = _stored_ids(engine, packages_table.c.package_id)
    frames = read_market(directory, known_investor_ids=known_investors, known_package_ids=known_packages)

    investors = _split(engine, frames.investors, investors_table, INVESTOR_FIELDS, known_investors)
    packages = _split(engine, frames.packages, packages_table, PACKAGE_FIELDS, known_packages)
    events_added = 0
    try:
        with engine.begin() as connection:
            if frames.investors is not None:
                upsert_by_key(connection, investors_table, frames.investors)
            if frames.packages is not None:
                upsert_by_key(connection, packages_table, frames.packages)
            if frames.events is not None:
                events_added = insert_new_events(connection, frames.events, on_event_progress)
    except EventConflictError as error:
        lines = frames.events.attrs.get("lines") if frames.events is not None else None
        raise MarketFileError([_conflict_problem(c, lines) for c in error.conflicts]) from None
    total_events = 0 if frames.events is None else len(frames.events)
    return ImportSummary(
        investors_added=investors[0],
        investors_updated=investors[1],
        packages_added=packages[0],
        packages_updated=packages[1],
        investors_unchanged=investors[2],
        packages_unchanged=packages[2],
        events_added=events_added,
        events_already_stored=total_events - events_added,
        seconds=time.perf_counter() - started,
    )


def count_event_rows(directory: Path) -> int:
    """Rows in ``events.csv`` (for sizing a progress bar before the import starts)."""
    path = directory / "events.csv"
    if not path.is_file():
        return 0
    with path.open("rb") as handle:
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1, 0)


def _stored_ids(engine: Engine, column) -> set[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return set(connection.execute(select(column)).scalars())


def _split(
    engine: Engine, frame: pd.DataFrame | None, table: Table, fields: tuple[Field, ...], known: set[str]
) -> tuple[int, int, int]:
    """How many rows of ``frame`` are new, updated, and the same as stored."""
    if frame is None:
        return 0, 0, 0
    key = fields[0].name
    stored_count = int(frame[key].isin(known).sum())
    if not stored_count:
        return len(frame), 0, 0
    with engine.connect() as connection:
        stored = read_frame(connection, table, fields)
    unchanged = int(unchanged_rows(frame, stored, key).sum())
    return len(frame) - stored_count, stored_count - unchanged, unchanged


def _conflict_problem(conflict: EventConflict, lines: SourceLines | None) -> Problem:
    """An event id stored with other content, at its line of ``events.csv``, with the stored values."""
    line = int(lines[conflict.row]) if lines is not None else 0
    stored = ", ".join(f"{name} {_shown(value)}" for name, value in conflict.stored.items())
    return Problem(
        EVENTS_FILE,
        line,
        "event_id",
        mask_personal_data(
            f"{conflict.event_id!r} is already stored with different content (stored: {stored});"
            " a repeat must be identical, a new event needs a new event_id"
        ),
    )


def _shown(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return "empty"
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    return repr(value)
