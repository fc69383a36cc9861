"""Time-ordered splits of a market: learn from the past, be judged on listings that came later.

Every package listed after the cutoff is cold by construction: nothing about it is in the
training data. Relevance comes from what investors actually did on those packages, graded
favorite 1, due-diligence request 2, bid or win 3. Buyer discovery is judged on bidders alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.idmap import IdMap

RELEVANCE_GRADES: dict[str, float] = {"favorite": 1.0, "dd_request": 2.0, "bid": 3.0, "win": 3.0}
BIDDER_EVENTS = frozenset({"bid", "win"})


@dataclass(frozen=True)
class MarketSplit:
    """What a model may learn from (``train_*``) and what it is judged on (``test_*``)."""

    cutoff: datetime
    train_investors: pd.DataFrame
    train_packages: pd.DataFrame
    train_events: pd.DataFrame
    investors: pd.DataFrame  # everyone registered by the end of the test window
    test_packages: pd.DataFrame
    test_investor_ids: IdMap  # investors with at least one relevant action on a test package
    relevance: sp.csr_matrix  # test investors × test packages, graded
    buyer_investor_ids: IdMap  # every investor a buyer search may return
    bidders: sp.csr_matrix  # test packages × buyer investors, 1 where the investor bid


def time_split(
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    cutoff: datetime,
    end: datetime | None = None,
) -> MarketSplit:
    """Split at ``cutoff``: train on everything before it, test on packages listed in (cutoff, end]."""
    end = end or pd.Timestamp(packages["listed_at"].max()).to_pydatetime() + timedelta(seconds=1)
    train_events = events[events["occurred_at"] <= cutoff]
    test_packages = packages[(packages["listed_at"] > cutoff) & (packages["listed_at"] <= end)]
    test_packages = test_packages.reset_index(drop=True)
    present = investors[investors["registered_at"] <= end].reset_index(drop=True)
    on_test = events[events["package_id"].isin(set(test_packages["package_id"]))]
    graded = on_test.assign(grade=on_test["event_type"].map(RELEVANCE_GRADES)).dropna(subset=["grade"])
    graded = graded[graded["investor_id"].isin(set(present["investor_id"]))]
    test_investor_ids = IdMap(sorted(graded["investor_id"].unique()))
    package_ids = IdMap(test_packages["package_id"])
    buyer_ids = IdMap(present["investor_id"])
    relevance = max_matrix(
        graded, test_investor_ids, package_ids, "investor_id", "package_id", graded["grade"].to_numpy()
    )
    bids = graded[graded["event_type"].isin(BIDDER_EVENTS)]
    bidders = max_matrix(bids, package_ids, buyer_ids, "package_id", "investor_id", np.ones(len(bids)))
    return MarketSplit(
        cutoff=cutoff,
        train_investors=investors[investors["registered_at"] <= cutoff].reset_index(drop=True),
        train_packages=packages[packages["listed_at"] <= cutoff].reset_index(drop=True),
        train_events=train_events.reset_index(drop=True),
        investors=present,
        test_packages=test_packages,
        test_investor_ids=test_investor_ids,
        relevance=relevance,
        buyer_investor_ids=buyer_ids,
        bidders=bidders,
    )


# (investor ids, test packages) -> (graded reactions, bids), both investors x packages, sparse.
Labeler = Callable[[Sequence[str], pd.DataFrame], tuple[sp.csr_matrix, sp.csr_matrix]]


def relabelled(split: MarketSplit, labeler: Labeler) -> MarketSplit:
    """The split judged on labels drawn by ``labeler`` instead of the logged events.

    The log only shows reactions to what the legacy feed chose to show, so judging on it mixes
    taste with exposure. A simulator can instead draw every investor's reaction to every test
    package (full exposure); the test investors become those with a graded reaction, the
    bidders those who bid, and nothing the models train on changes.
    """
    investor_ids = split.buyer_investor_ids.external_ids.tolist()
    grades, bids = labeler(investor_ids, split.test_packages)
    grades, bids = sp.csr_matrix(grades), sp.csr_matrix(bids)
    expected = (len(investor_ids), len(split.test_packages))
    if grades.shape != expected or bids.shape != expected:
        raise ValueError(f"labels must be investors x test packages {expected}, got {grades.shape} and {bids.shape}")
    grades.eliminate_zeros()
    acted = np.flatnonzero(np.diff(grades.indptr) > 0)
    order = np.array(sorted(acted, key=lambda row: investor_ids[row]), dtype=np.int64)
    return replace(
        split,
        test_investor_ids=IdMap([investor_ids[row] for row in order]),
        relevance=sp.csr_matrix(grades[order], dtype=np.float32),
        bidders=sp.csr_matrix((bids > 0).T, dtype=np.float32),
    )


def max_matrix(
    frame: pd.DataFrame, row_ids: IdMap, column_ids: IdMap, row_column: str, column_column: str, values: np.ndarray
) -> sp.csr_matrix:
    """A sparse matrix keeping the largest value per cell."""
    rows = row_ids.rows_or_missing(frame[row_column].tolist())
    columns = column_ids.rows_or_missing(frame[column_column].tolist())
    keep = (rows >= 0) & (columns >= 0)
    cells = pd.DataFrame({"r": rows[keep], "c": columns[keep], "v": values[keep]}).groupby(["r", "c"])["v"].max()
    return sp.csr_matrix(
        (cells.to_numpy(dtype=np.float32), (cells.index.get_level_values(0), cells.index.get_level_values(1))),
        shape=(len(row_ids), len(column_ids)),
    )
