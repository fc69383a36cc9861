"""The time-ordered holdout every new model version is measured on before it may serve.

Design (docs/operations.md explains it for operators):

- The holdout is the newest ``window`` of the market: cutoff = newest event time − window
  (14 days by default). A model with the configuration under test is fitted on what was known
  at the cutoff and judged on what investors did after it.
- Judged on: every package live at some moment of the window (listed by its end, closing after
  the cutoff), whether listed before or inside it — that is what serving ranked then.
  NDCG@10 over investors' favorites (1), due-diligence requests (2) and bids or wins (3) in the
  window, graded as in ``split.RELEVANCE_GRADES``; buyer recall@50 over each package's bidders
  in the window among every investor registered by its end.
- Too few positives make a noisy gate, so the window doubles (up to 4×) until at least
  ``min_investors`` investors acted and ``min_packages`` packages drew a bid. A metric that is
  still short of rows is not gated on, and the holdout says so.

Scores are computed in chunks of rows, so a 100,000-investor market never needs an
investors × packages matrix in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from data.wording import count
from recommender.evaluation.metrics import RankingMetrics, ranking_metrics
from recommender.evaluation.split import BIDDER_EVENTS, RELEVANCE_GRADES, MarketSplit, max_matrix
from recommender.base import Recommender
from recommender.idmap import IdMap

DEFAULT_HOLDOUT_DAYS = 14.0
WINDOW_WIDENINGS = (1, 2, 4)
MIN_HOLDOUT_INVESTORS = 20
MIN_HOLDOUT_PACKAGES = 10
NDCG = "ndcg@10"
BUYER_RECALL = "buyer_recall@50"
SCORE_CHUNK_ROWS = 1024
BUYER_CHUNK_PACKAGES = 256


@dataclass(frozen=True)
class Holdout:
    """A holdout window, the split a model is fitted and judged on, and what it can measure."""

    split: MarketSplit
    end: datetime
    window_days: float
    investors: int  # investors with a graded action in the window (NDCG rows)
    packages: int  # packages with a bidder in the window (buyer recall rows)
    gated: tuple[str, ...]  # metrics with enough rows to gate on
    problems: tuple[str, ...] = field(default=())

    @property
    def sufficient(self) -> bool:
        return bool(self.gated)

    def describe(self) -> dict[str, Any]:
        """The holdout as stored with each version's metrics."""
        return {
            "cutoff": self.split.cutoff.isoformat(timespec="seconds"),
            "end": self.end.isoformat(timespec="seconds"),
            "window_days": self.window_days,
            "investors": self.investors,
            "packages": len(self.split.test_packages),
            "packages_with_bidders": self.packages,
            "gated": list(self.gated),
            "problems": list(self.problems),
        }


def holdout_split(
    investors: pd.DataFrame, packages: pd.DataFrame, events: pd.DataFrame, cutoff: datetime, end: datetime
) -> MarketSplit:
    """Train on what was known at ``cutoff``; judge on actions in (cutoff, end] on packages live then."""
    train_events = events[events["occurred_at"] <= cutoff]
    live = (packages["listed_at"] <= end) & (packages["closes_at"] > cutoff)
    test_packages = packages[live].reset_index(drop=True)
    present = investors[investors["registered_at"] <= end].reset_index(drop=True)
    in_window = events[(events["occurred_at"] > cutoff) & (events["occurred_at"] <= end)]
    on_test = in_window[in_window["package_id"].isin(set(test_packages["package_id"]))]
    graded = on_test.assign(grade=on_test["event_type"].map(RELEVANCE_GRADES)).dropna(subset=["grade"])
    graded = graded[graded["investor_id"].isin(set(present["investor_id"]))]
    test_investor_ids = IdMap(sorted(graded["investor_id"].unique()))
    package_ids = IdMap(test_packages["package_id"])
    buyer_ids = IdMap(present["investor_id"])
    bids = graded[graded["event_type"].isin(BIDDER_EVENTS)]
    return MarketSplit(
        cutoff=cutoff,
        train_investors=investors[investors["registered_at"] <= cutoff].reset_index(drop=True),
        train_packages=packages[packages["listed_at"] <= cutoff].reset_index(drop=True),
        train_events=train_events.reset_index(drop=True),
        investors=present,
        test_packages=test_packages,
        test_investor_ids=test_investor_ids,
        relevance=max_matrix(
            graded, test_investor_ids, package_ids, "investor_id", "package_id", graded["grade"].to_numpy()
        ),
        buyer_investor_ids=buyer_ids,
        bidders=max_matrix(bids, package_ids, buyer_ids, "package_id", "investor_id", np.ones(len(bids))),
    )


def choose_holdout(
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    window_days: float = DEFAULT_HOLDOUT_DAYS,
    min_investors: int = MIN_HOLDOUT_INVESTORS,
    min_packages: int = MIN_HOLDOUT_PACKAGES,
) -> Holdout:
    """The first window (×1, ×2, ×4) with enough positives for both metrics, else the widest."""
    if events.empty:
        raise ValueError("no events: there is nothing to hold out")
    end = pd.Timestamp(events["occurred_at"].max()).to_pydatetime()
    holdout = None
    for widening in WINDOW_WIDENINGS:
        days = window_days * widening
        holdout = _measure(investors, packages, events, end, days, min_investors, min_packages)
        if len(holdout.gated) == 2:
            return holdout
    assert holdout is not None  # WINDOW_WIDENINGS is not empty
    return holdout


def _measure(
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    end: datetime,
    days: float,
    min_investors: int,
    min_packages: int,
) -> Holdout:
    split = holdout_split(investors, packages, events, end - timedelta(days=days), end)
    n_investors = int((np.asarray(split.relevance.sum(axis=1)).ravel() > 0).sum())
    n_packages = int((np.diff(split.bidders.indptr) > 0).sum())
    problems = []
    if split.train_events.empty:
        problems.append(f"no events before the cutoff {split.cutoff:%Y-%m-%d %H:%M}: nothing to fit on")
    if n_investors < min_investors:
        problems.append(
            f"{count(n_investors, 'investor')} acted in the window (fewer than {min_investors}): "
            "NDCG@10 not gated"
        )
    if n_packages < min_packages:
        problems.append(
            f"{count(n_packages, 'package')} drew a bid in the window (fewer than {min_packages}): "
            "buyer recall@50 not gated"
        )
    gated: tuple[str, ...] = ()
    if not split.train_events.empty:
        enough = {NDCG: n_investors >= min_investors, BUYER_RECALL: n_packages >= min_packages}
        gated = tuple(name for name, met in enough.items() if met)
    return Holdout(split, end, days, n_investors, n_packages, gated, tuple(problems))


@dataclass(frozen=True)
class HoldoutScore:
    """A model's holdout metrics, and the per-row values of the gated ones (same rows for every model).

    ``rows["ndcg@10"]`` holds each acting investor's NDCG@10 and ``rows["buyer_recall@50"]``
    each bid-on package's buyer recall, in the holdout's order, so two models scored on one
    holdout can be compared row by row (the gate's noise estimate).
    """

    metrics: dict[str, float]
    rows: dict[str, np.ndarray]


def score_holdout(model: Recommender, holdout: Holdout) -> HoldoutScore:  # type: ignore[type-arg]
    """Ranking metrics of a model fitted at the holdout's cutoff (see ``fit_on_split``).

    Means over investors who acted (NDCG@10, precision, recall, hit rate at 10) and over packages
    with a bidder (buyer recall at 20 and 50); a metric with no rows is left out.
    """
    split = holdout.split
    package_ids = split.test_packages["package_id"].tolist()
    metrics: dict[str, float] = {}
    rows: dict[str, np.ndarray] = {}
    investor_ids = split.test_investor_ids.external_ids.tolist()
    if investor_ids:
        chunks = [
            ranking_metrics(model.score(investor_ids[start : start + SCORE_CHUNK_ROWS], package_ids),
                            split.relevance[start : start + SCORE_CHUNK_ROWS], 10)
            for start in range(0, len(investor_ids), SCORE_CHUNK_ROWS)
        ]
        for name, attribute in (("ndcg@10", "ndcg"), ("precision@10", "precision"), ("recall@10", "recall"),
                                ("hit_rate@10", "hit_rate")):
            metrics[name] = _row_weighted(chunks, attribute)
        rows[NDCG] = np.concatenate([chunk.per_row_ndcg for chunk in chunks])
    with_bidders = np.flatnonzero(np.diff(split.bidders.indptr) > 0)
    if len(with_bidders):
        buyers = split.buyer_investor_ids.external_ids.tolist()
        for k in (20, 50):
            chunks = []
            for start in range(0, len(with_bidders), BUYER_CHUNK_PACKAGES):
                chosen = with_bidders[start : start + BUYER_CHUNK_PACKAGES]
                scores = model.score_buyers([package_ids[row] for row in chosen], buyers)
                chunks.append(ranking_metrics(scores, (split.bidders[chosen] > 0).astype(np.float64), k))
            metrics[f"buyer_recall@{k}"] = _row_weighted(chunks, "recall")
            if f"buyer_recall@{k}" == BUYER_RECALL:
                rows[BUYER_RECALL] = np.concatenate([chunk.per_row_recall for chunk in chunks])
    return HoldoutScore(metrics, rows)


def _row_weighted(chunks: list[RankingMetrics], attribute: str) -> float:
    rows = sum(chunk.rows for chunk in chunks)
    return float(sum(getattr(chunk, attribute) * chunk.rows for chunk in chunks) / rows) if rows else 0.0
