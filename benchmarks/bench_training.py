"""Training time and peak memory at market scale: the model build and the whole ``train`` run.

For each size (a fraction of 100,000 investors × 200,000 packages, ~5.8 million events at full
size), each step runs in its own process, so each peak RSS is that step's alone:

1. generate the market (fixed seed) and write it as contract CSV files;
2. **model build**: read the files, then ``train_recommender`` (profiles, training set, feature
   matrices, LightFM, ALS, vectors, live index), timing every stage; the target is this step
   at full size in under 10 minutes on the 2-core reference machine;
3. import the files into an SQLite store (not timed here; see the import benchmark);
4. **the whole ``train`` run** (``webapi.training.run_training``): read the store, the
   time-ordered holdout, the candidate's holdout fit, the active version's refit on its own
   snapshot (an active version trained with another seed on all but the newest 2% of events,
   so it must be refitted rather than reused), the final fit, the gate and the artifact.

Baseline in step 2's process: implicit's ALS alone on the plain investor × package matrix (a
library floor for one pass over the data).

    python benchmarks/bench_training.py [--fractions 0.1 0.25 0.5 1.0] [--skip-run] [--threads]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FULL_INVESTORS = 100_000
FULL_PACKAGES = 200_000
TARGET_SECONDS = 600


class StageTimes:
    """A ``recommender.progress.Progress`` that records each stage's wall time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, total: int = 0) -> Iterator:  # type: ignore[type-arg]
        started = time.perf_counter()
        try:
            yield lambda steps: None
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def generate(folder: Path, fraction: float) -> dict:
    from data.generator import generate_market, write_market

    market = generate_market(int(FULL_INVESTORS * fraction), int(FULL_PACKAGES * fraction), seed=3)
    write_market(market, folder)
    return {"investors": len(market.investors), "packages": len(market.packages), "events": len(market.events)}


def build(folder: Path, fraction: float) -> dict:
    import pandas as pd
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    from data.csv_reader import read_market
    from profiles import EventWeights
    from recommender.hybrid import HybridConfig
    from recommender.idmap import IdMap
    from recommender.interactions import interaction_matrix, positive_part
    from recommender.pipeline import train_recommender

    frames = read_market(folder)
    investors, packages, events = frames.investors, frames.packages, frames.events
    now = pd.Timestamp(packages["listed_at"].max()).to_pydatetime()
    config = HybridConfig()
    stages = StageTimes()
    started = time.perf_counter()
    model, _ = train_recommender(investors, packages, events, now, config, progress=stages)
    total = time.perf_counter() - started

    weights = EventWeights()
    matrix = positive_part(interaction_matrix(
        events, IdMap(investors["investor_id"]), IdMap(packages["package_id"]), dict(weights.weights),
        weights.half_life_days, now,
    ))
    with threadpool_limits(1, "blas"):
        als = AlternatingLeastSquares(factors=config.als.factors, iterations=config.als.iterations, random_state=0)
        mark = time.perf_counter()
        als.fit(matrix, show_progress=False)
    return {
        "positive_pairs": int(matrix.nnz),
        "build_seconds": total,
        "stages": stages.seconds,
        "lightfm": f"{config.lightfm.epochs} epochs at learning rate {config.lightfm.learning_rate}",
        "als_alone_seconds": time.perf_counter() - mark,
        "peak_rss_gib": peak_rss_gib(),
    }


def lightfm_threads(folder: Path, fraction: float) -> dict:
    """Seconds per LightFM epoch with one and with two OpenMP threads, on the build's own matrices."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp
    from lightfm import LightFM

    from data.csv_reader import read_market
    from profiles import build_profiles
    from recommender.hybrid import HybridConfig, HybridRecommender
    from recommender.interactions import positive_part
    from recommender.training_set import build_training_set

    frames = read_market(folder)
    now = pd.Timestamp(frames.packages["listed_at"].max()).to_pydatetime()
    config = HybridConfig()
    profiles = build_profiles(frames.investors, frames.packages, frames.events, now)
    training = build_training_set(frames.investors, frames.packages, frames.events, profiles, now,
                                  feature_groups=config.investor_feature_groups)
    positives = positive_part(training.evidence)
    user_matrix, package_matrix = HybridRecommender(config)._encode(training, positives)
    coo = positives.tocoo()
    interactions = sp.coo_matrix((np.ones_like(coo.data), (coo.row, coo.col)), shape=coo.shape)
    seconds = {}
    for threads in (1, 2):
        params = config.lightfm
        model = LightFM(no_components=params.components, loss=params.loss, learning_rate=params.learning_rate,
                        max_sampled=params.max_sampled, random_state=np.random.RandomState(0))
        started = time.perf_counter()
        model.fit_partial(interactions, user_features=user_matrix, item_features=package_matrix,
                          sample_weight=coo.astype(np.float32), epochs=2, num_threads=threads)
        seconds[threads] = (time.perf_counter() - started) / 2
    return {"seconds_per_epoch": seconds}


def store_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'store.sqlite'}"


def import_store(folder: Path, fraction: float) -> dict:
    from data.importer import import_market
    from data.store import create_store_engine, upgrade_schema

    engine = create_store_engine(store_url(folder))
    upgrade_schema(engine)
    summary = import_market(engine, folder / "market")
    engine.dispose()
    return {"import_seconds": summary.seconds}


def full_run(folder: Path, fraction: float) -> dict:
    from dataclasses import replace
    from datetime import datetime

    from sqlalchemy import func, select

    from data.model_registry import ACTIVE, ModelVersion, register_version
    from data.schema import events_table
    from data.store import create_store_engine
    from recommender.hybrid import HybridConfig
    from webapi.training import TrainingOptions, run_training

    engine = create_store_engine(store_url(folder))
    with engine.begin() as connection:
        high_water = connection.execute(select(func.max(events_table.c.id))).scalar_one()
        register_version(connection, ModelVersion(
            version="earlier", created_at=datetime(2026, 6, 1), status=ACTIVE, artifact_path="unused.npz",
            trained_until=datetime(2030, 1, 1), event_high_water=int(high_water * 0.98),
            params=replace(HybridConfig(), random_state=1).to_dict(), metrics={},
        ))
    stages = StageTimes()
    started = time.perf_counter()
    outcome = run_training(engine, folder / "models", TrainingOptions(), progress=stages)
    total = time.perf_counter() - started
    engine.dispose()
    assert outcome.version is not None
    return {
        "run_seconds": total,
        "run_steps": outcome.version.metrics["seconds"],
        "status": outcome.status,
        "reason": outcome.reason,
        "peak_rss_gib": peak_rss_gib(),
    }


STEPS = {"generate": generate, "build": build, "threads": lightfm_threads, "import": import_store, "run": full_run}


def in_process(step: str, folder: Path, fraction: float) -> dict:
    """Run one step in a fresh interpreter and return what it printed as JSON."""
    output = subprocess.run(
        [sys.executable, __file__, "--step", step, "--folder", str(folder), "--fractions", str(fraction)],
        capture_output=True, text=True,
    )
    if output.returncode != 0:
        raise RuntimeError(f"{step} failed:\n{output.stderr[-4000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def report(fraction: float, run_pipeline: bool, threads: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        sizes = in_process("generate", folder, fraction)
        built = in_process("build", folder, fraction)
        stages = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in built["stages"].items())
        verdict = ""
        if fraction == 1.0:
            verdict = f" (target < {TARGET_SECONDS} s: {'met' if built['build_seconds'] < TARGET_SECONDS else 'NOT met'})"
        print(
            f"{fraction:>4.0%}: {sizes['investors']:,} investors x {sizes['packages']:,} packages x "
            f"{sizes['events']:,} events ({built['positive_pairs']:,} positive pairs)\n"
            f"      model build {built['build_seconds']:.0f} s{verdict}, peak RSS {built['peak_rss_gib']:.1f} GiB, "
            f"LightFM {built['lightfm']} [{stages}]; implicit ALS alone "
            f"{built['als_alone_seconds']:.0f} s",
            flush=True,
        )
        if threads:
            per_epoch = in_process("threads", folder, fraction)["seconds_per_epoch"]
            print(f"      one LightFM epoch: {per_epoch['1']:.1f} s on 1 thread, {per_epoch['2']:.1f} s on 2 threads",
                  flush=True)
        if not run_pipeline:
            return
        imported = in_process("import", folder, fraction)
        run = in_process("run", folder, fraction)
        steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in run["run_steps"].items())
        print(
            f"      whole train run {run['run_seconds']:.0f} s, peak RSS {run['peak_rss_gib']:.1f} GiB "
            f"[{steps}; fits two at a time]; {run['reason']} "
            f"(SQLite import before it: {imported['import_seconds']:.0f} s)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 0.25, 0.5, 1.0])
    parser.add_argument("--skip-run", action="store_true", help="Only the model build, not the whole train run.")
    parser.add_argument("--threads", action="store_true", help="Also time a LightFM epoch on 1 and on 2 threads.")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        target = args.folder / "market" if args.step in ("generate", "build", "threads") else args.folder
        print(json.dumps(STEPS[args.step](target, args.fractions[0])))
        return
    for fraction in args.fractions:
        report(fraction, run_pipeline=not args.skip_run, threads=args.threads)


if __name__ == "__main__":
    main()
