"""The second stage as serving runs it: contexts kept current, first-stage blocks re-ordered.

Serving retrieves candidates with the first stage and calls :meth:`LiveSecondStage.reorder` on
each query's block before any rule stage. The re-ordered block keeps the first stage's *score
values* (the best learned candidate gets the block's best first-stage score, and so on), so the
rule stages' blend, boosts and the model reason read numbers on the scale they were tuned for,
and the result stays "best first" for every caller (serving, batch push, widening).

Fold-in: a new or edited listing is added to the package context and a new or changed investor
written into the investor context, so both are ranked by the second stage at once (their
crosses are computed from their rows and profiles, never from training-time state).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from profiles import ProfileTable
from recommender.second_stage.context import InvestorContext, PackageContext
from recommender.second_stage.explain import explain
from recommender.second_stage.features import FirstStage, cross_features
from recommender.second_stage.model import SecondStage, best_first

INVESTOR_QUERY = "investor"  # an investor asks for listings (the LambdaRank re-ranker)
PACKAGE_QUERY = "package"  # a listing asks for buyers (the P(bid) classifier)


class LiveSecondStage:
    """A fitted second stage with the investor and listing contexts of one market."""

    def __init__(self, stage: SecondStage, investors: InvestorContext, packages: PackageContext) -> None:
        self.stage = stage
        self.investors = investors
        self.packages = packages

    @classmethod
    def build(
        cls,
        stage: SecondStage,
        profiles: ProfileTable,
        packages: pd.DataFrame,
        events: pd.DataFrame,
        now: datetime,
        investor_ids: Sequence[str],
    ) -> LiveSecondStage:
        """Contexts of ``investor_ids`` (profiled in ``profiles``) and of every listing in ``packages``."""
        investors = InvestorContext.build(profiles, packages, events, now, list(investor_ids))
        return cls(stage, investors, PackageContext.of(packages))

    # -------------------------------------------------------------------- fold-in
    def add_packages(self, packages: pd.DataFrame) -> None:
        """New or edited listings, read from their rows now."""
        if len(packages):
            self.packages.add(packages)

    def upsert_investors(
        self,
        profiles: ProfileTable,
        packages: pd.DataFrame,
        events: pd.DataFrame,
        now: datetime,
        investor_ids: Sequence[str],
    ) -> None:
        """Investors with a new or changed profile (``packages``: at least those ``events`` name)."""
        if investor_ids:
            fresh = InvestorContext.build(profiles, packages, events, now, list(investor_ids))
            self.investors = self.investors.upserted(fresh)

    # ---------------------------------------------------------------------- ranking
    def knows(self, investor_ids: Sequence[str], package_ids: Sequence[str]) -> bool:
        return all(i in self.investors.ids for i in investor_ids) and all(
            p in self.packages.ids for p in package_ids
        )

    def reorder(
        self, query: str, query_id: str, candidate_ids: Sequence[str], scores: np.ndarray
    ) -> np.ndarray:
        """Positions of a block of first-stage candidates (``scores`` best first), best learned first.

        ``query`` is the asking side (``"investor"``: the re-ranker; ``"package"``: the buyer
        classifier). Only the block's top ``params.candidates`` move; below it the first-stage
        order stays. A query or candidate missing from the contexts leaves the block as it is.
        """
        scores = np.asarray(scores, dtype=np.float64)
        limit = (
            self.stage.params.candidates if query == INVESTOR_QUERY else self.stage.params.buyer_candidates
        )
        top = min(limit, len(candidate_ids))
        identity = np.arange(len(candidate_ids))
        if top < 2:
            return identity
        block = list(candidate_ids[:top])
        if query == INVESTOR_QUERY:
            if not self.knows([query_id], block):
                return identity
            package_rows = self.packages.ids.rows(block, "package")
            investor_rows = np.full(top, self.investors.ids.row(query_id, "investor"))
        else:
            if not self.knows(block, [query_id]):
                return identity
            investor_rows = self.investors.ids.rows(block, "investor")
            package_rows = np.full(top, self.packages.ids.row(query_id, "package"))
        features = cross_features(
            self.investors, self.packages, investor_rows, package_rows, FirstStage.of_block(scores[:top])
        )
        learned = (
            self.stage.ranker_scores(features)
            if query == INVESTOR_QUERY
            else self.stage.buyer_probabilities(features)
        )
        identity[:top] = best_first(learned, scores[:top])
        return identity

    def reasons(
        self, investor_id: str, package_ids: Sequence[str], first_stage_scores: np.ndarray, top: int = 2
    ) -> dict[str, list[tuple[str, float, str]]]:
        """Per listing shown, ``[(feature, contribution, sentence)]`` of its top contributing features.

        ``first_stage_scores`` are the shown listings' first-stage scores; empty when a listing
        or the investor is unknown to the contexts.
        """
        if not len(package_ids) or not self.knows([investor_id], package_ids):
            return {package_id: [] for package_id in package_ids}
        return explain(
            self.stage,
            self.investors,
            self.packages,
            investor_id,
            list(package_ids),
            np.asarray(first_stage_scores, dtype=np.float64),
            top=top,
        )
