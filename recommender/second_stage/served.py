"""A fitted first stage with its second stage, scored as serving orders: what the gate measures.

The promotion gate scores a version on a time-ordered holdout through the model interface
(``score``, ``score_buyers``). A version with a second stage serves the first stage's top block
re-ordered by it, so the holdout must see those orders too: :class:`ServedScores` wraps the
first stage and re-ranks every row with ``batch.rerank_matrix`` / ``batch.buyer_matrix``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from profiles import build_profiles
from recommender.hybrid import HybridRecommender
from recommender.second_stage.batch import buyer_matrix, rerank_matrix
from recommender.second_stage.context import InvestorContext, PackageContext
from recommender.second_stage.model import SecondStage


class ServedScores:
    """``score`` and ``score_buyers`` of a first stage as re-ordered by its second stage."""

    def __init__(
        self,
        first: HybridRecommender,
        stage: SecondStage,
        investors: InvestorContext,
        packages: PackageContext,
    ) -> None:
        self.first, self.stage, self.investors, self.packages = first, stage, investors, packages

    @classmethod
    def at(
        cls,
        first: HybridRecommender,
        stage: SecondStage,
        investors: pd.DataFrame,
        packages: pd.DataFrame,
        events: pd.DataFrame,
        now: datetime,
        listings: pd.DataFrame,
    ) -> ServedScores:
        """Contexts of ``investors`` as known at ``now`` and of the ``listings`` to be ranked."""
        profiles = build_profiles(investors, packages, events, now)
        context = InvestorContext.build(profiles, packages, events, now)
        return cls(first, stage, context, PackageContext.of(listings))

    def score(self, investor_ids: Sequence[str], package_ids: Sequence[str]) -> np.ndarray:
        first = self.first.score(investor_ids, package_ids)
        known = [i for i in investor_ids if i in self.investors.ids]
        if len(known) < len(investor_ids):  # not profiled at the cutoff: first stage alone
            return first
        return rerank_matrix(self.stage, self.investors, self.packages, investor_ids, package_ids, first)

    def score_buyers(self, package_ids: Sequence[str], investor_ids: Sequence[str]) -> np.ndarray:
        first = self.first.score_buyers(package_ids, investor_ids)
        if any(i not in self.investors.ids for i in investor_ids):
            return first
        return buyer_matrix(self.stage, self.investors, self.packages, package_ids, investor_ids, first)
