"""Offline measurement of the learned second stage on a generated market.

Time-ordered split as in the market report (``recommender.evaluation.split.time_split``): the
test window is the listings of the last ``--window-days`` days, all cold. The first stage
(``HybridRecommender``, shipped defaults) is fitted at the cutoff exactly as the market report
does. The second stage is trained on pseudo-cold folds of the history before the cutoff only
(``recommender.second_stage.fold_examples``), once on the newest fold and once on all
``--folds``. Compared on the test window:

- NDCG@10 (graded: bid 3, data-room request 2, favorite 1) of investors' lists: first stage
  alone vs the LambdaRank re-ranking of each investor's first-stage top ``--candidates``;
- buyer recall@20/@50 of listings' buyer lists: first stage alone vs the buyer classifier over
  each listing's first-stage top ``--candidates`` eligible investors.

Each is judged twice: on the logged events (what the legacy feed happened to show) and on
labels drawn at full exposure (every investor shown every test listing, from the generator's
hidden truth), beside the oracle (the expected outcome under the simulator).

    python benchmarks/eval_second_stage.py [--investors 1500 --packages 4000 --seeds 11 12 --folds 3]
        [--scenario default]

Prints a markdown table (also written to ``--out``). About 2-4 minutes per seed on two cores.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from data.csv_reader import read_market
from data.generator import MarketOracle, generate_market, load_truth, write_market
from profiles import build_profiles
from recommender.evaluation.baselines import oracle_scores
from recommender.evaluation.market_report import LABEL_SEED_OFFSET, fit_on_split, model_scores
from recommender.evaluation.metrics import ranking_metrics, recall_at
from recommender.evaluation.split import MarketSplit, relabelled, time_split
from recommender.hybrid import HybridConfig
from recommender.second_stage import (
    FEATURE_GROUPS,
    FEATURE_NAMES,
    Examples,
    InvestorContext,
    PackageContext,
    SecondStage,
    SecondStageParams,
    fold_examples,
)
from recommender.second_stage.batch import buyer_matrix, rerank_matrix
from recommender.second_stage.context import eligible


def metrics(split: MarketSplit, investor_scores: np.ndarray, buyer_scores: np.ndarray) -> dict[str, float]:
    return {
        "ndcg@10": ranking_metrics(investor_scores, split.relevance, 10).ndcg,
        "buyer_recall@20": recall_at(buyer_scores, split.bidders, 20),
        "buyer_recall@50": recall_at(buyer_scores, split.bidders, 50),
    }


def group_gains(stage: SecondStage) -> dict[str, str]:
    """Share of each feature group in the total split gain, ranker / buyer classifier."""
    shares = {}
    for booster in (stage.ranker, stage.buyers):
        gain = dict(zip(FEATURE_NAMES, booster.feature_importance("gain"), strict=True))
        total = sum(gain.values()) or 1.0
        for group, names in FEATURE_GROUPS.items():
            shares.setdefault(group, []).append(sum(gain[n] for n in names) / total)
    return {group: " / ".join(f"{s:.0%}" for s in values) for group, values in shares.items()}


Rows = list[tuple[str, dict[str, float]]]


def run_seed(
    args: argparse.Namespace, seed: int, log: Callable[[str], None]
) -> tuple[dict[str, Rows], dict[str, str], dict[str, object]]:
    """First stage alone, and with the second stage trained on 1 and on ``--folds`` folds, judged
    on logged and on full-exposure labels."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) / "market"
        write_market(generate_market(args.investors, args.packages, seed=seed, scenario=args.scenario), directory)
        market = read_market(directory)
        oracle = MarketOracle(load_truth(directory / "truth"))
    end = pd.Timestamp(market.packages["listed_at"].max()).to_pydatetime() + timedelta(seconds=1)
    cutoff = end - timedelta(days=args.window_days)
    logged = time_split(market.investors, market.packages, market.events, cutoff, end)
    exposed = relabelled(
        logged, lambda ids, window: oracle.full_exposure_labels(ids, window, seed + LABEL_SEED_OFFSET)
    )
    config = HybridConfig(random_state=seed)
    params = SecondStageParams(
        candidates=args.candidates, buyer_candidates=args.candidates, random_state=seed
    )

    started = time.perf_counter()
    first = fit_on_split(logged, config)
    log(f"  seed {seed}: first stage fitted in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    examples = fold_examples(
        market.investors, market.packages, market.events, cutoff, args.folds, args.window_days, config, params
    )
    log(f"  seed {seed}: {args.folds} folds replayed in {time.perf_counter() - started:.0f} s")

    profiles = build_profiles(logged.investors, logged.train_packages, logged.train_events, cutoff)
    buyer_ids = logged.buyer_investor_ids.external_ids.tolist()
    investors = InvestorContext.build(profiles, logged.train_packages, logged.train_events, cutoff, buyer_ids)
    packages = PackageContext.of(logged.test_packages)
    package_ids = logged.test_packages["package_id"].tolist()
    mask = eligible(investors, packages, packages.ids.rows(package_ids, "package"))
    firsts = {name: model_scores(first, split) for name, split in (("logged", logged), ("full exposure", exposed))}
    splits = {"logged": logged, "full exposure": exposed}

    rows: dict[str, Rows] = {name: [("first stage alone", metrics(split, *firsts[name]))] for name, split in splits.items()}
    stages = {}
    for label, used in (("1 fold", examples[:1]), (f"{args.folds} folds", examples)):
        ranking = Examples.concat([r for r, _ in used])
        buyers = Examples.concat([b for _, b in used])
        started = time.perf_counter()
        stage = SecondStage.fit(ranking, buyers, params)
        fitted = time.perf_counter() - started
        stages[label] = stage
        for name, split in splits.items():
            investor_first, buyer_first = firsts[name]
            investor_ids = split.test_investor_ids.external_ids.tolist()
            reranked = rerank_matrix(stage, investors, packages, investor_ids, package_ids, investor_first)
            found = buyer_matrix(stage, investors, packages, package_ids, buyer_ids, buyer_first, mask)
            rows[name].append((f"+ second stage, {label}", metrics(split, reranked, found)))
        log(f"  seed {seed}: {label}: {len(ranking.groups)} queries, {len(ranking.labels):,} ranking rows, "
            f"{len(buyers.labels):,} buyer rows, LightGBM {fitted:.0f} s: "
            + "; ".join(f"{name} {rows[name][-1][1]}" for name in splits))
    for name, split in splits.items():
        rows[name].append(("oracle (expected outcome)", metrics(split, *oracle_scores(oracle, split))))
    # A candidate block cannot find a bidder the first stage ranked below it.
    positions = np.argsort(np.argsort(-np.where(mask, firsts["logged"][1], -np.inf), axis=1), axis=1)
    in_block = positions < args.candidates
    covered = float(((logged.bidders.toarray() > 0) & in_block).sum() / max(logged.bidders.nnz, 1))
    info = {"test investors (logged / full exposure)": f"{len(logged.test_investor_ids)} / {len(exposed.test_investor_ids)}",
            "test listings": len(package_ids), "logged bidders within the buyer block": f"{covered:.0%}"}
    return rows, group_gains(stages[f"{args.folds} folds"]), info


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--investors", type=int, default=1_500)
    parser.add_argument("--packages", type=int, default=4_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--window-days", type=int, default=90)
    parser.add_argument("--candidates", type=int, default=300)
    parser.add_argument("--scenario", default="default", help="a generator scenario (data.generator.SCENARIOS)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    names = ("ndcg@10", "buyer_recall@20", "buyer_recall@50")
    lines = [
        f"Market: {args.investors:,} investors × {args.packages:,} packages, scenario {args.scenario}, test "
        f"window the last {args.window_days} days, {args.candidates} candidates per query.",
    ]
    results, gains, infos = {}, {}, {}
    for seed in args.seeds:
        results[seed], gains[seed], infos[seed] = run_seed(args, seed, print)
    for labels in ("logged", "full exposure"):
        lines += ["", f"Labels: {labels}.", "", "| seed | model | " + " | ".join(names) + " |",
                  "|---|---|" + "---|" * len(names)]
        all_rows: dict[str, list[dict[str, float]]] = {}
        for seed in args.seeds:
            for label, values in results[seed][labels]:
                all_rows.setdefault(label, []).append(values)
                lines.append(f"| {seed} | {label} | " + " | ".join(f"{values[n]:.4f}" for n in names) + " |")
        for label, runs in all_rows.items():
            mean = {n: float(np.mean([r[n] for r in runs])) for n in names}
            lines.append(f"| mean | {label} | " + " | ".join(f"{mean[n]:.4f}" for n in names) + " |")
    lines += ["", "Share of split gain per feature group (ranker / buyer classifier, last seed, all folds):"]
    lines += [""]
    lines += ["| group | gain share |", "|---|---|"]
    lines += [f"| {group} | {share} |" for group, share in gains[args.seeds[-1]].items()]
    sizes = (f"seed {s}: " + ", ".join(f"{k} {v}" for k, v in i.items()) for s, i in infos.items())
    lines += ["", "Split sizes: " + "; ".join(sizes)]
    text = "\n".join(lines)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
