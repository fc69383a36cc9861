"""Baselines a recommender must beat, each a model fitted on a split, scoring both directions.

Each baseline is a ``Recommender`` (``recommender.base``) whose fit is a ``MarketSplit``: it
learns from the split's training part and scores the split's test packages for its test
investors, and its buyer investors for those packages, so an evaluation scores it exactly as it
scores the hybrid (``market_report.model_scores``). The scorer functions below compute its
tables: ``(investor_scores, buyer_scores)``, test investors × test packages and test packages ×
buyer investors. Baselines get the same validation-time tuning the model gets where they have a
knob (popularity granularity).
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
import pandas as pd

from data.contract import REGION_OF_PROVINCE
from recommender.evaluation.oracle import SimulatedTruth
from recommender.evaluation.split import RELEVANCE_GRADES, MarketSplit
from recommender.idmap import IdMap
from recommender.score_table import ScoreTableModel, ScoreTables

Scores = tuple[np.ndarray, np.ndarray]
POPULARITY_KEYS: dict[str, tuple[str, ...]] = {
    "asset_type": ("asset_type",),
    "asset_type_region": ("asset_type", "region"),
    "asset_type_seller": ("asset_type", "seller_type"),
}


def random_scores(split: MarketSplit, seed: int = 0) -> Scores:
    rng = np.random.default_rng(seed)
    n_investors, n_packages = split.relevance.shape
    return rng.random((n_investors, n_packages)), rng.random((n_packages, len(split.buyer_investor_ids)))


def investor_activity(split: MarketSplit, investor_ids: list[str]) -> np.ndarray:
    """Graded actions each investor took before the cutoff (the buyer-side popularity)."""
    graded = split.train_events["event_type"].map(RELEVANCE_GRADES).fillna(0.0)
    totals = graded.groupby(split.train_events["investor_id"]).sum()
    return totals.reindex(investor_ids).fillna(0.0).to_numpy()


def popularity_scores(split: MarketSplit, granularity: str = "asset_type") -> Scores:
    """Packages ranked by how much the market acted on their kind; buyers by their activity."""
    keys = list(POPULARITY_KEYS[granularity])
    packages = _with_region(split.train_packages).set_index("package_id")
    graded = split.train_events.assign(grade=split.train_events["event_type"].map(RELEVANCE_GRADES)).dropna(
        subset=["grade"]
    )
    kinds = packages.loc[graded["package_id"], keys].reset_index(drop=True)
    popularity = kinds.assign(grade=graded["grade"].to_numpy()).groupby(keys)["grade"].sum()
    test = _with_region(split.test_packages)
    package_popularity = test.join(popularity, on=keys)["grade"].fillna(0.0).to_numpy()
    investor_scores = np.tile(package_popularity, (len(split.test_investor_ids), 1))
    activity = investor_activity(split, split.buyer_investor_ids.external_ids.tolist())
    buyer_scores = np.tile(activity, (len(split.test_packages), 1))
    return investor_scores, buyer_scores


def stated_preference_scores(split: MarketSplit) -> Scores:
    """Today's platform channel: filter by stated types, provinces and ticket range, newest first.

    Packages passing an investor's stated filters come first, newest first; buyers of a package
    are the investors whose filters it passes, the most active first.
    """
    investors = split.investors.set_index("investor_id")
    packages = split.test_packages
    newest = packages["listed_at"].rank(method="first").to_numpy() / (len(packages) + 1)
    investor_rows = investors.loc[split.test_investor_ids.external_ids.tolist()]
    investor_scores = _stated_match(investor_rows, packages) + newest[None, :]
    buyer_rows = investors.loc[split.buyer_investor_ids.external_ids.tolist()]
    activity = investor_activity(split, buyer_rows.index.tolist())
    activity_rank = pd.Series(activity).rank(method="first").to_numpy() / (len(activity) + 1)
    buyer_scores = _stated_match(buyer_rows, packages).T + activity_rank[None, :]
    return investor_scores, buyer_scores


def oracle_scores(truth: SimulatedTruth, split: MarketSplit) -> Scores:
    """The upper bound: investors' packages by expected grade, packages' buyers by bid probability."""
    packages = split.test_packages
    return (
        truth.expected_grades(split.test_investor_ids.external_ids.tolist(), packages),
        truth.expected_bids(split.buyer_investor_ids.external_ids.tolist(), packages).T,
    )


def _stated_match(investors: pd.DataFrame, packages: pd.DataFrame) -> np.ndarray:
    """1.0 where a package passes every filter the investor stated (an unstated filter passes)."""
    passes = np.ones((len(investors), len(packages)), dtype=bool)
    for column, package_column in (("preferred_asset_types", "asset_type"), ("preferred_provinces", "province")):
        stated = investors[column].fillna("").str.split(";")
        values = packages[package_column].to_numpy()
        for row, items in enumerate(stated):
            items = [item for item in items if item]
            if items:
                passes[row] &= np.isin(values, items)
    reserve = packages["reserve_price_cny"].to_numpy()
    low = investors["min_ticket_cny"].fillna(0.0).to_numpy()[:, None]
    high = investors["max_ticket_cny"].fillna(np.inf).to_numpy()[:, None]
    passes &= (reserve[None, :] >= low) & (reserve[None, :] <= high)
    return passes.astype(np.float64)


def _with_region(packages: pd.DataFrame) -> pd.DataFrame:
    return packages.assign(region=packages["province"].map(REGION_OF_PROVINCE))


class SplitBaseline(ScoreTableModel[MarketSplit]):
    """A baseline fitted on a split: its tables cover the split's test packages and investors."""

    def _tables(self, training: MarketSplit) -> ScoreTables:
        investor_scores, buyer_scores = self._split_scores(training)
        return ScoreTables(
            training.test_investor_ids,
            IdMap(training.test_packages["package_id"].tolist()),
            investor_scores,
            training.buyer_investor_ids,
            buyer_scores,
        )

    @abstractmethod
    def _split_scores(self, split: MarketSplit) -> Scores:
        """``(investor_scores, buyer_scores)`` over the split's test packages."""


class RandomBaseline(SplitBaseline):
    """Uniform random scores (the floor every model must clear)."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def _split_scores(self, split: MarketSplit) -> Scores:
        return random_scores(split, self.seed)


class PopularityBaseline(SplitBaseline):
    """Packages by how much the market acted on their kind; buyers by their activity."""

    def __init__(self, granularity: str = "asset_type") -> None:
        self.granularity = granularity

    def _split_scores(self, split: MarketSplit) -> Scores:
        return popularity_scores(split, self.granularity)


class StatedPreferenceBaseline(SplitBaseline):
    """Today's platform channel: the investor's stated filters, newest listings first."""

    def _split_scores(self, split: MarketSplit) -> Scores:
        return stated_preference_scores(split)


class OracleBaseline(SplitBaseline):
    """The upper bound of a simulated market: scores from its hidden truth."""

    def __init__(self, truth: SimulatedTruth | None = None) -> None:
        self.truth = truth

    def _split_scores(self, split: MarketSplit) -> Scores:
        if self.truth is None:
            raise ValueError("the oracle needs the simulated market's truth to fit")
        return oracle_scores(self.truth, split)
