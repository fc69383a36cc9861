"""Replay rule sets on the market time split: quality, eligibility and exposure (docs/matching.md).

Fits the default engine at the evaluation cutoff (the last ``--window-days`` before the
market's end), then replays one push over the window's listings under each rule set below
and under the raw model (``matching.replay``), and prints one markdown table.

    python benchmarks/eval_rules.py [--investors 6000 --packages 15000 --seed 11]
    python benchmarks/eval_rules.py --market data/sample
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from data.csv_reader import read_market
from data.generator import generate_market, write_market
from matching.replay import METRICS, compare
from matching.rule_set import DEFAULT_RULES, Blend, Boost, Diversity, RuleSet, TicketFit
from webapi.services.rule_replay import prepare_replay


def candidate_rule_sets() -> list[tuple[str, RuleSet]]:
    """The default first (the raw model's ineligible pairs are judged by it), then variations."""
    eligibility = DEFAULT_RULES.eligibility

    def boosted(**boosts: Boost) -> RuleSet:
        return replace(DEFAULT_RULES, boosts=replace(DEFAULT_RULES.boosts, **boosts))

    modest = Boost(enabled=True, weight=0.05)
    return [
        ("default rules", DEFAULT_RULES),
        (
            "market rules only (ticket fit off, no floor)",
            replace(
                DEFAULT_RULES,
                eligibility=replace(eligibility, ticket_fit=TicketFit("off")),
                exposure=replace(DEFAULT_RULES.exposure, floor_investors=0),
            ),
        ),
        (
            "ticket fit strict",
            replace(DEFAULT_RULES, eligibility=replace(eligibility, ticket_fit=TicketFit("strict"))),
        ),
        (
            "ticket fit tolerance 0.5",
            replace(DEFAULT_RULES, eligibility=replace(eligibility, ticket_fit=TicketFit("tolerance", 0.5))),
        ),
        ("stated preference 0.1", replace(DEFAULT_RULES, blend=Blend(model=1.0, stated=0.1, rules=1.0))),
        ("stated preference 0.3", replace(DEFAULT_RULES, blend=Blend(model=1.0, stated=0.3, rules=1.0))),
        ("boost closing soon 0.05", boosted(closing_soon=modest)),
        ("boost newly listed 0.05", boosted(newly_listed=modest)),
        ("boost data room 0.05", boosted(data_room=modest)),
        ("boost preferred province 0.05", boosted(preferred_province=modest)),
        ("boost hesitant transparency 0.05", boosted(hesitant_transparency=modest)),
        ("boost hesitant transparency 0.2", boosted(hesitant_transparency=Boost(True, 0.2))),
        (
            "all five boosts 0.05",
            boosted(
                closing_soon=modest,
                newly_listed=modest,
                data_room=modest,
                preferred_province=modest,
                hesitant_transparency=modest,
            ),
        ),
        ("diversity 3 per type / seller / province", replace(DEFAULT_RULES, diversity=Diversity(3, 3, 3))),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--market", type=Path, help="a market directory in the contract's CSV format")
    parser.add_argument("--investors", type=int, default=6_000)
    parser.add_argument("--packages", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--window-days", type=int, default=90)
    parser.add_argument("--k", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        market_dir = args.market
        if market_dir is None:
            market_dir = Path(scratch) / "market"
            write_market(generate_market(args.investors, args.packages, seed=args.seed), market_dir)
        frames = read_market(market_dir)
    replay = prepare_replay(frames.investors, frames.packages, frames.events, window_days=args.window_days)
    fitted = time.perf_counter() - started
    results = compare(replay, candidate_rule_sets(), k=args.k)
    split = replay.split
    described = args.market or f"{args.investors:,} investors x {args.packages:,} packages, seed {args.seed}"
    print(
        f"market: {described}; "
        f"cutoff {split.cutoff:%Y-%m-%d}; {len(replay.package_ids):,} test listings, "
        f"{len(replay.investor_ids):,} investors, {len(replay.test_rows):,} judged for NDCG; "
        f"fit {fitted:.0f} s, replays {time.perf_counter() - started - fitted:.1f} s"
    )
    print()
    print("| rule set | " + " | ".join(METRICS) + " |")
    print("|---|" + "---|" * len(METRICS))
    raw_ndcg = results[0].metrics["ndcg@10"]
    for result in results:
        cells = [
            f"{result.metrics[m]:.0f}" if m == "ineligible_pairs" else f"{result.metrics[m]:.4f}"
            for m in METRICS
        ]
        change = (
            f" ({result.metrics['ndcg@10'] / raw_ndcg - 1:+.1%} NDCG)" if result is not results[0] else ""
        )
        print(f"| {result.name}{change} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
