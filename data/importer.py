"""``assetmatch import DIR``: validate a market directory, then write it in one transaction.

Nothing is written unless every row of every file is valid; a re-import updates investors and
packages by id and appends only events not seen before, so importing a file twice is a no-op.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from data.bulk_write import ProgressCallback, insert_new_events, upsert_by_key
from data.csv_reader import read_market
from data.schema import investors_table, packages_table


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

    def lines(self) -> list[str]:
        """Human-readable summary lines for the CLI."""
        return [
            f"investors: {self.investors_added} added, {self.investors_updated} updated",
            f"packages:  {self.packages_added} added, {self.packages_updated} updated",
            f"events:    {self.events_added} added, {self.events_already_stored} already stored",
            f"took {self.seconds:.1f} s",
        ]


def import_market(
    engine: Engine,
    directory: Path,
    on_event_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Validate ``directory``'s CSV files against the contract and import them atomically.

    Raises ``data.csv_reader.MarketFileError`` listing every problem when any row is invalid;
    the database is then left exactly as it was.
    """
    started = time.perf_counter()
    known_investors = _stored_ids(engine, investors_table.c.investor_id)
    known_packages = _stored_ids(engine, packages_table.c.package_id)
    frames = read_market(directory, known_investor_ids=known_investors, known_package_ids=known_packages)

    investors_added, investors_updated = _split_new(frames.investors, "investor_id", known_investors)
    packages_added, packages_updated = _split_new(frames.packages, "package_id", known_packages)
    events_added = 0
    with engine.begin() as connection:
        if frames.investors is not None:
            upsert_by_key(connection, investors_table, frames.investors)
        if frames.packages is not None:
            upsert_by_key(connection, packages_table, frames.packages)
        if frames.events is not None:
            events_added = insert_new_events(connection, frames.events, on_event_progress)
    total_events = 0 if frames.events is None else len(frames.events)
    return ImportSummary(
        investors_added=investors_added,
        investors_updated=investors_updated,
        packages_added=packages_added,
        packages_updated=packages_updated,
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


def _split_new(frame: pd.DataFrame | None, key: str, known: set[str]) -> tuple[int, int]:
    if frame is None:
        return 0, 0
    updated = int(frame[key].isin(known).sum())
    return len(frame) - updated, updated
