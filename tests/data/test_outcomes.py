"""Expected outcomes and full-exposure labels: the oracle is an upper bound in both directions."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from data.generator import (
    GeneratedMarket,
    MarketOracle,
    expected_outcome,
    full_exposure_labels,
    generate_market,
)
from data.generator.outcomes import visit_probability
from recommender.evaluation.metrics import ranking_metrics, recall_at

END = datetime(2026, 6, 30)


@pytest.fixture(scope="module")
def market() -> GeneratedMarket:
    return generate_market(1_200, 3_000, seed=9, end=END)


@pytest.fixture(scope="module")
def window(market: GeneratedMarket) -> pd.DataFrame:
    """The newest 400 listings, as an evaluation's test window."""
    return market.packages.tail(400).reset_index(drop=True)


def test_expected_bids_are_what_full_exposure_draws_average_to(market: GeneratedMarket, window: pd.DataFrame) -> None:
    ids = market.investors.investor_id.tolist()
    grade, bid = expected_outcome(market.truth, ids, window)
    draws = [full_exposure_labels(market.truth, ids, window, seed) for seed in range(8)]
    mean_bids = sum(b.toarray() for _, b in draws) / len(draws)
    mean_grade = sum(g.toarray() for g, _ in draws) / len(draws)
    assert mean_bids.sum() == pytest.approx(bid.sum(), rel=0.04)
    assert mean_grade.sum() == pytest.approx(grade.sum(), rel=0.04)
    per_investor = np.corrcoef(mean_bids.sum(axis=1), bid.sum(axis=1))[0, 1]
    assert per_investor > 0.9


def test_labels_are_reproducible_and_withdrawn_packages_draw_no_bids(
    market: GeneratedMarket, window: pd.DataFrame
) -> None:
    ids = market.investors.investor_id.tolist()
    first, again = full_exposure_labels(market.truth, ids, window, 3), full_exposure_labels(market.truth, ids, window, 3)
    assert (first[0] != again[0]).nnz == 0 and (first[1] != again[1]).nnz == 0
    withdrawn = market.packages[market.packages.status == "withdrawn"].head(50)
    assert len(withdrawn) > 0
    _, bids = full_exposure_labels(market.truth, ids, withdrawn, 0)
    assert bids.nnz == 0
    assert expected_outcome(market.truth, ids, withdrawn)[1].max() == 0.0


def test_labels_reach_investors_the_legacy_feed_never_showed_the_window(
    market: GeneratedMarket, window: pd.DataFrame
) -> None:
    ids = market.investors.investor_id.tolist()
    grades, _ = full_exposure_labels(market.truth, ids, window, 0)
    labelled = {ids[row] for row in np.flatnonzero(np.diff(grades.indptr) > 0)}
    logged = set(market.events[market.events.package_id.isin(window.package_id)].investor_id)
    assert len(labelled - logged) > 0.3 * len(labelled)


def test_oracle_beats_activity_and_activity_blind_affinity_at_finding_buyers(
    market: GeneratedMarket, window: pd.DataFrame
) -> None:
    """The activity-blind affinity was no upper bound: ranking buyers by activity could beat it."""
    ids = market.investors.investor_id.tolist()
    oracle = MarketOracle(market.truth)
    recalls = {"oracle": [], "affinity": [], "activity": []}
    affinity = market.truth.affinity(ids, window).T
    activity = np.tile(market.truth.activity[market.truth.investor_index(ids)], (len(window), 1))
    expected = oracle.expected_bids(ids, window).T
    for seed in range(3):
        _, bids = oracle.full_exposure_labels(ids, window, seed)
        bidders = bids.T.tocsr()
        recalls["oracle"].append(recall_at(expected, bidders, 50))
        recalls["affinity"].append(recall_at(affinity, bidders, 50))
        recalls["activity"].append(recall_at(activity, bidders, 50))
    mean = {name: float(np.mean(values)) for name, values in recalls.items()}
    assert mean["oracle"] > mean["affinity"] + 0.05
    assert mean["oracle"] > mean["activity"] + 0.05
    # Activity times the activity-blind affinity is what the old oracle missed: the new one is it
    # (withdrawn packages aside, which nobody can bid on).
    visit = visit_probability(market.truth.activity[market.truth.investor_index(ids)])
    open_ = (window.status != "withdrawn").to_numpy()
    np.testing.assert_allclose(expected[open_], (affinity * visit[None, :])[open_], rtol=1e-9, atol=1e-15)


def test_oracle_ranks_each_investors_packages_best(market: GeneratedMarket, window: pd.DataFrame) -> None:
    ids = market.investors.investor_id.tolist()
    oracle = MarketOracle(market.truth)
    grades, _ = oracle.full_exposure_labels(ids, window, 0)
    ndcg = ranking_metrics(oracle.expected_grades(ids, window), grades, 10).ndcg
    shuffled = ranking_metrics(np.random.default_rng(0).random(grades.shape), grades, 10).ndcg
    affinity = ranking_metrics(market.truth.affinity(ids, window), grades, 10).ndcg
    assert ndcg > 4 * shuffled
    assert ndcg >= affinity - 0.005
