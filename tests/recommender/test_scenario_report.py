"""Full-exposure splits and the scenario report: labels, the oracle, the worst scenario."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from data.generator import GeneratedMarket, MarketOracle, generate_market
from recommender.evaluation.market_report import ORACLE, full_exposure_splits
from recommender.evaluation.scenario_report import (
    ENGINE,
    LIGHTFM,
    MODELS,
    ScenarioRun,
    render_scenarios,
    scenario_run,
    worst_scenario,
)
from recommender.evaluation.split import relabelled, time_split

END = datetime(2026, 6, 30)


@pytest.fixture(scope="module")
def market() -> GeneratedMarket:
    return generate_market(300, 900, seed=4, end=END, scenario="circles")


def _split(market: GeneratedMarket):  # type: ignore[no-untyped-def]
    cutoff = pd.Timestamp(market.packages.listed_at.max()).to_pydatetime() - timedelta(days=90)
    return time_split(market.investors, market.packages, market.events, cutoff)


def test_relabelled_split_is_judged_on_the_drawn_labels(market: GeneratedMarket) -> None:
    split = _split(market)
    oracle = MarketOracle(market.truth)
    labelled = relabelled(split, lambda ids, packages: oracle.full_exposure_labels(ids, packages, 0))
    grades, bids = oracle.full_exposure_labels(split.buyer_investor_ids.external_ids.tolist(), split.test_packages, 0)
    acted = [split.buyer_investor_ids.external_ids[row] for row in np.flatnonzero(np.diff(grades.indptr) > 0)]
    assert labelled.test_investor_ids.external_ids.tolist() == sorted(acted)
    assert labelled.relevance.shape == (len(acted), len(split.test_packages))
    assert labelled.bidders.shape == (len(split.test_packages), len(split.buyer_investor_ids))
    assert labelled.bidders.nnz == bids.nnz
    # what the models learn from is untouched
    assert labelled.train_events is split.train_events
    # more investors are judged than the legacy feed reached
    assert len(labelled.test_investor_ids) > len(split.test_investor_ids)


def test_labels_of_the_wrong_shape_are_refused(market: GeneratedMarket) -> None:
    split = _split(market)
    with pytest.raises(ValueError, match="investors x test packages"):
        relabelled(split, lambda ids, packages: (sp.csr_matrix((2, 2)), sp.csr_matrix((2, 2))))


def test_test_and_validation_windows_use_different_label_draws(market: GeneratedMarket) -> None:
    test, validation = full_exposure_splits(
        market.investors, market.packages, market.events, MarketOracle(market.truth), 90, 0
    )
    assert validation.cutoff == test.cutoff - timedelta(days=90)
    assert set(validation.test_packages.package_id).isdisjoint(test.test_packages.package_id)
    assert validation.relevance.nnz > 0 and test.relevance.nnz > 0


def test_a_scenario_run_scores_every_model_and_the_oracle_leads(market: GeneratedMarket) -> None:
    run = scenario_run("circles", 4, market.investors, market.packages, market.events, MarketOracle(market.truth))
    assert set(run.metrics) == set(MODELS)
    for metric in ("ndcg@10", "buyer_recall@50"):
        assert run.metrics[ORACLE][metric] > run.metrics["random"][metric]
        assert run.ratio(ORACLE, metric) == pytest.approx(1.0)


def _run(scenario: str, seed: int, engine_ndcg: float) -> ScenarioRun:
    metrics = {name: {"ndcg@10": 0.1, "buyer_recall@50": 0.2} for name in MODELS}
    metrics[ENGINE] = {"ndcg@10": engine_ndcg, "buyer_recall@50": 0.4}
    metrics[ORACLE] = {"ndcg@10": 0.5, "buyer_recall@50": 0.8}
    return ScenarioRun(scenario, seed, metrics, 10, 10, 10, 1.0)


def test_worst_scenario_is_the_lowest_mean_ratio_over_seeds() -> None:
    runs = [_run("a", 0, 0.1), _run("a", 1, 0.4), _run("b", 0, 0.2), _run("b", 1, 0.2)]
    name, ratio = worst_scenario(runs, ENGINE, "ndcg@10")
    assert name == "b" and ratio == pytest.approx(0.4)
    text = render_scenarios(runs, {"a": "first", "b": "second"})
    assert f"| ndcg@10 | {ENGINE} | b | 0.40 |" in text
    assert f"| buyer_recall@50 | {LIGHTFM} |" in text
    assert "- **a**: first" in text
