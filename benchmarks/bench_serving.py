"""In-process serving speed of the hybrid model at market scale, against raw FAISS and numpy.

A model is trained on a generated market, then serves a second generated market of 100,000
investors (vectorised from their profiles, as new investors are) and 50,000 live packages
(vectorised from content, as new listings are). Measured, one query at a time:

- recommend: one investor, k=20 over 50,000 live packages (target p99 < 5 ms);
- new package: encode and index one new listing, then find its top 50 buyers among 100,000
  investors (target p99 < 10 ms);
- the same searches as raw ``faiss.IndexFlatIP`` calls and as numpy matrix products, on the
  same vectors (the library floors);
- the batch push: every one of the 100,000 investors' top 50 and every live package's top 100
  buyers, by the model alone and through the default rule set (``matching.batch_push``:
  hard rules, ticket fit, exposure floor).

    python benchmarks/bench_serving.py [--train-investors 20000 --train-packages 40000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
import pandas as pd

from data.csv_reader import read_market
from data.generator import generate_market, write_market
from matching.batch_push import BATCH, batch_push
from matching.matcher import Matcher
from matching.rule_set import DEFAULT_RULES
from recommender.package_features import package_feature_row
from recommender.pipeline import add_new_investors, sync_live_packages, train_recommender

QUERIES = 2_000
NEW_PACKAGES = 1_000


def market_frames(scratch: Path, name: str, investors: int, packages: int, seed: int):  # type: ignore[no-untyped-def]
    directory = scratch / name
    write_market(generate_market(investors, packages, seed=seed), directory)
    return read_market(directory)


def latencies(call: Callable[[int], object], count: int) -> np.ndarray:
    times = np.empty(count)
    for n in range(count):
        started = time.perf_counter()
        call(n)
        times[n] = time.perf_counter() - started
    return times * 1000.0


def describe(name: str, milliseconds: np.ndarray, target: float | None = None) -> str:
    p50, p99 = np.percentile(milliseconds, [50, 99])
    verdict = "" if target is None else f"  (target p99 < {target} ms: {'met' if p99 < target else 'NOT met'})"
    return f"{name:58s} p50 {p50:6.3f} ms  p99 {p99:6.3f} ms{verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-investors", type=int, default=20_000)
    parser.add_argument("--train-packages", type=int, default=40_000)
    parser.add_argument("--serve-investors", type=int, default=100_000)
    parser.add_argument("--live-packages", type=int, default=50_000)
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        train = market_frames(scratch, "train", args.train_investors, args.train_packages, seed=5)
        now = pd.Timestamp(train.packages["listed_at"].max()).to_pydatetime()
        started = time.perf_counter()
        model, _ = train_recommender(train.investors, train.packages, train.events, now)
        print(f"trained on {args.train_investors:,} investors x {args.train_packages:,} packages x "
              f"{len(train.events):,} events in {time.perf_counter() - started:.0f} s")
        serve = market_frames(scratch, "serve", args.serve_investors, args.live_packages, seed=6)
        investors = serve.investors.assign(investor_id="S" + serve.investors["investor_id"])
        packages = serve.packages.assign(package_id="S" + serve.packages["package_id"])
        events = serve.events.assign(
            investor_id="S" + serve.events["investor_id"], package_id="S" + serve.events["package_id"]
        )
        far_future = pd.Timestamp("2100-01-01")
        add_new_investors(model, investors, packages, events, far_future.to_pydatetime())
        sync_live_packages(model, packages)
        print(f"serving {len(model.investor_ids):,} investors and {len(model.package_index):,} live packages")
        path = scratch / "model.npz"
        model.save(path)
        print(f"artifact {path.stat().st_size / 2**20:.0f} MiB on disk; investor vectors "
              f"{model.investor_vectors.nbytes / 2**20:.0f} MiB, package vectors {model.package_vectors.nbytes / 2**20:.0f} MiB; "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.1f} GiB")

        investor_ids = investors["investor_id"].to_numpy()[rng.integers(0, len(investors), QUERIES)].tolist()
        live_rows = model.package_index.stored_rows()
        live_vectors = np.ascontiguousarray(model.package_vectors[live_rows])
        flat_packages = faiss.IndexFlatIP(model.dimension)
        flat_packages.add(live_vectors)
        flat_investors = faiss.IndexFlatIP(model.dimension)
        flat_investors.add(np.ascontiguousarray(model.investor_vectors))
        query_rows = model.investor_ids.rows(investor_ids)
        print(describe("recommend k=20 (model: ids in, ranked ids out)",
                       latencies(lambda n: model.recommend([investor_ids[n]], 20), QUERIES), 5.0))
        print(describe("  raw faiss IndexFlatIP k=20, same vectors",
                       latencies(lambda n: flat_packages.search(model.investor_vectors[query_rows[n]][None, :], 20), QUERIES)))
        print(describe("  numpy dot + argpartition k=20",
                       latencies(lambda n: np.argpartition(-(live_vectors @ model.investor_vectors[query_rows[n]]), 20)[:20], QUERIES)))

        new_rows = packages.sample(NEW_PACKAGES, random_state=1).assign(
            package_id=[f"NEW{n}" for n in range(NEW_PACKAGES)]
        ).to_dict("records")

        def new_package(n: int) -> None:
            row = new_rows[n]
            model.index_packages([row["package_id"]], [package_feature_row(row)])
            model.buyers([row["package_id"]], 50)

        print(describe("new package: encode + index + top 50 buyers of 100k (model)",
                       latencies(new_package, NEW_PACKAGES), 10.0))
        new_vectors = model.package_vectors[model.package_ids.rows([r["package_id"] for r in new_rows])]
        print(describe("  raw faiss IndexFlatIP top 50 of investors, same vectors",
                       latencies(lambda n: flat_investors.search(new_vectors[n][None, :], 50), NEW_PACKAGES)))

        faiss.omp_set_num_threads(2)
        model.unindex_packages([r["package_id"] for r in new_rows])
        serving_ids = investors["investor_id"].tolist()
        live_ids = model.package_ids.ids(model.package_index.stored_rows())
        started = time.perf_counter()
        for start in range(0, len(serving_ids), BATCH):
            model.recommend(serving_ids[start : start + BATCH], 50)
        for start in range(0, len(live_ids), BATCH):
            model.buyers(live_ids[start : start + BATCH], 100)
        print(f"batch push, model only (no rules, 2 threads): {len(serving_ids):,} investors x top 50 and "
              f"{len(live_ids):,} packages x top 100 buyers in {time.perf_counter() - started:.0f} s")
        # Every served listing live at the push (as sync_live_packages indexed them above).
        on_sale = packages.assign(
            status="active", listed_at=pd.Timestamp("2099-01-01"), closes_at=pd.Timestamp("2100-03-01")
        )
        started = time.perf_counter()
        now = far_future.to_pydatetime()
        matcher = Matcher.build(model, None, investors, on_sale, events, DEFAULT_RULES, now)
        built = time.perf_counter() - started
        push = batch_push(matcher, serving_ids, 50, 100)
        print(f"batch push through the default rule set (assetmatch rank's ranking step, 2 threads): "
              f"{len(push.investors):,} investors x top 50 and {len(push.packages):,} packages x top 100 "
              f"buyers in {time.perf_counter() - started:.0f} s (matcher build {built:.0f} s); "
              f"{push.summary()}")


if __name__ == "__main__":
    main()
