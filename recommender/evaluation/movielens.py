"""The MovieLens 100k evaluation: both protocols, every model tuned alike, one markdown report.

Each model gets the same tuning budget - the same number of configurations, drawn by the same
seeded random search over its own grid - and is judged only on a validation split carved from
the training data of that seed. The chosen configuration is then refitted on the whole training
part and scored once on the test part. All models see the same splits in the same run, and the
report gives mean ± std over the seeds.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recommender.evaluation.datasets import DatasetLoader, ImplicitDataset
from recommender.evaluation.metrics import ranking_metrics
from recommender.evaluation.movielens_data import MovieLensLoader
from recommender.evaluation.movielens_models import (
    OUR_MODEL,
    ModelSpec,
    Params,
    RankingTraining,
    als_scores,
    bpr_scores,
    hybrid_scores,
    lightfm_scores,
    popularity_scores,
    ranking_scores,
)
from recommender.evaluation.movielens_protocols import (
    HELD_OUT_FRACTION,
    VALIDATION_SEED_OFFSET,
    RankingSplit,
    split_for,
    validation_split,
)

K = 10
PROTOCOLS = ("warm", "cold")
PROTOCOL_TITLES = {
    "warm": "Protocol A - warm: 20% of each user's positives held out",
    "cold": "Protocol B - item cold start: 20% of items held out entirely",
}
TARGETS = {"warm": 0.32, "cold": 0.20}
DEFAULT_SEEDS = (0, 1, 2, 3, 4)
# Configurations tried per model, per protocol and seed (the equal tuning budget).
DEFAULT_BUDGET = 16
# Cold-start validation draws few items, so its score is averaged over this many draws.
COLD_VALIDATION_FOLDS = 2

_LIGHTFM_GRID: dict[str, Sequence[Any]] = {
    "components": (32, 64),
    "epochs": (10, 20, 40),
    "learning_rate": (0.025, 0.05, 0.1),
    "alpha": (0.0, 1e-6, 1e-5),
    "max_sampled": (30, 100),
}
_OUR_GRID: dict[str, Sequence[Any]] = {
    **_LIGHTFM_GRID,
    "als_factors": (32, 64, 128),
    "als_regularization": (1.0, 10.0, 30.0, 100.0),
    "als_alpha": (1.0, 5.0, 20.0),
}
MOVIELENS_ITEM_FAMILIES = ("genre", "decade")


def family_choices(families: Sequence[str]) -> tuple[str, ...]:
    """Cold popularity's ``features`` grid: each item feature family alone, then all of them."""
    if not families:
        return ()
    return (*families, "+".join(families)) if len(families) > 1 else tuple(families)


def model_specs(item_families: Sequence[str] = MOVIELENS_ITEM_FAMILIES) -> tuple[ModelSpec, ...]:
    """The compared models, cold popularity grouped by the data set's own item feature families.

    A data set without item features has no cold popularity (it could only rank by column order).
    """
    choices = family_choices(item_families)
    popularity_grids: dict[str, dict[str, Sequence[Any]]] = {"warm": {}}
    if choices:
        popularity_grids["cold"] = {"features": choices, "aggregate": ("mean", "max")}
    return (ModelSpec("Popularity", popularity_scores, popularity_grids), *_OTHER_MODELS)


_OTHER_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "implicit ALS",
        als_scores,
        {
            "warm": {
                "factors": (32, 64, 128),
                "regularization": (1.0, 10.0, 30.0, 100.0),
                "alpha": (1.0, 5.0, 10.0, 20.0),
                "iterations": (15, 30),
            }
        },
    ),
    ModelSpec(
        "implicit BPR",
        bpr_scores,
        {
            "warm": {
                "factors": (32, 64, 128),
                "learning_rate": (0.01, 0.05, 0.1),
                "regularization": (1e-3, 0.01, 0.1),
                "iterations": (100, 200, 400),
            }
        },
    ),
    ModelSpec("LightFM pure CF", lightfm_scores, {"warm": {**_LIGHTFM_GRID, "features": (False,)}}),
    ModelSpec(
        "LightFM hybrid",
        lightfm_scores,
        {
            "warm": {**_LIGHTFM_GRID, "features": (True,), "feature_weight": (1.0, 0.3, 0.1)},
            "cold": {**_LIGHTFM_GRID, "features": (True,), "feature_weight": (1.0, 0.3, 0.1)},
        },
    ),
    ModelSpec(
        OUR_MODEL,
        hybrid_scores,
        {
            "warm": {**_OUR_GRID, "als_weight": (0.5, 1.0, 2.0)},
            "cold": {**_OUR_GRID, "als_weight": (0.0, 0.25, 0.5, 1.0)},
        },
    ),
)
MODELS: tuple[ModelSpec, ...] = model_specs()


@dataclass(frozen=True)
class Outcome:
    """One model on one protocol and seed: its chosen configuration and its test metrics."""

    protocol: str
    seed: int
    model: str
    params: Params
    validation_ndcg: float
    ndcg: float
    precision: float
    recall: float
    configurations: int
    seconds: float


# --------------------------------------------------------------------------------- tuning
def configurations(grid: Mapping[str, Sequence[Any]], budget: int, seed: int) -> list[dict[str, Any]]:
    """``budget`` configurations drawn without replacement from ``grid`` (all if it is smaller).

    A seeded random search gives every model the same number of tries however large its grid,
    which is what "the same tuning budget" means here.
    """
    names = sorted(grid)
    every = [dict(zip(names, values, strict=True)) for values in itertools.product(*(grid[n] for n in names))]
    if len(every) <= budget:
        return every
    chosen = np.random.default_rng(seed).choice(len(every), size=budget, replace=False)
    return [every[i] for i in sorted(chosen)]


def evaluate(scores: np.ndarray, split: RankingSplit, k: int = K) -> tuple[float, float, float]:
    """(NDCG@k, precision@k, recall@k) with each user's excluded candidates ranked last."""
    scores = np.array(scores, dtype=np.float64)
    excluded = split.exclude.toarray() > 0
    scores[excluded] = -np.inf
    metrics = ranking_metrics(scores, split.test, k)
    return metrics.ndcg, metrics.precision, metrics.recall


def validation_splits(split: RankingSplit, seed: int) -> list[RankingSplit]:
    """The tuning splits of ``split``: one for warm, ``COLD_VALIDATION_FOLDS`` item draws for cold."""
    folds = COLD_VALIDATION_FOLDS if split.protocol == "cold" else 1
    return [validation_split(split, seed + fold * VALIDATION_SEED_OFFSET) for fold in range(folds)]


def fitted_scores(
    data: ImplicitDataset, spec: ModelSpec, split: RankingSplit, params: Params, seed: int
) -> np.ndarray:
    """Fit ``spec``'s model of ``params`` on ``split`` and score its candidates, by external ids."""
    training = RankingTraining(data, split)
    return ranking_scores(spec.model(params, seed).fit(training), training)


def tune_and_test(
    data: ImplicitDataset, spec: ModelSpec, split: RankingSplit, validations: Sequence[RankingSplit], seed: int, budget: int
) -> Outcome:
    """Pick ``spec``'s configuration on the validation splits, refit on all training data, test once."""
    started = time.perf_counter()
    candidates = configurations(spec.grids[split.protocol], budget, seed)
    best_params, best_score = candidates[0], -np.inf
    if len(candidates) > 1:
        for params in candidates:
            tries = [evaluate(fitted_scores(data, spec, v, params, seed), v)[0] for v in validations]
            score = float(np.mean(tries))
            if score > best_score:
                best_params, best_score = params, score
    ndcg, precision, recall = evaluate(fitted_scores(data, spec, split, best_params, seed), split)
    return Outcome(
        split.protocol, seed, spec.name, best_params, float(best_score), ndcg, precision, recall,
        len(candidates), time.perf_counter() - started,
    )


def run_protocol(
    data: ImplicitDataset, protocol: str, seed: int, budget: int, models: Sequence[ModelSpec] | None = None
) -> list[Outcome]:
    """Every model that can take part in ``protocol``, on the same split of ``seed``.

    ``models`` defaults to ``model_specs`` for the data set's own item feature families.
    """
    models = model_specs(data.item_feature_families) if models is None else models
    split = split_for(protocol, data.positives, seed)
    validations = validation_splits(split, seed)
    return [tune_and_test(data, spec, split, validations, seed, budget) for spec in models if spec.supports(protocol)]


def _run_job(job: tuple[DatasetLoader, str, int, int]) -> list[Outcome]:
    loader, protocol, seed, budget = job
    return run_protocol(loader.load(), protocol, seed, budget)


def as_loader(source: Path | DatasetLoader) -> DatasetLoader:
    """A loader as given, or the MovieLens 100k loader of a folder."""
    return source if isinstance(source, DatasetLoader) else MovieLensLoader(Path(source))


def run_all(
    source: Path | DatasetLoader,
    seeds: Iterable[int] = DEFAULT_SEEDS,
    budget: int = DEFAULT_BUDGET,
    workers: int | None = None,
) -> list[Outcome]:
    """Both protocols over all seeds, one process per (protocol, seed) job.

    ``source`` is any ``DatasetLoader`` (picklable, as each job loads the data itself) or an
    ml-100k folder. Each job is single-threaded and seeded, so the outcome does not depend on
    ``workers``.
    """
    loader = as_loader(source)
    loader.load()  # fail early, in this process, when the data is missing
    jobs = [(loader, protocol, seed, budget) for protocol in PROTOCOLS for seed in seeds]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    if workers <= 1:
        return [outcome for job in jobs for outcome in _run_job(job)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [outcome for outcomes in pool.map(_run_job, jobs) for outcome in outcomes]


# --------------------------------------------------------------------------------- report
def movielens_report(
    source: Path | DatasetLoader,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    budget: int = DEFAULT_BUDGET,
    workers: int | None = None,
) -> str:
    """Run the whole evaluation and return it as markdown (tables, targets, protocol, grids)."""
    started = time.perf_counter()
    loader = as_loader(source)
    outcomes = run_all(loader, seeds, budget, workers)
    return render_report(outcomes, seeds, budget, time.perf_counter() - started, loader.load())


def render_report(
    outcomes: Sequence[Outcome],
    seeds: Sequence[int],
    budget: int,
    seconds: float,
    data: ImplicitDataset | None = None,
) -> str:
    """The markdown report of finished outcomes (on ``data``; MovieLens 100k when not given)."""
    models = MODELS if data is None else model_specs(data.item_feature_families)
    name = "MovieLens 100k" if data is None else data.name
    lines = [
        f"# {name} evaluation",
        "",
        f"Seeds {', '.join(map(str, seeds))}; every model tuned with {budget} configurations per protocol and "
        f"seed on a validation split of the training data; NDCG@{K}, precision@{K} and recall@{K} on the test "
        f"part, mean ± std over the seeds (std with ddof=0). Total run time {seconds / 60:.1f} min.",
        "",
    ]
    for protocol in PROTOCOLS:
        lines += [f"## {PROTOCOL_TITLES[protocol]}", "", *_table(outcomes, protocol, models), ""]
        lines += [_target_line(outcomes, protocol, models), ""]
    lines += _protocol_section(seeds, budget, data)
    lines += _grid_section(models)
    lines += _chosen_section(outcomes)
    return "\n".join(lines) + "\n"


def summary(outcomes: Sequence[Outcome], protocol: str, model: str) -> dict[str, tuple[float, float]]:
    """Mean and std of each metric of one model on one protocol."""
    rows = [o for o in outcomes if o.protocol == protocol and o.model == model]
    return {
        metric: (float(np.mean([getattr(o, metric) for o in rows])), float(np.std([getattr(o, metric) for o in rows])))
        for metric in ("ndcg", "precision", "recall")
    }


def _table(outcomes: Sequence[Outcome], protocol: str, models: Sequence[ModelSpec]) -> list[str]:
    lines = [
        f"| Model | NDCG@{K} | Precision@{K} | Recall@{K} |",
        "| --- | --- | --- | --- |",
    ]
    for spec in models:
        if not spec.supports(protocol):
            lines.append(f"| {spec.name} | n/a | n/a | n/a |")
            continue
        stats = summary(outcomes, protocol, spec.name)
        cells = " | ".join(f"{mean:.3f} ± {std:.3f}" for mean, std in stats.values())
        name = f"**{spec.name}**" if spec.name == OUR_MODEL else spec.name
        lines.append(f"| {name} | {cells} |")
    if protocol == "cold":
        lines += [
            "",
            "n/a: a pure collaborative model (ALS, BPR, LightFM without features) has no vector for an item "
            "it never saw, so it cannot rank held-out items; LightFM hybrid here is LightFM features-only on "
            "the item side (users keep identity + attributes). Popularity is feature popularity: a cold item "
            "scores the mean training positives of items sharing its features (genres and/or decade).",
        ]
    return lines


def _target_line(outcomes: Sequence[Outcome], protocol: str, models: Sequence[ModelSpec]) -> str:
    ours_mean, ours_std = summary(outcomes, protocol, OUR_MODEL)["ndcg"]
    rivals = [spec.name for spec in models if spec.supports(protocol) and spec.name != OUR_MODEL]
    best_name = max(rivals, key=lambda name: summary(outcomes, protocol, name)["ndcg"][0])
    best_mean, best_std = summary(outcomes, protocol, best_name)["ndcg"]
    target = TARGETS[protocol]
    verdict = "**met**" if ours_mean >= target else "**not met**"
    return (
        f"Target ({protocol}): NDCG@{K} ≥ {target:.2f} - {verdict} ({ours_mean:.3f} ± {ours_std:.3f}). "
        f"Best other model in this run: {best_name}, {best_mean:.3f} ± {best_std:.3f} "
        f"({'ours ahead' if ours_mean > best_mean else 'ours behind'} by {abs(ours_mean - best_mean):.3f})."
    )


def _protocol_section(seeds: Sequence[int], budget: int, data: ImplicitDataset | None = None) -> list[str]:
    held = f"{HELD_OUT_FRACTION:.0%}"
    if data is None:
        name, users, items, note = "MovieLens 100k", 943, 1682, "a pair is positive when rated ≥ 4; lower ratings are dropped"
        user_families, item_families = ("age", "gender", "occupation"), MOVIELENS_ITEM_FAMILIES
    else:
        name, users, items, note = data.name, len(data.user_ids), len(data.item_ids), data.description
        user_families, item_families = data.user_feature_families, data.item_feature_families
    return [
        "## Protocol details",
        "",
        f"- Data: {name} ({users:,} users, {items:,} items){'; ' + note if note else ''} (neither training "
        "signal nor test relevance). Relevance is binary, so NDCG uses gain 1 per positive and IDCG over "
        "min(k, held-out positives).",
        f"- Features: users {', '.join(f'`{f}`' for f in user_families)}; items "
        f"{', '.join(f'`{f}`' for f in item_families)}. Our model drops item features seen on fewer than 3 "
        "training items (as in production).",
        f"- Protocol A (warm): for each user, {held} of its positives, rounded half up, are held out at random "
        "(users with fewer than 3 positives keep all in training and are not evaluated). Every item is a "
        "candidate; the user's training positives are excluded from its ranking. Our model gives items an "
        "identity feature (`package_identity_weight=1.0`).",
        f"- Protocol B (item cold start): {held} of all {items:,} items (rounded half up) are drawn at random and "
        "every pair on them leaves training. Each user ranks only the held-out items (including those nobody "
        "liked); training items are not candidates. Cold items are scored from their features alone "
        "(our model: `index_packages`, `package_identity_weight=0`).",
        "- Only users with at least one held-out positive are evaluated (the mean is over those users).",
        "- Any data set runs through the same harness: a `recommender.evaluation.datasets.DatasetLoader` returns "
        "timestamped interactions, user and item feature rows and names (`MovieLensLoader` is this one); "
        "popularity is computed from the interactions, and cold popularity groups items by the data set's own "
        "item feature families.",
        f"- Tuning: a validation split is carved from each seed's training part with the same protocol "
        f"(warm: {held} of each user's training positives; cold: {held} of the training items, scored as "
        f"the mean over {COLD_VALIDATION_FOLDS} item draws because one draw of ~270 items is noisy). Each "
        f"model tries {budget} configurations (seeded random search, the same number for every model; the "
        "whole grid when it is smaller), the best validation NDCG@10 wins, and that configuration is "
        "refitted on the full training part and scored once on test. The test part is never used to choose.",
        f"- Budget: {budget} configurations per model and the grids below (LightFM components up to 64, "
        "epochs up to 40) are sized so the whole run - 5 seeds, both protocols, 2 cold validation draws - "
        "stays within about 25 minutes on 2 cores; a larger budget is one flag away "
        "(`benchmarks/eval_movielens.py --budget N`).",
        f"- Seeds {', '.join(map(str, seeds))} drive the split, the validation split, the search and every "
        "model's random state; all models run single-threaded, so a rerun gives the same numbers.",
        "",
    ]


def _grid_section(models: Sequence[ModelSpec] = MODELS) -> list[str]:
    lines = ["## Tuning grids", ""]
    for spec in models:
        for protocol, grid in spec.grids.items():
            values = "; ".join(f"`{name}` {list(grid[name])}" for name in sorted(grid)) or "(no knobs)"
            lines.append(f"- {spec.name}, {protocol}: {values}")
    lines.append("")
    return lines


def _chosen_section(outcomes: Sequence[Outcome]) -> list[str]:
    lines = [
        "## Chosen configurations",
        "",
        "| Protocol | Seed | Model | Validation NDCG@10 | Test NDCG@10 | Configuration | Seconds |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for o in sorted(outcomes, key=lambda o: (PROTOCOLS.index(o.protocol), o.model, o.seed)):
        params = ", ".join(f"{k}={v}" for k, v in sorted(o.params.items())) or "-"
        validation = f"{o.validation_ndcg:.3f}" if np.isfinite(o.validation_ndcg) else "-"
        lines.append(
            f"| {o.protocol} | {o.seed} | {o.model} | {validation} | {o.ndcg:.3f} | {params} | {o.seconds:.0f} |"
        )
    lines.append("")
    return lines
