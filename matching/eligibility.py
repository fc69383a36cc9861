"""Stage 1, eligibility: which (investor, package) pairs may be shown at all, and why not.

One function serves every direction: investor and package attributes are numpy arrays that
broadcast against each other (an investor's scalars against 500 candidate packages, a
package's scalars against 500 candidate investors, or a batch of investors as a column
against their candidate matrix). Each pair gets the code of the first rule it fails, in the
fixed order of ``REMOVAL_CODES`` (0 = eligible): the market's hard rules first, then the
operator's.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from data.contract import ASSET_CLASSES, INVESTOR_TYPES, SELLER_TYPES
from data.liveness import listing_live, live
from matching.compiled import ALL_PROVINCES, CompiledRules
from matching.scoring import ticket_widening

Arrays = Mapping[str, np.ndarray]
__all__ = ["CODE", "REMOVAL_CODES", "listing_live", "live", "needs_licence", "removal_codes", "servable"]

# Index + 1 is the code stored per pair. Market rules first: no operator rule is consulted
# before them, and none can undo them.
REMOVAL_CODES: tuple[str, ...] = (
    "not_live",
    "not_registered",
    "closing_too_soon",
    "licence_required",
    "dismissed",
    "won",
    "ticket_fit",
    "province_blocked",
    "investor_type_blocked",
    "cross_border",
    "related_party",
    "diversity_asset_type",
    "diversity_seller",
    "diversity_province",
    "exposure_cap",
)
CODE = {name: number for number, name in enumerate(REMOVAL_CODES, start=1)}
MARKET_CODES = frozenset(
    {"not_live", "not_registered", "closing_too_soon", "licence_required", "dismissed", "won"}
)
NEVER_DISMISSED, NEVER_WON = 1, 2

BANK = SELLER_TYPES.index("bank")
CREDIT = ASSET_CLASSES.index("credit")
FOREIGN = INVESTOR_TYPES.index("foreign_institution")


def needs_licence(compiled: CompiledRules, package: Arrays) -> np.ndarray:
    """Listings only a licensed AMC may buy: bank credit batches of ``licence_min_loans`` or more."""
    return (
        (package["seller_type"] == BANK)
        & (package["asset_class"] == CREDIT)
        & (package["loans"] >= compiled.licence_min_loans)
    )


def servable(compiled: CompiledRules, package: Arrays, now: float | np.ndarray) -> np.ndarray:
    """Listings any investor could be shown at ``now``: known, live, and not closing too soon.

    The first checks of :func:`removal_codes` (``not_live``, ``closing_too_soon``), the part
    that needs no investor: similar lists and the batch push's live listings use it.
    """
    closes = package["closes"]
    shown = package["known"] & live(package["status_live"], package["listed"], closes, now)
    if compiled.min_days_before_close > 0:
        shown &= ~((closes - now) < compiled.min_days_before_close)
    return shown


def removal_codes(
    compiled: CompiledRules,
    investor: Arrays,
    package: Arrays,
    now: float | np.ndarray,
    shape: tuple[int, ...],
    never: np.ndarray | None = None,
    related: np.ndarray | None = None,
) -> np.ndarray:
    """The first rule each pair fails (a code of ``REMOVAL_CODES``), 0 where it is eligible.

    ``now`` is in epoch days (an array aligned with the packages in an offline replay);
    ``never`` holds ``NEVER_DISMISSED`` / ``NEVER_WON`` per pair; ``related`` is True where the
    pair is a blocked related party.
    """
    rules = compiled.rules.eligibility
    checks: list[tuple[str, np.ndarray]] = []
    closes = package["closes"]
    not_live = ~package["known"] | ~live(package["status_live"], package["listed"], closes, now)
    checks.append(("not_live", not_live))
    checks.append(("not_registered", ~investor["known"]))
    if compiled.min_days_before_close > 0:
        checks.append(("closing_too_soon", (closes - now) < compiled.min_days_before_close))
    checks.append(("licence_required", needs_licence(compiled, package) & ~investor["licensed"]))
    if never is not None:
        checks.append(("dismissed", never == NEVER_DISMISSED))
        checks.append(("won", never == NEVER_WON))
    widen = ticket_widening(compiled.rules)
    if widen is not None:
        reserve, capital = package["reserve"], investor["capital"]
        # Above the band or the capital only: a listing below the band is affordable, and is
        # down-ranked by the score (matching.scoring), never removed.
        outside = (reserve > investor["high"] * widen) | ((capital > 0) & (reserve > capital * widen))
        checks.append(("ticket_fit", outside))
    if compiled.allow_bits is not None and compiled.deny_bits is not None:
        rows = package["row"]
        province = np.maximum(investor["province"], 0).astype(np.int64)
        allow, deny = compiled.allow_bits[rows], compiled.deny_bits[rows]
        unknown = (investor["province"] < 0) & (allow != ALL_PROVINCES)
        blocked = ((allow >> province) & 1 == 0) | ((deny >> province) & 1 == 1) | unknown
        checks.append(("province_blocked", blocked))
    if compiled.has_type_rules:
        checks.append(
            ("investor_type_blocked", ~compiled.type_allowed[package["seller_type"], investor["type"]])
        )
    if rules.cross_border_only:
        checks.append(("cross_border", (investor["type"] == FOREIGN) & ~package["cross_border"]))
    if related is not None:
        checks.append(("related_party", related))
    codes = np.zeros(shape, dtype=np.int8)
    for name, failed in reversed(checks):
        codes = np.where(failed, np.int8(CODE[name]), codes)
    return codes
