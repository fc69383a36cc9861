"""Import 1,000,000 events into SQLite and PostgreSQL and report events/s.

Baselines measured in the same run: reading the same events.csv with plain ``pandas.read_csv``
(the floor any importer pays), and the naive path of one ORM object per event (on a 20,000-event
slice, committed in one transaction). Target: >= 50,000 events/s end to end on both backends,
validation included.

    python benchmarks/bench_import.py [--events 1000000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from data.csv_reader import read_market
from data.generator import generate_market, write_market
from data.importer import import_market
from data.schema import EventRow
from data.store import create_store_engine, upgrade_schema

ORM_SLICE = 20_000


def build_market(directory: Path, n_events: int) -> None:
    packages = max(1_000, int(n_events / 29 * 1.1))
    market = generate_market(n_investors=packages // 2, n_packages=packages, seed=1)
    if len(market.events) < n_events:
        raise SystemExit(f"generated only {len(market.events)} events; raise the market size")
    write_market(dataclasses.replace(market, events=market.events.iloc[:n_events]), directory)


def fresh_postgres_url(server: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(server).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{server}?options=-csearch_path%3D{schema}", schema


def timed_import(url: str, market: Path) -> float:
    engine = create_store_engine(url)
    upgrade_schema(engine)
    started = time.perf_counter()
    summary = import_market(engine, market)
    seconds = time.perf_counter() - started
    engine.dispose()
    return summary.events_added / seconds


def orm_rate(url: str, market: Path) -> float:
    """One ORM object per event: the path the importer deliberately avoids."""
    engine = create_store_engine(url)
    upgrade_schema(engine)
    frames = read_market(market)
    import_market_without_events(engine, frames)
    rows = frames.events.iloc[:ORM_SLICE].to_dict("records")
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        for row in rows:
            session.add(EventRow(**{k: (None if pd.isna(v) else v) for k, v in row.items()}))
    seconds = time.perf_counter() - started
    engine.dispose()
    return len(rows) / seconds


def import_market_without_events(engine, frames) -> None:  # type: ignore[no-untyped-def]
    from data.bulk_write import upsert_by_key
    from data.schema import investors_table, packages_table

    with engine.begin() as connection:
        upsert_by_key(connection, investors_table, frames.investors)
        upsert_by_key(connection, packages_table, frames.packages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        market = Path(scratch) / "market"
        build_market(market, args.events)
        started = time.perf_counter()
        pd.read_csv(market / "events.csv", dtype=str, keep_default_na=False)
        read_rate = args.events / (time.perf_counter() - started)
        print(f"events: {args.events:,}")
        print(f"baseline pandas.read_csv alone: {read_rate:,.0f} events/s")
        sqlite_url = f"sqlite:///{Path(scratch) / 'bench.sqlite'}"
        postgres_url, schema = fresh_postgres_url(args.postgres)
        try:
            for name, url in (("sqlite", sqlite_url), ("postgresql", postgres_url)):
                rate = timed_import(url, market)
                orm_url = sqlite_url.replace("bench.sqlite", "orm.sqlite") if name == "sqlite" else None
                if orm_url is None:
                    orm_url, orm_schema = fresh_postgres_url(args.postgres)
                baseline = orm_rate(orm_url, market)
                print(
                    f"{name:10s} import: {rate:,.0f} events/s (target 50,000: {'met' if rate >= 50_000 else 'NOT met'});"
                    f" ORM-per-row baseline {baseline:,.0f} events/s; ratio {rate / baseline:.1f}x;"
                    f" share of read_csv speed {rate / read_rate:.2f}"
                )
                if name == "postgresql":
                    with create_engine(args.postgres).begin() as connection:
                        connection.execute(text(f'DROP SCHEMA "{orm_schema}" CASCADE'))
        finally:
            with create_engine(args.postgres).begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
