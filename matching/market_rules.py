"""The market's hard rules, which no operator setting can switch off.

- A bank's batch of 10+ non-performing loans goes only to licensed AMCs.
- Only live packages (active or upcoming, closing in the future) are recommended.
- A package an investor dismissed, or already won, is never recommended to it again.

They are applied inside retrieval (as allowed sets and exclusions), so a rule never leaves a
list short.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.contract import BANK_BATCH_MIN_LOANS

NEVER_AGAIN_EVENTS = frozenset({"dismiss", "win"})


def licence_required(packages: pd.DataFrame) -> np.ndarray:
    """Boolean mask: packages only a licensed AMC may buy (vectorised ``requires_amc_licence``)."""
    return (
        (packages["seller_type"] == "bank")
        & (packages["asset_class"] == "credit")
        & (packages["loan_count"] >= BANK_BATCH_MIN_LOANS)
    ).to_numpy()


@dataclass(frozen=True)
class MarketEligibility:
    """Who may be shown what, at one moment, under the hard rules."""

    live_package_ids: list[str]
    unlicensed_allowed_package_ids: list[str]
    licensed_investor_ids: set[str]
    never_again: dict[str, set[str]]  # investor -> packages it dismissed or won
    never_again_by_package: dict[str, set[str]]  # package -> investors who dismissed or won it
    licence_package_ids: set[str]

    def allowed_packages(self, licensed: bool) -> list[str]:
        return self.live_package_ids if licensed else self.unlicensed_allowed_package_ids


def market_eligibility(
    investors: pd.DataFrame, live: pd.DataFrame, events: pd.DataFrame
) -> MarketEligibility:
    """The hard-rule view of a market, given its live packages and its event log."""
    required = licence_required(live)
    final = events[events["event_type"].isin(NEVER_AGAIN_EVENTS)]
    by_investor: dict[str, set[str]] = defaultdict(set)
    by_package: dict[str, set[str]] = defaultdict(set)
    for investor_id, package_id in zip(final["investor_id"], final["package_id"], strict=True):
        by_investor[investor_id].add(package_id)
        by_package[package_id].add(investor_id)
    return MarketEligibility(
        live_package_ids=live["package_id"].tolist(),
        unlicensed_allowed_package_ids=live.loc[~required, "package_id"].tolist(),
        licensed_investor_ids=set(investors.loc[investors["licensed_amc"], "investor_id"]),
        never_again=dict(by_investor),
        never_again_by_package=dict(by_package),
        licence_package_ids=set(live.loc[required, "package_id"]),
    )
