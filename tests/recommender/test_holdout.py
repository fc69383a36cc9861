"""The time-ordered holdout new versions are gated on: what it judges, how it widens, how it scores."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

import recommender.evaluation.holdout as holdout_module
from recommender.base import Recommender
from recommender.evaluation.holdout import choose_holdout, holdout_split, score_holdout
from recommender.evaluation.metrics import ranking_metrics, recall_at

END = datetime(2026, 6, 30, 12)
CUTOFF = END - timedelta(days=14)


def investors(n: int) -> pd.DataFrame:
    return pd.DataFrame({"investor_id": [f"I{i}" for i in range(n)], "registered_at": [datetime(2025, 1, 1)] * n})


def packages(rows: list[tuple[str, datetime, datetime]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["package_id", "listed_at", "closes_at"])


def events(rows: list[tuple[str, str, str, datetime]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["investor_id", "package_id", "event_type", "occurred_at"])


def test_the_holdout_judges_actions_after_the_cutoff_on_packages_live_in_the_window() -> None:
    market = packages([
        ("old-open", END - timedelta(days=30), END + timedelta(days=5)),  # listed before, still live
        ("new", END - timedelta(days=3), END + timedelta(days=20)),
        ("closed", END - timedelta(days=60), CUTOFF - timedelta(days=1)),  # closed before the window
    ])
    log = events([
        ("I0", "old-open", "favorite", CUTOFF - timedelta(days=2)),  # before the cutoff: training only
        ("I0", "old-open", "bid", CUTOFF + timedelta(days=1)),
        ("I1", "new", "dd_request", END - timedelta(days=1)),
        ("I1", "new", "view", END - timedelta(days=1)),  # a view is not relevance
        ("I2", "closed", "bid", CUTOFF - timedelta(days=3)),
    ])
    split = holdout_split(investors(3), market, log, CUTOFF, END)
    assert split.test_packages["package_id"].tolist() == ["old-open", "new"]
    assert split.test_investor_ids.external_ids.tolist() == ["I0", "I1"]
    assert split.relevance.toarray().tolist() == [[3.0, 0.0], [0.0, 2.0]]
    assert split.bidders.toarray()[:, 0].tolist() == [1.0, 0.0]  # old-open's bidder is I0
    assert len(split.train_events) == 2  # the favorite and the closed package's bid


def busy_market(actions_per_day: int, days: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One package per day, each bid on by ``actions_per_day`` distinct investors on its day."""
    rows, log = [], []
    for day in range(days):
        listed = END - timedelta(days=day, hours=1)
        rows.append((f"P{day}", listed, listed + timedelta(days=2)))
        log += [(f"I{(day * actions_per_day + a) % 500}", f"P{day}", "bid", listed + timedelta(minutes=a + 1))
                for a in range(actions_per_day)]
    return investors(500), packages(rows), events(log)


def test_a_busy_window_is_kept_as_asked() -> None:
    holdout = choose_holdout(*busy_market(actions_per_day=5, days=120), window_days=14)
    assert holdout.window_days == 14 and holdout.gated == ("ndcg@10", "buyer_recall@50")
    assert holdout.split.cutoff == holdout.end - timedelta(days=14)


def test_too_few_positives_widen_the_window() -> None:
    holdout = choose_holdout(*busy_market(actions_per_day=1, days=120), window_days=14, min_investors=20)
    assert holdout.window_days == 28
    assert holdout.investors >= 20 and holdout.sufficient


def test_a_market_too_small_to_gate_says_so() -> None:
    holdout = choose_holdout(*busy_market(actions_per_day=1, days=10), window_days=14)
    assert holdout.window_days == 56
    assert not holdout.sufficient and holdout.gated == ()
    assert any("nothing to fit on" in problem for problem in holdout.problems)
    assert holdout.describe()["gated"] == []


class FixedScores(Recommender[None]):
    """A stand-in model whose score for (investor, package) is a fixed random number."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.table: dict[tuple[str, str], float] = {}

    def _fit(self, training: None, progress: object) -> None:
        pass

    def score(self, investor_ids: Sequence[str], package_ids: Sequence[str]) -> np.ndarray:
        return np.array([[self.table.setdefault((i, p), self.rng.random()) for p in package_ids] for i in investor_ids])

    def known_packages(self) -> list[str]:
        return sorted({p for _, p in self.table})

    def known_investors(self) -> list[str]:
        return sorted({i for i, _ in self.table})


def test_chunked_scores_equal_the_whole_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    holdout = choose_holdout(*busy_market(actions_per_day=5, days=120), window_days=14)
    model = FixedScores(seed=4).fit(None)
    split = holdout.split
    package_ids = split.test_packages["package_id"].tolist()
    whole = ranking_metrics(model.score(split.test_investor_ids.external_ids.tolist(), package_ids), split.relevance, 10)
    with_bidders = np.flatnonzero(np.diff(split.bidders.indptr) > 0)
    buyer_scores = model.score(split.buyer_investor_ids.external_ids.tolist(), [package_ids[r] for r in with_bidders]).T
    monkeypatch.setattr(holdout_module, "SCORE_CHUNK_ROWS", 7)
    monkeypatch.setattr(holdout_module, "BUYER_CHUNK_PACKAGES", 3)
    score = score_holdout(model, holdout)
    assert score.metrics["ndcg@10"] == pytest.approx(whole.ndcg)
    assert score.metrics["hit_rate@10"] == pytest.approx(whole.hit_rate)
    assert score.metrics["buyer_recall@50"] == pytest.approx(recall_at(buyer_scores, split.bidders[with_bidders], 50))
    assert score.rows["ndcg@10"] == pytest.approx(whole.per_row_ndcg)
    assert len(score.rows["buyer_recall@50"]) == len(with_bidders)
    assert score.rows["buyer_recall@50"].mean() == pytest.approx(score.metrics["buyer_recall@50"])
