"""Speed check of the market CSV reader on a large synthetic market.

Writes valid ``investors.csv``, ``packages.csv`` and ``events.csv`` files (1,000,000 events by
default) to a temporary directory, reads them back with :func:`data.csv_reader.read_market` a
few times and prints the best time and the event rows per second. Events without an
``event_id`` get one derived by hashing the row, which is the costliest path, so by default
every event is written without one; ``--with-event-ids`` measures the cheaper case.

This is a script to run by hand, not a test: timings depend on the machine.

    python benchmarks/bench_csv_reader.py [--events N] [--repeat R] [--with-event-ids]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from data.contract import ASSET_TYPES_BY_CLASS, EVENT_TYPES, INVESTOR_TYPES, PROVINCES
from data.csv_reader import read_market


def _write_investors(directory: Path, count: int, rng: np.random.Generator) -> None:
    """Write ``count`` valid investors."""
    minimum = rng.integers(1, 50, count) * 1_000_000
    pd.DataFrame(
        {
            "investor_id": [f"INV{i:06d}" for i in range(count)],
            "name": [f"Investor {i}" for i in range(count)],
            "investor_type": rng.choice(INVESTOR_TYPES, count),
            "province": rng.choice(PROVINCES, count),
            "registered_at": "2023-05-01",
            "capital_cny": rng.integers(10, 10_000, count) * 1_000_000,
            "min_ticket_cny": minimum,
            "max_ticket_cny": minimum * 10,
            "preferred_asset_types": "sme_loan;residential",
            "preferred_provinces": rng.choice(PROVINCES, count),
            "risk_appetite": "balanced",
            "licensed_amc": rng.choice(["true", "false"], count),
        }
    ).to_csv(directory / "investors.csv", index=False)


def _write_packages(directory: Path, count: int, rng: np.random.Generator) -> None:
    """Write ``count`` valid packages."""
    asset_class = rng.choice(list(ASSET_TYPES_BY_CLASS), count)
    asset_type = [ASSET_TYPES_BY_CLASS[c][0] for c in asset_class]
    principal = rng.integers(1, 1_000, count) * 100_000.0
    pd.DataFrame(
        {
            "package_id": [f"PKG{i:06d}" for i in range(count)],
            "title": [f"Package {i}" for i in range(count)],
            "seller_type": "bank",
            "asset_class": asset_class,
            "asset_type": asset_type,
            "province": rng.choice(PROVINCES, count),
            "principal_cny": principal,
            "claim_total_cny": principal * 1.2,
            "reserve_price_cny": principal * 0.4,
            "loan_count": rng.integers(1, 500, count),
            "collateral": "secured",
            "litigation_status": "none",
            "dd_completeness": rng.uniform(0, 1, count).round(2),
            "listed_at": "2024-01-01T09:00:00",
            "closes_at": "2026-01-01T09:00:00",
            "status": "active",
        }
    ).to_csv(directory / "packages.csv", index=False)


def _write_events(
    directory: Path, count: int, investors: int, packages: int, with_ids: bool, rng: np.random.Generator
) -> None:
    """Write ``count`` valid events, with or without event ids."""
    event_type = rng.choice(EVENT_TYPES, count)
    investor = np.char.zfill(rng.integers(0, investors, count).astype(str), 6)
    package = np.char.zfill(rng.integers(0, packages, count).astype(str), 6)
    seconds = rng.integers(0, 400 * 86_400, count).astype("timedelta64[s]")
    occurred_at = np.datetime_as_string(np.datetime64("2024-01-01T00:00:00") + seconds, unit="s")
    bids = np.isin(event_type, ["bid", "win"])
    amount = np.where(bids, (rng.integers(1, 100_000, count) * 1_000).astype(str), "")
    dwell = np.where(event_type == "view", rng.integers(1, 600, count).astype(str), "")
    pd.DataFrame(
        {
            "event_id": np.char.add("E", np.arange(count).astype(str)) if with_ids else "",
            "investor_id": np.char.add("INV", investor),
            "package_id": np.char.add("PKG", package),
            "event_type": event_type,
            "occurred_at": occurred_at,
            "amount_cny": amount,
            "dwell_seconds": dwell,
            "request_id": "",
        }
    ).to_csv(directory / "events.csv", index=False)


def main() -> None:
    """Write the market, time the reader and print the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--investors", type=int, default=5_000)
    parser.add_argument("--packages", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--with-event-ids", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        _write_investors(directory, args.investors, rng)
        _write_packages(directory, args.packages, rng)
        _write_events(directory, args.events, args.investors, args.packages, args.with_event_ids, rng)
        size = (directory / "events.csv").stat().st_size / 1e6
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            frames = read_market(directory)
            best = min(best, time.perf_counter() - start)
    assert frames.events is not None
    ids = "with event ids" if args.with_event_ids else "event ids derived"
    print(
        f"read_market: {args.events:,} events ({size:.0f} MB, {ids}), {args.investors:,} investors, "
        f"{args.packages:,} packages in {best:.2f} s (best of {args.repeat}) = "
        f"{args.events / best:,.0f} event rows/s; {len(frames.events):,} events kept"
    )


if __name__ == "__main__":
    main()
