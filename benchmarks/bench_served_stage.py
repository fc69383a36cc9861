"""In-process cost of the second stage in serving: recommend k=20 with and without it.

The committed sample market, the default first stage and a second stage trained on
``--folds`` pseudo-cold folds, both served by ``Matcher`` under the default rules from the
listings live at the clock. Measured one investor at a time: ``recommend`` (retrieval, the
second stage over the block, the rule stages, reasons) and, separately, the learned reasons of
the 20 items shown (``to_json(explain=True)``, a LightGBM contribution pass).

    python benchmarks/bench_served_stage.py [--queries 500 --folds 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from data.csv_reader import read_market
from data.liveness import live_packages
from matching.matcher import Matcher
from matching.rule_set import DEFAULT_RULES
from recommender.pipeline import fit_second_stage, train_recommender
from tests.conftest import SAMPLE_MARKET

NOW = pd.Timestamp("2026-06-20").to_pydatetime()


def timed(matcher: Matcher, investor_ids: list[str], k: int, explain: bool) -> np.ndarray:
    took = []
    for investor_id in investor_ids:
        started = time.perf_counter()
        ranked = matcher.recommend(investor_id, k)
        if explain:
            ranked.to_json(explain=True)
        took.append(time.perf_counter() - started)
    return np.array(took) * 1000


def line(name: str, ms: np.ndarray) -> str:
    return f"| {name} | {np.percentile(ms, 50):.2f} | {np.percentile(ms, 99):.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--k", type=int, default=20)
    args = parser.parse_args()
    market = read_market(SAMPLE_MARKET)
    model, profiles = train_recommender(market.investors, market.packages, market.events, NOW)
    started = time.perf_counter()
    stage, note = fit_second_stage(market.investors, market.packages, market.events, NOW, args.folds)
    print(f"second stage ({args.folds} folds) trained in {time.perf_counter() - started:.0f} s {note or ''}")
    plain = Matcher.build(
        model, profiles, market.investors, market.packages, market.events, DEFAULT_RULES, NOW
    )
    model.second_stage = stage
    served = Matcher.build(
        model, profiles, market.investors, market.packages, market.events, DEFAULT_RULES, NOW
    )
    rng = np.random.default_rng(0)
    ids = model.investor_ids.external_ids.tolist()
    queries = [ids[i] for i in rng.choice(len(ids), size=min(args.queries, len(ids)), replace=False)]
    live = len(live_packages(market.packages, NOW))
    for matcher in (plain, served):  # warm up
        timed(matcher, queries[:20], args.k, True)
    print(f"{len(ids)} investors, {live} live listings, {len(queries)} queries, k={args.k}")
    print("| recommend | p50 ms | p99 ms |\n|---|---|---|")
    print(line("first stage only", timed(plain, queries, args.k, False)))
    print(line("with the second stage", timed(served, queries, args.k, False)))
    print(line("with the second stage, learned reasons of the k shown", timed(served, queries, args.k, True)))


if __name__ == "__main__":
    main()
