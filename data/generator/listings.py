"""Packages: what is listed, by whom, where, how big, how priced and when.

Sizes are heavy-tailed (lognormal per asset type), bank consumer-loan batches hold thousands of
loans, and reserve prices follow regional recovery: east-coast claims recover more and faster,
so they are discounted less than north-eastern and north-western ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.contract import (
    ASSET_CLASS_OF_TYPE,
    ASSET_CLASSES,
    ASSET_TYPES,
    BANK_BATCH_MIN_LOANS,
    COLLATERAL_KINDS,
    PACKAGE_STATUSES,
    PROVINCES,
    REGION_OF_PROVINCE,
    SELLER_TYPES,
)

from .clock import DAY, HOUR
from .geography import draw_city_index, province_weights, recovery_by_province
from .sectors import draw_sectors

CLASS_SHARE: dict[str, float] = {"credit": 0.60, "real_estate": 0.25, "equity": 0.08, "other": 0.07}
TYPE_SHARE_IN_CLASS: dict[str, tuple[float, ...]] = {
    "credit": (0.5, 0.3, 0.2),
    "real_estate": (0.45, 0.3, 0.15, 0.10),
    "equity": (0.6, 0.4),
    "other": (0.5, 0.3, 0.2),
}
# Seller mix per asset type, SELLER_TYPES order: bank, national_amc, local_amc, court, trust, enterprise.
SELLER_SHARE: dict[str, tuple[float, ...]] = {
    "consumer_loan": (0.70, 0.08, 0.14, 0.0, 0.0, 0.08),
    "sme_loan": (0.58, 0.12, 0.22, 0.03, 0.0, 0.05),
    "corporate_loan": (0.48, 0.25, 0.20, 0.0, 0.07, 0.0),
    "residential": (0.15, 0.05, 0.10, 0.60, 0.0, 0.10),
    "commercial_property": (0.10, 0.15, 0.15, 0.45, 0.0, 0.15),
    "industrial_property": (0.10, 0.10, 0.15, 0.45, 0.0, 0.20),
    "land": (0.0, 0.10, 0.20, 0.40, 0.0, 0.30),
    "equity_stake": (0.0, 0.10, 0.05, 0.20, 0.25, 0.40),
    "trust_beneficiary_right": (0.0, 0.10, 0.0, 0.0, 0.80, 0.10),
    "receivables": (0.10, 0.0, 0.15, 0.15, 0.0, 0.60),
    "equipment": (0.10, 0.0, 0.0, 0.50, 0.0, 0.40),
    "vehicles": (0.20, 0.0, 0.0, 0.60, 0.0, 0.20),
}
# Size per unit: (median CNY, lognormal sigma, exponent on the loan count).
UNIT_SIZE: dict[str, tuple[float, float, float]] = {
    "consumer_loan": (45e3, 0.3, 1.0),
    "sme_loan": (1.8e6, 0.8, 0.9),
    "corporate_loan": (40e6, 1.0, 0.8),
    "residential": (1.4e6, 0.6, 1.0),
    "commercial_property": (10e6, 1.1, 1.0),
    "industrial_property": (22e6, 1.0, 1.0),
    "land": (50e6, 1.2, 1.0),
    "equity_stake": (25e6, 1.4, 1.0),
    "trust_beneficiary_right": (80e6, 1.0, 1.0),
    "receivables": (1.5e6, 1.0, 0.7),
    "equipment": (1.5e6, 1.0, 0.8),
    "vehicles": (0.25e6, 0.6, 0.95),
}
# Collateral mix per asset type, COLLATERAL_KINDS order: secured, guaranteed, unsecured.
COLLATERAL_SHARE: dict[str, tuple[float, ...]] = {
    "consumer_loan": (0.05, 0.15, 0.80),
    "sme_loan": (0.50, 0.35, 0.15),
    "corporate_loan": (0.60, 0.30, 0.10),
    "equity_stake": (0.20, 0.30, 0.50),
    "trust_beneficiary_right": (0.60, 0.30, 0.10),
    "receivables": (0.10, 0.30, 0.60),
}
PLAIN_ASSET_COLLATERAL = (1.0, 0.0, 0.0)
# Litigation mix per asset type, LITIGATION_STATUSES order; court sales are mostly in enforcement.
LITIGATION_SHARE: dict[str, tuple[float, ...]] = {
    "consumer_loan": (0.50, 0.20, 0.20, 0.10, 0.0),
    "sme_loan": (0.15, 0.25, 0.25, 0.25, 0.10),
    "corporate_loan": (0.10, 0.25, 0.25, 0.25, 0.15),
    "real_estate": (0.35, 0.15, 0.20, 0.25, 0.05),
    "equity_stake": (0.35, 0.20, 0.15, 0.15, 0.15),
    "trust_beneficiary_right": (0.30, 0.30, 0.20, 0.15, 0.05),
    "receivables": (0.40, 0.25, 0.20, 0.10, 0.05),
    "assets": (0.40, 0.15, 0.15, 0.25, 0.05),
}
COURT_LITIGATION = (0.0, 0.0, 0.1, 0.8, 0.1)
# Recovery multiplier by asset type relative to the regional rate (a flat recovers far more of
# its value than an unsecured consumer loan does of its claim), and by collateral and litigation.
RECOVERY_FACTOR: dict[str, float] = {
    "consumer_loan": 0.3, "sme_loan": 0.8, "corporate_loan": 1.0, "residential": 1.6,
    "commercial_property": 1.5, "industrial_property": 1.4, "land": 1.5, "equity_stake": 1.0,
    "trust_beneficiary_right": 1.1, "receivables": 0.7, "equipment": 1.2, "vehicles": 1.4,
}  # fmt: skip
COLLATERAL_RECOVERY = (1.15, 0.95, 0.8)
LITIGATION_RECOVERY = (1.0, 0.95, 1.0, 1.05, 0.7)
# Buyers discount the recovery for the time it takes.
ANNUAL_DISCOUNT_RATE = 0.08
# Regional price level of the underlying assets (property on the coast costs more).
REGION_PRICE_LEVEL = {"east_coast": 1.3, "north_coast": 1.3, "central": 0.9, "south_west": 0.85,
                      "north_east": 0.8, "north_west": 0.75}  # fmt: skip
# Data-room completeness: a mixture of near-complete, middling and thin files, by seller.
DD_MIX_BY_SELLER = {"bank": (0.3, 0.55, 0.15), "national_amc": (0.3, 0.55, 0.15),
                    "local_amc": (0.25, 0.55, 0.2), "court": (0.1, 0.5, 0.4)}  # fmt: skip
DD_MIX_DEFAULT = (0.2, 0.6, 0.2)
DD_BETAS = ((18.0, 1.5), (6.0, 6.0), (2.0, 5.0))

LISTING_DAYS = 730
UPCOMING_SHARE = 0.02
WITHDRAWN_SHARE = 0.05
MIN_OPEN_DAYS, MAX_OPEN_DAYS = 14, 56
# Preliminary status of a closed package whose outcome the simulation decides.
CLOSED = -1


@dataclass(frozen=True)
class Listings:
    """Package attributes as arrays (enum fields as vocabulary indices), ordered by listing time."""

    asset_type: np.ndarray
    seller: np.ndarray
    province: np.ndarray
    city_index: np.ndarray
    sector: np.ndarray
    loan_count: np.ndarray
    principal: np.ndarray
    claim: np.ndarray
    appraised: np.ndarray
    reserve: np.ndarray
    collateral: np.ndarray
    litigation: np.ndarray
    dd: np.ndarray
    listed_s: np.ndarray
    closes_s: np.ndarray
    cross_border: np.ndarray
    status: np.ndarray

    @property
    def asset_class(self) -> np.ndarray:
        """Asset class index of each package, derived from its type."""
        table = np.array([ASSET_CLASSES.index(ASSET_CLASS_OF_TYPE[t]) for t in ASSET_TYPES])
        return table[self.asset_type]

    def take(self, order: np.ndarray) -> Listings:
        """The same listings reordered (or subset) by ``order``."""
        return Listings(**{k: v[order] for k, v in self.__dict__.items()})


def _pick_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row from a [n, k] probability matrix."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cdf[:, -1:]
    return np.minimum((cdf <= u).sum(axis=1), probs.shape[1] - 1)


def _per_type_table(table: dict[str, tuple[float, ...]], default: tuple[float, ...]) -> np.ndarray:
    return np.array([table.get(t, default) for t in ASSET_TYPES], dtype=np.float64)


def _asset_types(rng: np.random.Generator, n: int) -> np.ndarray:
    probs = np.array(
        [CLASS_SHARE[c] * s for c in ASSET_CLASSES for s in TYPE_SHARE_IN_CLASS[c]], dtype=np.float64
    )
    return rng.choice(len(ASSET_TYPES), size=n, p=probs / probs.sum())


def _log_uniform_int(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    return np.floor(np.exp(rng.uniform(np.log(low), np.log(high), n))).astype(np.int64)


def _loan_counts(rng: np.random.Generator, asset_type: np.ndarray, seller: np.ndarray) -> np.ndarray:
    """Number of underlying loans: thousands in bank consumer batches, 1 for a single asset."""
    n = len(asset_type)
    name = np.asarray(ASSET_TYPES)[asset_type]
    bank = seller == SELLER_TYPES.index("bank")
    u = rng.random(n)
    count = np.ones(n, dtype=np.int64)
    consumer_bank = _log_uniform_int(rng, 1_000, 10_000, n)
    consumer_small = _log_uniform_int(rng, 100, 1_000, n)
    consumer_other = _log_uniform_int(rng, 20, 3_000, n)
    count = np.where(
        name == "consumer_loan",
        np.where(bank, np.where(u < 0.85, consumer_bank, consumer_small), consumer_other),
        count,
    )
    sme_batch = _log_uniform_int(rng, BANK_BATCH_MIN_LOANS, 300, n)
    sme_single = rng.integers(1, BANK_BATCH_MIN_LOANS, n)
    sme_other = np.where(u < 0.5, 1, _log_uniform_int(rng, 2, 120, n))
    count = np.where(
        name == "sme_loan", np.where(bank, np.where(u < 0.4, sme_single, sme_batch), sme_other), count
    )
    corporate = np.where(u < 0.7, 1, np.where(u < 0.9, rng.integers(2, 10, n), rng.integers(10, 31, n)))
    count = np.where(name == "corporate_loan", corporate, count)
    count = np.where(name == "receivables", _log_uniform_int(rng, 1, 200, n), count)
    count = np.where(name == "vehicles", np.where(u < 0.5, 1, _log_uniform_int(rng, 2, 40, n)), count)
    count = np.where(name == "equipment", np.where(u < 0.7, 1, _log_uniform_int(rng, 2, 20, n)), count)
    return np.maximum(count, 1)


def _dd_completeness(rng: np.random.Generator, seller: np.ndarray) -> np.ndarray:
    """Share of due-diligence files in the data room, rounded to whole percent."""
    mix = np.array([DD_MIX_BY_SELLER.get(s, DD_MIX_DEFAULT) for s in SELLER_TYPES])[seller]
    component = _pick_rows(rng, mix)
    betas = np.array(DD_BETAS)
    dd = rng.beta(betas[component, 0], betas[component, 1])
    return np.clip(np.round(dd * 100) / 100, 0.0, 1.0)


def _amounts(
    rng: np.random.Generator,
    asset_type: np.ndarray,
    loan_count: np.ndarray,
    province: np.ndarray,
    collateral: np.ndarray,
    litigation: np.ndarray,
    regional_recovery: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Principal, claim total, appraisal (NaN when absent) and reserve price of each package.

    ``regional_recovery`` scales each region's distance from the mean recovery rate and time.
    """
    n = len(asset_type)
    name = np.asarray(ASSET_TYPES)[asset_type]
    cls = np.array([ASSET_CLASS_OF_TYPE[t] for t in ASSET_TYPES])[asset_type]
    level = np.array([REGION_PRICE_LEVEL[REGION_OF_PROVINCE[p]] for p in PROVINCES])[province]
    median = np.array([UNIT_SIZE[t][0] for t in ASSET_TYPES])[asset_type]
    sigma = np.array([UNIT_SIZE[t][1] for t in ASSET_TYPES])[asset_type]
    exponent = np.array([UNIT_SIZE[t][2] for t in ASSET_TYPES])[asset_type]
    principal = median * level * rng.lognormal(0.0, 1.0, n) ** sigma * loan_count.astype(float) ** exponent
    plain = np.isin(cls, ("real_estate",)) | np.isin(name, ("equity_stake", "equipment", "vehicles"))
    principal = np.where(
        plain,
        np.maximum(np.round(principal / 100) * 100, 1_000.0),
        np.maximum(np.round(principal * 100) / 100, 1_000.0),
    )

    accrued = np.where(cls == "credit", rng.uniform(0.05, 0.6, n), 0.0)
    accrued = np.where(name == "trust_beneficiary_right", rng.uniform(0.05, 0.3, n), accrued)
    accrued = np.where(name == "receivables", rng.uniform(0.0, 0.2, n), accrued)
    claim = np.maximum(np.round(principal * (1.0 + accrued) * 100) / 100, principal)

    secured = collateral == COLLATERAL_KINDS.index("secured")
    u = rng.random(n)
    appraisal = np.where(plain, principal, np.round(principal * rng.uniform(0.6, 1.6, n) / 100) * 100)
    has_appraisal = np.where(
        cls == "real_estate",
        u < 0.92,
        np.where(
            np.isin(name, ("equipment", "vehicles")),
            u < 0.85,
            np.where(name == "equity_stake", u < 0.6, secured & (u < 0.8)),
        ),
    )
    appraised = np.where(has_appraisal, appraisal, np.nan)

    rate, months = scaled_recovery(regional_recovery)
    ratio = (
        rate[province]
        * np.array([RECOVERY_FACTOR[t] for t in ASSET_TYPES])[asset_type]
        * np.asarray(COLLATERAL_RECOVERY)[collateral]
        * np.asarray(LITIGATION_RECOVERY)[litigation]
        * (1.0 + ANNUAL_DISCOUNT_RATE) ** (-months[province] / 12.0)
        * rng.lognormal(0.0, 0.18, n)
    )
    reserve = np.round(claim * np.clip(ratio, 0.02, 0.95) / 100) * 100
    reserve = np.maximum(reserve, 1_000.0)
    return principal, claim, appraised, reserve


def scaled_recovery(strength: float) -> tuple[np.ndarray, np.ndarray]:
    """Recovery rate and months per province, each region's gap from the mean scaled by ``strength``."""
    rate, months = recovery_by_province()
    if strength == 1.0:
        return rate, months
    return rate.mean() + strength * (rate - rate.mean()), months.mean() + strength * (months - months.mean())


def _timing(rng: np.random.Generator, n: int, end_s: int) -> tuple[np.ndarray, np.ndarray]:
    """Listing and closing times: two years of listings, growing over time, plus a few upcoming."""
    end_day = end_s // DAY
    frac = rng.random(n) ** (1 / 1.4)
    day = end_day - LISTING_DAYS + np.floor(frac * LISTING_DAYS).astype(np.int64)
    upcoming = rng.random(n) < UPCOMING_SHARE
    day = np.where(upcoming, end_day + rng.integers(1, 22, n), day)
    listed = day * DAY + rng.integers(9 * 2, 17 * 2, n) * (HOUR // 2)
    open_days = rng.integers(MIN_OPEN_DAYS, MAX_OPEN_DAYS + 1, n)
    closes = (day + open_days) * DAY + rng.choice(np.array([10, 15, 16]), n) * HOUR
    return listed.astype(np.int64), closes.astype(np.int64)


def draw_listings(rng: np.random.Generator, n: int, end_s: int, regional_recovery: float = 1.0) -> Listings:
    """``n`` packages listed over the two years before ``end_s``, sorted by listing time.

    ``regional_recovery`` scales the regional recovery differences that drive reserve prices.
    """
    asset_type = _asset_types(rng, n)
    seller = _pick_rows(rng, _per_type_table(SELLER_SHARE, ())[asset_type])
    province = rng.choice(len(province_weights()), size=n, p=province_weights())
    city_index = draw_city_index(rng, province)
    sector = draw_sectors(rng, asset_type, province)
    loan_count = _loan_counts(rng, asset_type, seller)
    collateral = _pick_rows(rng, _per_type_table(COLLATERAL_SHARE, PLAIN_ASSET_COLLATERAL)[asset_type])
    lit_key = []
    for t in ASSET_TYPES:
        if t in LITIGATION_SHARE:
            lit_key.append(LITIGATION_SHARE[t])
        elif ASSET_CLASS_OF_TYPE[t] == "real_estate":
            lit_key.append(LITIGATION_SHARE["real_estate"])
        else:
            lit_key.append(LITIGATION_SHARE["assets"])
    lit_probs = np.array(lit_key)[asset_type]
    court = seller == SELLER_TYPES.index("court")
    lit_probs = np.where(court[:, None], np.asarray(COURT_LITIGATION)[None, :], lit_probs)
    litigation = _pick_rows(rng, lit_probs)
    principal, claim, appraised, reserve = _amounts(
        rng, asset_type, loan_count, province, collateral, litigation, regional_recovery
    )
    dd = _dd_completeness(rng, seller)
    listed, closes = _timing(rng, n, end_s)

    is_amc_seller = np.isin(seller, [SELLER_TYPES.index("national_amc"), SELLER_TYPES.index("local_amc")])
    cls = np.array([ASSET_CLASS_OF_TYPE[t] for t in ASSET_TYPES])[asset_type]
    bank_batch = (
        (seller == SELLER_TYPES.index("bank")) & (cls == "credit") & (loan_count >= BANK_BATCH_MIN_LOANS)
    )
    p_cross = np.where(is_amc_seller & np.isin(cls, ("credit", "real_estate")) & (reserve >= 2e7), 0.3, 0.08)
    cross_border = (rng.random(n) < p_cross) & ~bank_batch

    status = np.full(n, CLOSED, dtype=np.int64)
    status = np.where(listed > end_s, PACKAGE_STATUSES.index("upcoming"), status)
    status = np.where((listed <= end_s) & (closes > end_s), PACKAGE_STATUSES.index("active"), status)
    withdrawn = (status == CLOSED) & (rng.random(n) < WITHDRAWN_SHARE)
    status = np.where(withdrawn, PACKAGE_STATUSES.index("withdrawn"), status)

    listings = Listings(
        asset_type=asset_type,
        seller=seller,
        province=province,
        city_index=city_index,
        sector=sector,
        loan_count=loan_count,
        principal=principal,
        claim=claim,
        appraised=appraised,
        reserve=reserve,
        collateral=collateral,
        litigation=litigation,
        dd=dd,
        listed_s=listed,
        closes_s=closes,
        cross_border=cross_border,
        status=status,
    )
    return listings.take(np.argsort(listed, kind="stable"))
