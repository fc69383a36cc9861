"""Training time and peak memory at market scale, and how they grow with the market.

Each size runs in its own process (so peak memory is that size's alone): generate a market,
read it through the contract reader, then ``train_recommender`` — profiles, features, LightFM,
ALS, vectors and the live index — timing each stage. Baseline in the same process: implicit's
ALS alone on the plain investor × package matrix (a library floor for one pass over the data).
Target: 100,000 investors × 200,000 packages × ~5,000,000 events in under 10 minutes.

    python benchmarks/bench_training.py [--fractions 0.1 0.5 1.0]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FULL_INVESTORS = 100_000
FULL_PACKAGES = 200_000


def run_one(fraction: float) -> dict:
    import numpy as np
    import pandas as pd
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    import recommender.hybrid as hybrid
    from data.csv_reader import read_market
    from data.generator import generate_market, write_market
    from profiles import build_profiles
    from recommender.idmap import IdMap
    from recommender.interactions import interaction_matrix, positive_part
    from recommender.pipeline import live_packages
    from recommender.package_features import package_feature_rows
    from recommender.training_set import build_training_set
    from profiles import EventWeights

    stages: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        market_dir = Path(scratch) / "market"
        write_market(
            generate_market(int(FULL_INVESTORS * fraction), int(FULL_PACKAGES * fraction), seed=3), market_dir
        )
        frames = read_market(market_dir)
    investors, packages, events = frames.investors, frames.packages, frames.events
    now = pd.Timestamp(packages["listed_at"].max()).to_pydatetime()
    config = hybrid.HybridConfig()
    started = time.perf_counter()
    profiles = build_profiles(investors, packages, events, now)
    stages["profiles"] = time.perf_counter() - started
    mark = time.perf_counter()
    training = build_training_set(investors, packages, events, profiles, now, feature_groups=config.investor_feature_groups)
    stages["features"] = time.perf_counter() - mark
    mark = time.perf_counter()
    model = hybrid.HybridRecommender(config).fit(training)
    stages["fit (LightFM + ALS + vectors)"] = time.perf_counter() - mark
    mark = time.perf_counter()
    live = live_packages(packages, now)
    model.index_packages(live["package_id"].tolist(), package_feature_rows(live))
    stages["live index"] = time.perf_counter() - mark
    total = time.perf_counter() - started

    weights = EventWeights()
    matrix = positive_part(interaction_matrix(
        events, IdMap(investors["investor_id"]), IdMap(packages["package_id"]), dict(weights.weights),
        weights.half_life_days, now,
    ))
    als = AlternatingLeastSquares(factors=config.als.factors, iterations=config.als.iterations, random_state=0)
    mark = time.perf_counter()
    with threadpool_limits(1, "blas"):
        als.fit(matrix, show_progress=False)
    baseline = time.perf_counter() - mark
    return {
        "fraction": fraction,
        "investors": len(investors),
        "packages": len(packages),
        "events": len(events),
        "positive_pairs": int(matrix.nnz),
        "train_seconds": total,
        "stages": stages,
        "als_alone_seconds": baseline,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 0.5, 1.0])
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one)))
        return
    for fraction in args.fractions:
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(fraction)], capture_output=True, text=True, check=True
        ).stdout.strip().splitlines()[-1]
        result = json.loads(output)
        stages = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in result["stages"].items())
        verdict = ""
        if fraction == 1.0:
            verdict = f"  (target < 600 s: {'met' if result['train_seconds'] < 600 else 'NOT met'})"
        print(
            f"{fraction:>4.0%}: {result['investors']:,} investors x {result['packages']:,} packages x "
            f"{result['events']:,} events ({result['positive_pairs']:,} positive pairs): train "
            f"{result['train_seconds']:.0f} s{verdict} [{stages}]; implicit ALS alone {result['als_alone_seconds']:.0f} s; "
            f"peak RSS {result['peak_rss_gib']:.1f} GiB",
            flush=True,
        )


if __name__ == "__main__":
    main()
