"""Write the market time-split evaluation report (docs/evaluation-market.md).

Generates a market with a fixed seed (or reads one written by ``assetmatch generate``), then
runs ``recommender.evaluation.market_report`` end to end.

    python benchmarks/eval_market.py [--investors 6000] [--packages 15000] [--seed 11] [--out docs/evaluation-market.md]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from data.csv_reader import read_market
from data.generator import generate_market, load_truth, write_market
from recommender.evaluation.market_report import market_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--market", type=Path, help="a generated market directory (with truth/)")
    parser.add_argument("--investors", type=int, default=6_000)
    parser.add_argument("--packages", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--window-days", type=int, default=90)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        market_dir = args.market
        if market_dir is None:
            market_dir = Path(scratch) / "market"
            write_market(generate_market(args.investors, args.packages, seed=args.seed), market_dir)
        frames = read_market(market_dir)
        truth = load_truth(market_dir / "truth")
        report = market_report(
            frames.investors, frames.packages, frames.events, truth.affinity, truth.hesitant,
            window_days=args.window_days,
        )
    header = (
        f"Market: {args.investors:,} investors, {args.packages:,} packages, generator seed {args.seed} "
        f"(`python benchmarks/eval_market.py --investors {args.investors} --packages {args.packages} --seed {args.seed}`).\n\n"
        if args.market is None else f"Market: {args.market}.\n\n"
    )
    text = report.replace("\n\n", "\n\n" + header, 1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
