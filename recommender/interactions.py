"""The investor × package interaction matrix the models learn from.

Each event counts with the strength of its type (a bid says more than a view; a dismissal
counts against) and fades with age, so recent taste outweighs old taste. Pairs whose net
evidence is not positive carry no positive signal.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.idmap import IdMap

SECONDS_PER_DAY = 86_400.0


def interaction_matrix(
    events: pd.DataFrame,
    investors: IdMap,
    packages: IdMap,
    event_weights: Mapping[str, float],
    half_life_days: float,
    now: datetime,
) -> sp.csr_matrix:
    """Net, recency-weighted evidence per (investor, package), float32 CSR.

    Events after ``now`` and events on unmapped investors or packages are ignored, so a
    training cutoff can never leak later behaviour into the matrix.
    """
    strength = events["event_type"].map(event_weights).fillna(0.0).to_numpy(dtype=np.float64)
    occurred = events["occurred_at"].to_numpy(dtype="datetime64[s]")
    age_days = (np.datetime64(now, "s") - occurred).astype(np.float64) / SECONDS_PER_DAY
    investor_rows = investors.rows_or_missing(events["investor_id"].tolist())
    package_rows = packages.rows_or_missing(events["package_id"].tolist())
    keep = (strength != 0) & (age_days >= 0) & (investor_rows >= 0) & (package_rows >= 0)
    decay = np.power(0.5, age_days[keep] / half_life_days)
    matrix = sp.coo_matrix(
        (strength[keep] * decay, (investor_rows[keep], package_rows[keep])),
        shape=(len(investors), len(packages)),
    ).tocsr()  # duplicates are summed
    matrix.sum_duplicates()
    return matrix.astype(np.float32)


def positive_part(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Only the pairs with positive net evidence."""
    positive = matrix.multiply(matrix > 0).tocsr()
    positive.eliminate_zeros()
    return positive.astype(np.float32)
