"""What investors would do with listings they were all shown: expected and simulated outcomes.

The event log only holds reactions to what the legacy feed happened to show (an audience drawn
by coarse segment and activity). Judging a recommender on it mixes taste with exposure, and an
oracle that knows taste but not exposure is no upper bound. So evaluations use two things here:

- ``expected_outcome``: the expected graded reaction and bid of each investor to each package
  under the simulator, when the package is in their feed: they look in on it at all with a
  probability that grows with their activity (``visit_probability``), then the funnel of
  ``behaviour`` follows. Ranked by these, nothing can do better in expectation, in either
  direction (an investor's packages, or a package's buyers).
- ``full_exposure_labels``: one draw of that process for every investor and package, the test
  labels of a window where everybody was shown every listing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit

from . import propensity
from .behaviour import BIDDER_DD_RATE, BIDDER_FAVORITE_RATE, DD_REQUEST_OFFSET, FAVORITE_OFFSET, HESITANT_DD_BOOST
from .truth import MarketTruth

# An investor of activity a looks in on a listing in their feed with probability 1 - exp(-a / scale):
# a typical institution (activity ~3-5) nearly always, a typical individual (~0.5) one time in five,
# a dormant account almost never.
ACTIVITY_VISIT_SCALE = 2.0
# Graded relevance of each reaction (as the evaluations grade logged events).
GRADE_FAVORITE, GRADE_DD_REQUEST, GRADE_BID = 1.0, 2.0, 3.0
# Investor rows computed at once, bounding the temporary investor x package arrays.
_CELLS_PER_STEP = 1_000_000


def visit_probability(activity: np.ndarray) -> np.ndarray:
    """Chance that an investor of this activity looks in on a given listing in their feed."""
    return -np.expm1(-np.asarray(activity, dtype=np.float64) / ACTIVITY_VISIT_SCALE)


@dataclass(frozen=True)
class _Funnel:
    """Per-pair probabilities of each step, for a block of investors x packages."""

    visit: np.ndarray
    view: np.ndarray
    bid: np.ndarray  # given a view
    dd: np.ndarray  # given a view and no bid
    favorite: np.ndarray  # given a view and no bid
    bidder_dd: np.ndarray  # given a bid
    bidder_favorite: float


def _funnel(truth: MarketTruth, inv: np.ndarray, feats: propensity.PackageFeatures, withdrawn: np.ndarray) -> _Funnel:
    pkg = np.arange(len(withdrawn))[None, :]
    rows = inv[:, None]
    logit = propensity.interest_logit(truth, rows, feats, pkg)
    hesitant = truth.hesitant_mask[rows]
    bid = propensity.bid_probability_given_view(truth, rows, feats, pkg, logit) * ~withdrawn[None, :]
    return _Funnel(
        visit=visit_probability(truth.activity[rows]),
        view=propensity.view_probability(truth, rows, logit),
        bid=bid,
        dd=expit(logit + DD_REQUEST_OFFSET + HESITANT_DD_BOOST * hesitant),
        favorite=expit(logit + FAVORITE_OFFSET),
        bidder_dd=np.where(hesitant, BIDDER_DD_RATE[1], BIDDER_DD_RATE[0]),
        bidder_favorite=BIDDER_FAVORITE_RATE,
    )


def _blocks(truth: MarketTruth, investor_ids: Sequence[str], packages: pd.DataFrame):  # type: ignore[no-untyped-def]
    inv = truth.investor_index(investor_ids)
    feats = truth.features(packages)
    withdrawn = (packages["status"].astype(str) == "withdrawn").to_numpy()
    step = max(1, _CELLS_PER_STEP // max(len(packages), 1))
    for start in range(0, len(inv), step):
        yield start, _funnel(truth, inv[start : start + step], feats, withdrawn)


def expected_outcome(
    truth: MarketTruth, investor_ids: Sequence[str], packages: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Expected graded reaction and probability of a bid, investors x packages, at full exposure.

    The grade is the best reaction (bid 3, due-diligence request 2, favorite 1), as the
    evaluations grade logged events; both include the investor's chance of looking at all.
    """
    grade = np.empty((len(investor_ids), len(packages)))
    bid = np.empty_like(grade)
    for start, f in _blocks(truth, investor_ids, packages):
        seen = f.visit * f.view
        no_bid = f.dd * GRADE_DD_REQUEST + (1.0 - f.dd) * f.favorite * GRADE_FAVORITE
        rows = slice(start, start + len(seen))
        grade[rows] = seen * (f.bid * GRADE_BID + (1.0 - f.bid) * no_bid)
        bid[rows] = seen * f.bid
    return grade, bid


def full_exposure_labels(
    truth: MarketTruth, investor_ids: Sequence[str], packages: pd.DataFrame, seed: int
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """One draw of every investor's reaction to every package: (graded reactions, bids), sparse.

    The same funnel as the simulator's (a look-in by activity, then view, bid, due-diligence
    request and favorite), drawn for every pair rather than for an audience the feed chose.
    Withdrawn packages draw no bids. Same arguments and seed, same labels.
    """
    rng = np.random.default_rng(seed)
    grades, bids = [], []
    for _, f in _blocks(truth, investor_ids, packages):
        u = rng.random((5, *f.view.shape))
        viewed = (u[0] < f.visit) & (u[1] < f.view)
        bid = viewed & (u[2] < f.bid)
        dd = viewed & (u[3] < np.where(bid, f.bidder_dd, f.dd))
        favorite = viewed & (u[4] < np.where(bid, f.bidder_favorite, f.favorite))
        grade = np.where(bid, GRADE_BID, np.where(dd, GRADE_DD_REQUEST, np.where(favorite, GRADE_FAVORITE, 0.0)))
        grades.append(sp.csr_matrix(grade))
        bids.append(sp.csr_matrix(bid.astype(np.float64)))
    shape = (len(investor_ids), len(packages))
    if not grades:
        return sp.csr_matrix(shape), sp.csr_matrix(shape)
    return sp.vstack(grades, format="csr"), sp.vstack(bids, format="csr")


@dataclass(frozen=True, eq=False)
class MarketOracle:
    """A generated market's hidden truth as an evaluation reads it: labels and the true upper bound.

    ``expected_grades`` ranks an investor's packages, ``expected_bids`` a package's buyers (both
    at full exposure, activity included); ``full_exposure_labels`` draws the test labels.
    """

    truth: MarketTruth

    @property
    def hesitant(self) -> frozenset[str]:
        """Ids of the hidden hesitant investors (a segment of the report)."""
        return self.truth.hesitant

    def expected_grades(self, investor_ids: Sequence[str], packages: pd.DataFrame) -> np.ndarray:
        """Expected graded reaction, investors x packages."""
        return expected_outcome(self.truth, investor_ids, packages)[0]

    def expected_bids(self, investor_ids: Sequence[str], packages: pd.DataFrame) -> np.ndarray:
        """Probability of a bid, investors x packages."""
        return expected_outcome(self.truth, investor_ids, packages)[1]

    def full_exposure_labels(
        self, investor_ids: Sequence[str], packages: pd.DataFrame, seed: int
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Graded reactions and bids, investors x packages, of a window where all saw everything."""
        return full_exposure_labels(self.truth, investor_ids, packages, seed)
