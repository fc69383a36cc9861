"""Write the market evaluation across scenarios (docs/evaluation-market.md).

For every generator scenario and seed: generate a market of the given size, write and read it
back as contract CSV files, and score random, popularity, the stated-preference channel,
LightFM on features, the engine (shipped defaults) and the oracle (the expected outcome under
the simulator) on the last window's listings, labelled at full exposure
(``recommender.evaluation.scenario_report``). The report states the size it ran at.

    python benchmarks/eval_market.py [--investors 1000] [--packages 2500] [--seeds 1 2]
        [--scenarios default circles ...] [--out docs/evaluation-market.md]

With ``--out``, the generated section replaces the one between the report markers in that
file (the rest of the file, such as earlier runs kept as history, stays as it is). A run at the
default size takes about a minute per scenario and seed on one core.

``--market DIR`` instead runs the full tuned protocol (``market_report``) on one market written
by ``assetmatch generate``, as ``assetmatch evaluate`` does.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from data.csv_reader import read_market
from data.generator import SCENARIOS, MarketOracle, generate_market, load_truth, write_market
from recommender.evaluation.market_report import market_report
from recommender.evaluation.scenario_report import ScenarioRun, render_scenarios, scenario_run

BEGIN = "<!-- scenario report: begin -->"
END = "<!-- scenario report: end -->"


def run_scenario(scenario: str, seed: int, investors: int, packages: int, window_days: int) -> ScenarioRun:
    """Generate one market, round-trip it through CSV, and score every model on it."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        write_market(generate_market(investors, packages, seed=seed, scenario=scenario), directory)
        frames = read_market(directory)
        truth = load_truth(directory / "truth")
    return scenario_run(
        scenario, seed, frames.investors, frames.packages, frames.events, MarketOracle(truth), window_days
    )


def scenarios_section(args: argparse.Namespace) -> str:
    started = time.perf_counter()
    runs = []
    for scenario in args.scenarios:
        for seed in args.seeds:
            run = run_scenario(scenario, seed, args.investors, args.packages, args.window_days)
            print(
                f"{scenario} seed {seed}: engine ndcg@10 {run.metrics['AssetMatch engine (defaults)']['ndcg@10']:.4f} "
                f"({run.ratio('AssetMatch engine (defaults)', 'ndcg@10'):.2f} of the oracle) in {run.seconds:.0f}s",
                flush=True,
            )
            runs.append(run)
    minutes = (time.perf_counter() - started) / 60
    header = [
        BEGIN,
        "",
        f"Market size: **{args.investors:,} investors × {args.packages:,} packages** per run (a small market, so "
        f"that every scenario and seed fits in one run on a shared machine), seeds {', '.join(map(str, args.seeds))}, "
        f"test window the last {args.window_days} days of listings (all cold). Run: `python benchmarks/eval_market.py "
        f"--investors {args.investors} --packages {args.packages} --seeds {' '.join(map(str, args.seeds))} "
        f"{'' if list(args.scenarios) == list(SCENARIOS) else '--scenarios ' + ' '.join(args.scenarios) + ' '}"
        f"--out docs/evaluation-market.md`; {len(runs)} runs took {minutes:.1f} minutes.",
        "",
        "Labels are drawn at full exposure: every investor registered by the window's end is shown every test "
        "listing, looks in on it with a probability that grows with their activity, and reacts through the "
        "simulator's funnel (bid 3, due-diligence request 2, favorite 1 for NDCG@10; bidders for buyer "
        "recall@50). The oracle ranks by the expected outcome under the simulator, activity included, so it "
        "bounds every model from above in both directions. Popularity picks its granularity on the window "
        "before; the engine runs with its shipped defaults, LightFM on features with the same LightFM "
        "settings and no profile or ALS work.",
        "",
    ]
    descriptions = {name: SCENARIOS[name].description for name in args.scenarios}
    return "\n".join(header) + "\n" + render_scenarios(runs, descriptions) + "\n" + END


def write_section(path: Path, section: str) -> None:
    """Replace the marked section of ``path`` (or put it first, under the title, when there is none)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Market evaluation\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        text = before + section + after
    else:
        title, _, body = text.partition("\n")
        text = f"{title}\n\n{section}\n{body}"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--investors", type=int, default=1_000)
    parser.add_argument("--packages", type=int, default=2_500)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--scenarios", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--window-days", type=int, default=90)
    parser.add_argument("--market", type=Path, help="run the full tuned protocol on this generated market instead")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.market is not None:
        frames = read_market(args.market)
        report = market_report(
            frames.investors, frames.packages, frames.events, MarketOracle(load_truth(args.market / "truth")),
            window_days=args.window_days,
        )
        text = report.replace("\n\n", f"\n\nMarket: {args.market}.\n\n", 1)
        if args.out:
            args.out.write_text(text + "\n", encoding="utf-8")
        print(text)
        return
    section = scenarios_section(args)
    if args.out:
        write_section(args.out, section)
    print(section)


if __name__ == "__main__":
    main()
