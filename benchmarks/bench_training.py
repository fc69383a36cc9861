"""Training time and peak memory at market scale: the model build and the whole ``train`` run.

For each size (a fraction of 100,000 investors × 200,000 packages, ~5.8 million events at full
size), each step runs in its own process, so each peak RSS is that step's alone:

1. generate the market (fixed seed) and write it as contract CSV files;
2. **model build**: read the files, then ``train_recommender`` (profiles, training set, feature
   matrices, LightFM, ALS, vectors, live index), timing every stage; the target is this step
   at full size in under 10 minutes on the 2-core reference machine;
3. import the files into an SQLite store (not timed here; see the import benchmark);
4. **the whole ``train`` run** (``webapi.services.training.run_training``): read the store, the
   time-ordered holdout, the candidate's holdout fit, the active version's measurement, the
   final fit, the gate and the artifact — twice: against an active version of the same
   configuration that saw the same events (measured once, the steady state), and against one on
   the previous default LightFM schedule (20 epochs at learning rate 0.05: refitted, the worst
   case, and the two schedules' holdout quality side by side).

Baseline in step 2's process: implicit's ALS alone on the plain investor × package matrix (a
library floor for one pass over the data).

    python benchmarks/bench_training.py [--fractions 0.1 0.25 0.5 1.0] [--skip-run] [--threads]
"""

from __future__ import annotations

import argparse
import json
import os
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


def cpu_seconds() -> float:
    """User + system CPU time of this process so far.

    On a shared machine wall time depends on the other jobs; the CPU time a step used does not
    (much), and for a step that runs on one core it bounds the step's wall time on an idle machine.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def generate(folder: Path, fraction: float) -> dict:
    from data.generator import generate_market, write_market

    market = generate_market(int(FULL_INVESTORS * fraction), int(FULL_PACKAGES * fraction), seed=3)
    write_market(market, folder)
    return {
        "investors": len(market.investors), "packages": len(market.packages), "events": len(market.events),
    }


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
    load_before = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), cpu_seconds()
    model, _ = train_recommender(investors, packages, events, now, config, progress=stages)
    total, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started

    weights = EventWeights()
    matrix = positive_part(interaction_matrix(
        events, IdMap(investors["investor_id"]), IdMap(packages["package_id"]), dict(weights.weights),
        weights.half_life_days, now,
    ))
    with threadpool_limits(1, "blas"):
        als = AlternatingLeastSquares(
            factors=config.als.factors, iterations=config.als.iterations, random_state=0
        )
        mark = time.perf_counter()
        als.fit(matrix, show_progress=False)
    return {
        "positive_pairs": int(matrix.nnz),
        "build_seconds": total,
        "build_cpu_seconds": cpu,
        "load_average": (load_before + os.getloadavg()[0]) / 2,
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
    seconds, cpu = {}, {}
    for threads in (1, 2):
        params = config.lightfm
        model = LightFM(no_components=params.components, loss=params.loss, learning_rate=params.learning_rate,
                        max_sampled=params.max_sampled, random_state=np.random.RandomState(0))
        started, cpu_started = time.perf_counter(), cpu_seconds()
        model.fit_partial(interactions, user_features=user_matrix, item_features=package_matrix,
                          sample_weight=coo.astype(np.float32), epochs=2, num_threads=threads)
        seconds[threads] = (time.perf_counter() - started) / 2
        cpu[threads] = (cpu_seconds() - cpu_started) / 2
    return {"seconds_per_epoch": seconds, "cpu_seconds_per_epoch": cpu}


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


PREVIOUS_DEFAULTS = {"components": 64, "epochs": 20, "learning_rate": 0.05}


def train_run(folder: Path, scenario: str) -> dict:
    """One ``run_training`` against a registered active version (its artifact is not needed).

    ``steady``: the active version has today's configuration and saw every event, so the run
    (forced: nothing new arrived) measures it once. ``upgrade``: the active version has the
    previous default LightFM schedule, so it is refitted on the holdout, and the gate compares
    the two schedules on the same holdout.
    """
    from dataclasses import replace
    from datetime import datetime

    from sqlalchemy import delete, func, select

    from data.model_registry import ACTIVE, ModelVersion, register_version
    from data.schema import events_table, model_versions_table
    from data.store import create_store_engine
    from recommender.hybrid import HybridConfig
    from webapi.services.training import TrainingOptions, run_training

    config = HybridConfig()
    if scenario == "upgrade":
        config = replace(config, lightfm=replace(config.lightfm, **PREVIOUS_DEFAULTS))
    engine = create_store_engine(store_url(folder))
    with engine.begin() as connection:
        connection.execute(delete(model_versions_table))
        high_water = connection.execute(select(func.max(events_table.c.id))).scalar_one()
        register_version(connection, ModelVersion(
            version=f"earlier-{scenario}", created_at=datetime(2026, 6, 1), status=ACTIVE,
            artifact_path="unused", trained_until=datetime(2030, 1, 1), event_high_water=int(high_water),
            params=config.to_dict(), metrics={},
        ))
    load_before = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), cpu_seconds()
    outcome = run_training(engine, folder / "models", TrainingOptions(force=True))
    total, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    engine.dispose()
    if outcome.version is None:
        raise RuntimeError(outcome.reason)
    metrics = outcome.version.metrics
    return {
        "run_seconds": total,
        "run_cpu_seconds": cpu,
        "load_average": (load_before + os.getloadavg()[0]) / 2,
        "run_steps": metrics["seconds"],
        "candidate": metrics["candidate"],
        "active": metrics["active"]["metrics"],
        "measured": metrics["active"]["measured"],
        "holdout": metrics["holdout"],
        "peak_rss_gib": peak_rss_gib(),
    }


def steady_run(folder: Path, fraction: float) -> dict:
    return train_run(folder, "steady")


def upgrade_run(folder: Path, fraction: float) -> dict:
    return train_run(folder, "upgrade")


STEPS = {
    "generate": generate, "build": build, "threads": lightfm_threads, "import": import_store,
    "steady": steady_run, "upgrade": upgrade_run,
}


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
            met = "met" if built["build_seconds"] < TARGET_SECONDS else "NOT met"
            verdict = f" (target < {TARGET_SECONDS} s: {met})"
        print(
            f"{fraction:>4.0%}: {sizes['investors']:,} investors x {sizes['packages']:,} packages x "
            f"{sizes['events']:,} events ({built['positive_pairs']:,} positive pairs)\n"
            f"      model build {built['build_seconds']:.0f} s{verdict} "
            f"(CPU {built['build_cpu_seconds']:.0f} s, load average {built['load_average']:.1f}), "
            f"peak RSS {built['peak_rss_gib']:.1f} GiB, "
            f"LightFM {built['lightfm']} [{stages}]; implicit ALS alone "
            f"{built['als_alone_seconds']:.0f} s",
            flush=True,
        )
        if threads:
            timed = in_process("threads", folder, fraction)
            wall, cpu = timed["seconds_per_epoch"], timed["cpu_seconds_per_epoch"]
            print(f"      one LightFM epoch: {wall['1']:.1f} s (CPU {cpu['1']:.1f} s) on 1 thread, "
                  f"{wall['2']:.1f} s (CPU {cpu['2']:.1f} s) on 2 threads", flush=True)
        if not run_pipeline:
            return
        imported = in_process("import", folder, fraction)
        print(f"      (SQLite import for the train runs: {imported['import_seconds']:.0f} s)", flush=True)
        for scenario, label in (("steady", "train run, active version of the same configuration"),
                                ("upgrade", "train run, active version on the previous LightFM schedule")):
            run = in_process(scenario, folder, fraction)
            steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in run["run_steps"].items())
            print(f"      {label}: {run['run_seconds']:.0f} s (CPU {run['run_cpu_seconds']:.0f} s, "
                  f"load average {run['load_average']:.1f}), peak RSS {run['peak_rss_gib']:.1f} GiB "
                  f"[{steps}]", flush=True)
        holdout = run["holdout"]
        print(
            f"      holdout ({holdout['window_days']:g} days: {holdout['investors']:,} investors, "
            f"{holdout['packages_with_bidders']:,} bid-on of {holdout['packages']:,} live packages): "
            f"NDCG@10 {run['candidate']['ndcg@10']:.4f} vs {run['active']['ndcg@10']:.4f} previous schedule, "
            f"buyer recall@50 {run['candidate']['buyer_recall@50']:.4f} "
            f"vs {run['active']['buyer_recall@50']:.4f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 0.25, 0.5, 1.0])
    parser.add_argument("--skip-run", action="store_true", help="Only the model build, not the train runs.")
    parser.add_argument("--threads", action="store_true", help="Also time LightFM epochs on 1 and 2 threads.")
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
