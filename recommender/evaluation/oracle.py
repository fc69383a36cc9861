"""What an evaluation needs from a simulated market's hidden truth: labels and the upper bound.

A generator's truth (``data.generator.MarketOracle``) provides it; the evaluation only relies on
this protocol, so another simulator of the same contract can be judged the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp


class SimulatedTruth(Protocol):
    """The hidden truth of a simulated market, as the market evaluations read it."""

    @property
    def hesitant(self) -> frozenset[str]:
        """Ids of the investors the simulator made hesitant (a report segment)."""

    def expected_grades(self, investor_ids: Sequence[str], packages: pd.DataFrame) -> np.ndarray:
        """Expected graded reaction (bid 3, due-diligence request 2, favorite 1), investors x packages.

        Ranked by it, an investor's list is the best possible in expectation: the oracle of NDCG.
        """

    def expected_bids(self, investor_ids: Sequence[str], packages: pd.DataFrame) -> np.ndarray:
        """Probability that each investor bids on each package: the oracle of buyer discovery."""

    def full_exposure_labels(
        self, investor_ids: Sequence[str], packages: pd.DataFrame, seed: int
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(graded reactions, bids), investors x packages, drawn with every investor shown every package."""
