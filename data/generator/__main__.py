"""Command line: ``python -m data.generator --out DIR --investors N --packages M --seed S [--scenario NAME]``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

from .clock import DEFAULT_END
from .market import generate_market
from .scenarios import SCENARIOS
from .writer import write_market


def main(argv: list[str] | None = None) -> int:
    """Generate a market and write it (with its hidden truth) to ``--out``."""
    parser = argparse.ArgumentParser(prog="python -m data.generator", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="directory for the CSV files and truth/")
    parser.add_argument("--investors", type=int, default=400)
    parser.add_argument("--packages", type=int, default=1_500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scenario", choices=list(SCENARIOS), default="default", help="kind of market to simulate")
    parser.add_argument(
        "--end",
        type=datetime.fromisoformat,
        default=DEFAULT_END,
        help=f"the market's 'now', ISO 8601 (default {DEFAULT_END.isoformat()})",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    market = generate_market(args.investors, args.packages, args.seed, args.end, args.scenario)
    write_market(market, args.out)
    print(
        f"wrote {len(market.investors):,} investors, {len(market.packages):,} packages and "
        f"{len(market.events):,} events to {args.out} in {time.perf_counter() - started:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
