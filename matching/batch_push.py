"""The daily batch push: for every investor its ranked live packages, for every live package
its ranked eligible buyers, with the market's hard rules applied inside retrieval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from matching.market_rules import MarketEligibility
from recommender.hybrid import HybridRecommender

BATCH = 2_048
Progress = Callable[[int], None]


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
        group = [i for i in investor_ids if (i in licensed) == is_licensed]
        allowed = eligibility.allowed_packages(is_licensed)
        for start in range(0, len(group), BATCH):
            batch = group[start : start + BATCH]
            exclude = {i: eligibility.never_again[i] for i in batch if i in eligibility.never_again}
            results = model.recommend(batch, k, allowed_packages=allowed, exclude=exclude)
            ranked.update({i: [p for p, _ in r] for i, r in zip(batch, results, strict=True)})
            if on_progress:
                on_progress(len(batch))
    return {i: ranked[i] for i in investor_ids}


def rank_buyers(
    model: HybridRecommender,
    eligibility: MarketEligibility,
    k: int,
    on_progress: Progress | None = None,
) -> dict[str, list[str]]:
    """Each live package's top ``k`` investors who may buy it and have not dismissed it."""
    ranked: dict[str, list[str]] = {}
    packages = eligibility.live_package_ids
    for needs_licence in (True, False):
        group = [p for p in packages if (p in eligibility.licence_package_ids) == needs_licence]
        allowed = eligibility.licensed_investor_ids if needs_licence else None
        for start in range(0, len(group), BATCH):
            batch = group[start : start + BATCH]
            exclude = {p: eligibility.never_again_by_package[p] for p in batch if p in eligibility.never_again_by_package}
            results = model.buyers(batch, k, allowed_investors=allowed, exclude=exclude)
            ranked.update({p: [i for i, _ in r] for p, r in zip(batch, results, strict=True)})
            if on_progress:
                on_progress(len(batch))
    return {p: ranked[p] for p in packages}
