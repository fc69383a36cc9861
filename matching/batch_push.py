"""The daily batch push: for every investor its ranked live packages, for every live package
its ranked eligible buyers, with the market's hard rules applied inside retrieval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from matching.market_rules import MarketEligibility
from recommender.hybrid import HybridRecommender, Ranked

BATCH = 2_048
Progress = Callable[[int], None]
Search = Callable[[list[str]], list[Ranked]]


def rank_investors(
    model: HybridRecommender,
    investor_ids: Sequence[str],
    licensed: set[str],
    eligibility: MarketEligibility,
    k: int,
    on_progress: Progress | None = None,
) -> dict[str, list[str]]:
    """Each investor's top ``k`` live packages it may buy and has not dismissed or won."""
    ranked: dict[str, list[str]] = {}
    for is_licensed in (True, False):
        allowed = eligibility.allowed_packages(is_licensed)

        def search(batch: list[str], allowed: list[str] = allowed) -> list[Ranked]:
            exclude = {i: eligibility.never_again[i] for i in batch if i in eligibility.never_again}
            return model.recommend(batch, k, allowed_packages=allowed, exclude=exclude)

        group = [i for i in investor_ids if (i in licensed) == is_licensed]
        ranked.update(_in_batches(group, search, on_progress))
    return {i: ranked[i] for i in investor_ids}


def rank_buyers(
    model: HybridRecommender,
    eligibility: MarketEligibility,
    k: int,
    on_progress: Progress | None = None,
) -> dict[str, list[str]]:
    """Each live package's top ``k`` investors who may buy it and have not dismissed it."""
    ranked: dict[str, list[str]] = {}
    for needs_licence in (True, False):
        allowed = eligibility.licensed_investor_ids if needs_licence else None

        def search(batch: list[str], allowed: set[str] | None = allowed) -> list[Ranked]:
            never = eligibility.never_again_by_package
            exclude = {p: never[p] for p in batch if p in never}
            return model.buyers(batch, k, allowed_investors=allowed, exclude=exclude)

        group = [p for p in eligibility.live_package_ids if (p in eligibility.licence_package_ids) == needs_licence]
        ranked.update(_in_batches(group, search, on_progress))
    return {p: ranked[p] for p in eligibility.live_package_ids}


def _in_batches(ids: list[str], search: Search, on_progress: Progress | None) -> dict[str, list[str]]:
    """Run ``search`` over ``ids`` a batch at a time; keep the ranked ids, drop the scores."""
    ranked: dict[str, list[str]] = {}
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        for key, result in zip(batch, search(batch), strict=True):
            ranked[key] = [other for other, _ in result]
        if on_progress:
            on_progress(len(batch))
    return ranked
