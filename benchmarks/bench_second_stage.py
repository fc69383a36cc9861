"""Second-stage latency: re-ranking one investor's 300 first-stage candidates, in process.

A second stage with the shipped settings (``SecondStageParams()``: 100 trees of 15 leaves per
model) is trained on one pseudo-cold fold of the committed sample market (or a generated one),
then one query at a time:

- rerank: ``SecondStage.rerank`` of 300 candidates (crosses + LambdaRank + sort), target well
  under 5 ms;
- buyers: ``SecondStage.rank_buyers`` of 300 investor candidates for one listing;
- explain: ``explain`` of the top 20 of a re-ranked list (per-feature contributions + text).

Each line gives wall-clock percentiles and, in brackets, CPU-time percentiles of the same calls:
on a machine shared with other jobs the wall-clock tail measures the scheduler, the CPU time
the code.

    python benchmarks/bench_second_stage.py [--queries 2000] [--candidates 300]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pandas as pd

from data.csv_reader import read_market
from recommender.hybrid import HybridConfig
from recommender.lightfm_part import LightFMParams
from recommender.second_stage import PackageContext, SecondStage, SecondStageParams, explain, fit_fold
from recommender.second_stage.folds import buyer_examples, ranking_examples
from tests.conftest import SAMPLE_MARKET


def percentiles(run: Callable[[int], object], queries: int) -> str:
    wall, cpu = [], []
    for query in range(queries):
        started_wall, started_cpu = time.perf_counter(), time.thread_time()
        run(query)
        wall.append(time.perf_counter() - started_wall)
        cpu.append(time.thread_time() - started_cpu)
    w, c = np.asarray(wall) * 1e3, np.asarray(cpu) * 1e3
    return (
        f"p50 {np.percentile(w, 50):.3f} ms  p99 {np.percentile(w, 99):.3f} ms  "
        f"[cpu p50 {np.percentile(c, 50):.3f} ms  p99 {np.percentile(c, 99):.3f} ms]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--candidates", type=int, default=300)
    args = parser.parse_args()
    market = read_market(SAMPLE_MARKET)
    cutoff = pd.Timestamp(market.packages["listed_at"].max()).to_pydatetime() - timedelta(days=90)
    config = HybridConfig(lightfm=LightFMParams(components=32, epochs=5, learning_rate=0.1))
    params = SecondStageParams(candidates=100, buyer_candidates=200)
    fold = fit_fold(market.investors, market.packages, market.events, cutoff, 90, config)
    stage = SecondStage.fit(
        ranking_examples(fold, params.candidates),
        buyer_examples(fold, params.buyer_candidates, 20, 0),
        params,
    )
    print(f"ranker: {stage.ranker.num_trees()} trees, buyer classifier: {stage.buyers.num_trees()} trees, "
          f"{len(stage.feature_names)} features")
    packages = PackageContext.of(market.packages)  # every listing may be a candidate
    package_ids = packages.ids.external_ids.tolist()
    investor_ids = fold.investors.ids.external_ids.tolist()
    rng = np.random.default_rng(0)
    blocks = [rng.choice(len(package_ids), args.candidates, replace=False) for _ in range(64)]
    buyer_size = min(args.candidates, len(investor_ids))
    buyer_blocks = [rng.choice(len(investor_ids), buyer_size, replace=False) for _ in range(64)]
    scores = rng.normal(size=args.candidates)

    def rerank(query: int) -> object:
        block = blocks[query % 64]
        return stage.rerank(fold.investors, packages, investor_ids[query % len(investor_ids)],
                            [package_ids[j] for j in block], scores[: len(block)], k=20)

    def buyers(query: int) -> object:
        block = buyer_blocks[query % 64]
        return stage.rank_buyers(fold.investors, packages, package_ids[query % len(package_ids)],
                                 [investor_ids[j] for j in block], scores[: len(block)], k=50)

    def reasons(query: int) -> object:
        block = blocks[query % 64][:20]
        return explain(stage, fold.investors, packages, investor_ids[query % len(investor_ids)],
                       [package_ids[j] for j in block], scores[:20])

    for name, run, queries in (
        (f"rerank {args.candidates} -> 20", rerank, args.queries),
        (f"buyers {args.candidates} -> 50", buyers, args.queries),
        ("explain top 20", reasons, max(args.queries // 10, 50)),
    ):
        run(0)  # warm up
        print(f"{name:>22}: {percentiles(run, queries)}")


if __name__ == "__main__":
    main()
