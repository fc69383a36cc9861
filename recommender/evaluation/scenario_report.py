"""The engine across simulated worlds: every scenario side by side, each against its oracle.

A model that is only measured on the market it was built on can be good for reasons that do not
carry over. Each scenario of the generator is a different guess at what a real platform looks
like; this report runs the same protocol on each (and on more than one seed of each) and states
the worst scenario's ratio to the oracle, which is what a default should be chosen by.

Per run: the test window is the last ``window_days`` of listings (all cold), labelled at full
exposure; popularity picks its granularity on the window before (also at full exposure); the
engine runs with its shipped defaults and LightFM on features with the same LightFM settings,
so the runs stay cheap enough for many worlds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.base import Recommender
from recommender.evaluation.baselines import (
    OracleBaseline,
    PopularityBaseline,
    RandomBaseline,
    StatedPreferenceBaseline,
)
from recommender.evaluation.market_report import (
    BASE_FEATURES,
    ORACLE,
    evaluate_model,
    fit_on_split,
    full_exposure_splits,
    tune_popularity,
)
from recommender.evaluation.oracle import SimulatedTruth
from recommender.hybrid import HybridConfig

ENGINE = "AssetMatch engine (defaults)"
LIGHTFM = "LightFM on features"
STATED = "stated-preference channel"
POPULARITY = "popularity"
RANDOM = "random"
MODELS = (RANDOM, POPULARITY, STATED, LIGHTFM, ENGINE, ORACLE)
BASELINES = (RANDOM, POPULARITY, STATED, LIGHTFM)
METRICS = ("ndcg@10", "buyer_recall@50")


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario and seed: each model's NDCG@10 and buyer recall@50, and the run's size."""

    scenario: str
    seed: int
    metrics: dict[str, dict[str, float]]  # model -> metric -> value
    test_packages: int
    test_investors: int
    bidder_pairs: int
    seconds: float

    def ratio(self, model: str, metric: str) -> float:
        """``model``'s ``metric`` as a share of the oracle's."""
        return self.metrics[model][metric] / max(self.metrics[ORACLE][metric], 1e-12)

    def best_baseline(self, metric: str) -> float:
        """The best non-oracle baseline's ``metric`` (random, popularity, stated, LightFM)."""
        return max(self.metrics[name][metric] for name in BASELINES)


def scenario_run(
    scenario: str,
    seed: int,
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    truth: SimulatedTruth,
    window_days: int = 90,
    random_state: int = 0,
) -> ScenarioRun:
    """Score every model on one generated market's last window, at full exposure."""
    started = time.perf_counter()
    test, validation = full_exposure_splits(investors, packages, events, truth, window_days, random_state)
    lightfm = HybridConfig(
        als_weight=0.0, activity_weight=0.0, investor_feature_groups=BASE_FEATURES, random_state=random_state
    )
    models: dict[str, Recommender] = {  # type: ignore[type-arg]
        RANDOM: RandomBaseline(random_state).fit(test),
        POPULARITY: PopularityBaseline(tune_popularity(validation)).fit(test),
        STATED: StatedPreferenceBaseline().fit(test),
        LIGHTFM: fit_on_split(test, lightfm),
        ENGINE: fit_on_split(test, HybridConfig(random_state=random_state)),
        ORACLE: OracleBaseline(truth).fit(test),
    }
    metrics = {}
    for name, model in models.items():
        evaluated = evaluate_model(name, test, model).metrics
        metrics[name] = {m: evaluated[m] for m in METRICS}
    return ScenarioRun(
        scenario=scenario,
        seed=seed,
        metrics=metrics,
        test_packages=len(test.test_packages),
        test_investors=len(test.test_investor_ids),
        bidder_pairs=int(test.bidders.nnz),
        seconds=time.perf_counter() - started,
    )


def worst_scenario(runs: Sequence[ScenarioRun], model: str = ENGINE, metric: str = "ndcg@10") -> tuple[str, float]:
    """The scenario where ``model``'s ratio to the oracle (mean over seeds) is lowest, and that ratio."""
    by_scenario: dict[str, list[float]] = {}
    for run in runs:
        by_scenario.setdefault(run.scenario, []).append(run.ratio(model, metric))
    means = {name: float(np.mean(values)) for name, values in by_scenario.items()}
    name = min(means, key=means.__getitem__)
    return name, means[name]


def render_scenarios(runs: Sequence[ScenarioRun], descriptions: dict[str, str]) -> str:
    """Markdown: one table per metric (a row per scenario and seed), ratios and the worst scenario."""
    lines = [
        "## Scenarios side by side",
        "",
        *[f"- **{name}**: {text}" for name, text in descriptions.items()],
        "",
    ]
    for metric in METRICS:
        lines += [
            f"### {metric}",
            "",
            "| scenario | seed | " + " | ".join(MODELS) + f" | engine / oracle | engine / best baseline |",
            "|---|---|" + "---|" * (len(MODELS) + 2),
        ]
        for run in runs:
            values = " | ".join(f"{run.metrics[name][metric]:.4f}" for name in MODELS)
            lines.append(
                f"| {run.scenario} | {run.seed} | {values} | {run.ratio(ENGINE, metric):.2f} | "
                f"{run.metrics[ENGINE][metric] / max(run.best_baseline(metric), 1e-12):.2f} |"
            )
        lines.append("")
    lines += [
        "### Worst scenario (engine / oracle, mean over seeds)",
        "",
        "| metric | model | scenario | ratio |",
        "|---|---|---|---|",
    ]
    for metric in METRICS:
        for model in (ENGINE, LIGHTFM):
            name, ratio = worst_scenario(runs, model, metric)
            lines.append(f"| {metric} | {model} | {name} | {ratio:.2f} |")
    lines += [
        "",
        "| scenario | seed | test packages | test investors | (package, bidder) pairs | seconds |",
        "|---|---|---|---|---|---|",
        *[
            f"| {r.scenario} | {r.seed} | {r.test_packages:,} | {r.test_investors:,} | {r.bidder_pairs:,} "
            f"| {r.seconds:.0f} |"
            for r in runs
        ],
        "",
    ]
    return "\n".join(lines)
