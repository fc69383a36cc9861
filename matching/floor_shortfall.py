"""Why a live listing is still below the exposure floor: one sentence an operator can act on.

The batch push lifts every live listing into at least ``exposure.floor_investors`` investors'
top ``exposure.floor_top_k`` when it can (``matching.batch_push``). When it cannot, a bare
count says nothing about what to change, so each listing left below gets the first of these
that explains it, counted over the investors it is offered to:

- the market's hard rules leave too few investors (``"licence rule: 12 loans, 1 licensed
  AMC"``, ``"only 2 investors eligible under market rules"``): nothing an operator can do;
- the rule set leaves too few (``"only 2 investors eligible under the rule set (most removed
  by province_blocked: 40)"``): an operator rule to revisit;
- otherwise there were enough eligible investors but their lists had no room (the daily cap,
  diversity caps, or every place held by listings at their own floor).

:func:`eligibility_shortfall` is the rule part alone, for reports (the console's exposure page
over served lists) where "no room" is not the only other explanation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from data.wording import count
from matching.eligibility import CODE, MARKET_CODES, REMOVAL_CODES
from matching.matcher import Matcher

__all__ = ["Shortfall", "eligibility_shortfall", "floor_shortfalls", "why_below_floor"]


@dataclass(frozen=True)
class Shortfall:
    """A live listing below the floor: how many investors have it in their top, and why no more."""

    package_id: str
    in_top: int
    reason: str

    def line(self, floor_top_k: int) -> str:
        held = "investor's" if self.in_top == 1 else "investors'"
        return f"{self.package_id}: in {self.in_top} {held} top {floor_top_k}: {self.reason}"


def why_below_floor(
    matcher: Matcher,
    package_id: str,
    investor_ids: Collection[str] | None = None,
    now: datetime | None = None,
) -> str:
    """Why ``package_id`` is below the floor of a push, from the eligibility of every investor.

    ``investor_ids`` are the investors the push ranked (default: every investor the model knows).
    """
    found = eligibility_shortfall(matcher, package_id, investor_ids, now)
    if found is not None:
        return found
    exposure = matcher.rules.exposure
    cap = exposure.daily_cap_per_package
    cap_text = f", daily cap {cap}" if cap is not None else ""
    return (
        f"enough investors eligible, but their top {exposure.floor_top_k} lists had no room "
        f"(places held by listings at their own floor, diversity caps{cap_text})"
    )


def eligibility_shortfall(
    matcher: Matcher,
    package_id: str,
    investor_ids: Collection[str] | None = None,
    now: datetime | None = None,
) -> str | None:
    """Which rules leave ``package_id`` fewer eligible investors than the floor; None if none do."""
    state, model = matcher.state, matcher.model
    floor = matcher.rules.exposure.floor_investors
    if package_id not in state.packages:
        return "not a known listing"
    today = state.advance(now)
    row = state.package_model_row(package_id)
    package = matcher.package_attributes(np.int64(row))
    if investor_ids is None:
        rows = np.arange(len(model.investor_ids), dtype=np.int64)
    else:
        rows = model.investor_ids.rows_or_missing(sorted(investor_ids))
        rows = rows[rows >= 0]
    codes, investor = matcher.investor_codes(package_id, package, rows, today)
    names = np.asarray(REMOVAL_CODES, dtype=object)[np.maximum(codes.astype(np.int64) - 1, 0)]
    failed_market = (codes != 0) & np.isin(names, list(MARKET_CODES))
    market_ok = int((~failed_market).sum())
    if market_ok < floor:
        licence = codes == CODE["licence_required"]
        if licence.any():
            licensed = int((investor["licensed"] & investor["known"]).sum())
            return (
                f"licence rule: {count(int(package['loans']), 'loan')}, "
                f"{count(licensed, 'licensed AMC')}"
                + ("" if market_ok == licensed else f" ({market_ok} of them eligible)")
            )
        return f"only {count(market_ok, 'investor')} eligible under market rules"
    eligible = int((codes == 0).sum())
    if eligible < floor:
        removed = Counter(names[(codes != 0) & ~failed_market].tolist()).most_common(2)
        by = ", ".join(f"{name}: {removed_count}" for name, removed_count in removed)
        return f"only {count(eligible, 'investor')} eligible under the rule set (most removed by {by})"
    return None


def floor_shortfalls(
    matcher: Matcher,
    investor_lists: Mapping[str, list[str]],
    live_package_ids: Collection[str],
    now: datetime | None = None,
) -> list[Shortfall]:
    """Every live listing below the floor in ``investor_lists`` (a push), worst first, with why."""
    exposure = matcher.rules.exposure
    if exposure.floor_investors <= 0:
        return []
    in_top = Counter(p for ids in investor_lists.values() for p in ids[: exposure.floor_top_k])
    below = sorted((in_top[p], p) for p in live_package_ids if in_top[p] < exposure.floor_investors)
    return [
        Shortfall(package_id, reach, why_below_floor(matcher, package_id, investor_lists.keys(), now))
        for reach, package_id in below
    ]
