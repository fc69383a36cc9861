"""Investors: the visible population (types, homes, capital, sign-up dates, stated preferences).

Stated preferences are what investors tell the platform; they derive from the hidden tastes
but are often left blank, partial or partly wrong, as self-declared profiles are in practice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.contract import (
    AMC_TYPES,
    ASSET_TYPES,
    INVESTOR_FIELDS,
    INVESTOR_TYPES,
    LIST_SEPARATOR,
    PROVINCES,
    RISK_APPETITES,
)

from .clock import DAY, as_datetimes
from .geography import province_weights
from .names import investor_names
from .scenarios import DEFAULT, Scenario
from .tastes import CAPITAL_LOG10_MEDIAN, HiddenTastes

# Share of each investor type (INVESTOR_TYPES order).
TYPE_SHARE = np.array([0.01, 0.04, 0.02, 0.18, 0.15, 0.02, 0.58])
CAPITAL_LOG10_SD = np.array([0.25, 0.35, 0.4, 0.5, 0.55, 0.4, 0.35])
INDIVIDUAL_CAPITAL_RANGE = (2e5, 9.9e6)
# Sign-up timing within the three years before the end: Beta(a, b) per type (AMCs and banks
# joined early, individuals keep arriving), and the share of investors who joined in the
# last days and have no history yet.
REGISTRATION_BETA = np.array(
    [[1.0, 2.0], [1.0, 1.8], [1.0, 1.6], [1.2, 1.2], [1.2, 1.2], [1.2, 1.2], [1.8, 1.0]]
)
REGISTRATION_DAYS = 3 * 365
COLD_SHARE = 0.025
COLD_DAYS = 10

_HOME_OVERRIDES: dict[str, dict[str, float]] = {
    "national_amc": {"Beijing": 0.85, "Shanghai": 0.1, "Guangdong": 0.05},
    "foreign_institution": {"Shanghai": 0.4, "Beijing": 0.3, "Guangdong": 0.3},
}


@dataclass(frozen=True)
class Population:
    """Visible investor attributes, ordered by sign-up time (row i is investor i)."""

    investor_ids: np.ndarray
    investor_type: np.ndarray
    province: np.ndarray
    registered_s: np.ndarray
    capital: np.ndarray

    @property
    def licensed_amc(self) -> np.ndarray:
        """Only AMCs hold the licence to take bank NPL batches."""
        return np.isin(self.investor_type, [INVESTOR_TYPES.index(t) for t in AMC_TYPES])


def type_counts(n: int) -> np.ndarray:
    """How many investors of each type: the target mix, rounded by largest remainder.

    Exact quotas keep small markets representative; every type gets at least one investor once
    the market has room for it, so a small market still has licensed AMCs to buy bank batches.
    """
    raw = TYPE_SHARE * n
    counts = np.floor(raw).astype(np.int64)
    if n >= len(TYPE_SHARE):
        counts = np.maximum(counts, 1)
    while counts.sum() > n:
        counts[np.argmax(counts)] -= 1
    remainder = raw - np.floor(raw)
    for idx in np.argsort(-remainder, kind="stable"):
        if counts.sum() >= n:
            break
        counts[idx] += 1
    return counts


def _home_provinces(rng: np.random.Generator, investor_type: np.ndarray) -> np.ndarray:
    """Home province per investor: national AMCs sit in Beijing, foreign ones in the big hubs."""
    default = province_weights() ** 0.9
    default /= default.sum()
    out = rng.choice(len(PROVINCES), size=len(investor_type), p=default)
    for kind, table in _HOME_OVERRIDES.items():
        rows = np.flatnonzero(investor_type == INVESTOR_TYPES.index(kind))
        probs = np.array([table.get(p, 0.0) for p in PROVINCES])
        out[rows] = rng.choice(len(PROVINCES), size=len(rows), p=probs / probs.sum())
    return out


def _capital(rng: np.random.Generator, investor_type: np.ndarray) -> np.ndarray:
    """Declared capital, lognormal by type (tens of billions for national AMCs), in 10k steps."""
    log_cap = (
        CAPITAL_LOG10_MEDIAN[investor_type]
        + rng.normal(0.0, 1.0, len(investor_type)) * CAPITAL_LOG10_SD[investor_type]
    )
    capital = 10.0**log_cap
    individual = investor_type == INVESTOR_TYPES.index("individual")
    capital = np.where(individual, np.clip(capital, *INDIVIDUAL_CAPITAL_RANGE), capital)
    return np.round(capital / 1e4) * 1e4


def _registration(rng: np.random.Generator, investor_type: np.ndarray, end_s: int) -> np.ndarray:
    """Sign-up dates (midnight, seconds) over the three years before the end."""
    ab = REGISTRATION_BETA[investor_type]
    frac = rng.beta(ab[:, 0], ab[:, 1])
    days_before = np.ceil((1.0 - frac) * (REGISTRATION_DAYS - 1)) + 1
    cold = rng.random(len(investor_type)) < COLD_SHARE
    days_before = np.where(cold, rng.integers(1, COLD_DAYS + 1, len(investor_type)), days_before)
    end_day = end_s // DAY
    return ((end_day - days_before.astype(np.int64)) * DAY).astype(np.int64)


def draw_population(rng: np.random.Generator, n: int, end_s: int) -> Population:
    """``n`` investors with the target type mix, sorted by sign-up time and numbered in that order."""
    investor_type = rng.permutation(np.repeat(np.arange(len(INVESTOR_TYPES)), type_counts(n)))
    province = _home_provinces(rng, investor_type)
    capital = _capital(rng, investor_type)
    registered = _registration(rng, investor_type, end_s)
    order = np.argsort(registered, kind="stable")
    width = max(6, len(str(n)))
    ids = np.array([f"INV{i:0{width}d}" for i in range(1, n + 1)])
    return Population(
        investor_ids=ids,
        investor_type=investor_type[order],
        province=province[order],
        registered_s=registered[order],
        capital=capital[order],
    )


def _top_k_lists(
    rng: np.random.Generator,
    weights: np.ndarray,
    vocab: tuple[str, ...],
    p_stated: float,
    k_choices: tuple[int, ...],
    p_wrong: float,
    wrong_from_rank: int,
) -> list[float | str]:
    """Stated list preferences: the top-k true favourites, often blank, sometimes with a wrong entry."""
    n, n_items = weights.shape
    ranked = np.argsort(-weights, axis=1, kind="stable")
    stated = rng.random(n) < p_stated
    k = rng.choice(np.asarray(k_choices), size=n)
    wrong = rng.random(n) < p_wrong
    wrong_pick = ranked[np.arange(n), rng.integers(wrong_from_rank, n_items, n)]
    out: list[float | str] = []
    for i in range(n):
        if not stated[i]:
            out.append(np.nan)
            continue
        chosen = list(ranked[i, : k[i]])
        if wrong[i]:
            chosen[-1] = wrong_pick[i]
        out.append(LIST_SEPARATOR.join(vocab[c] for c in chosen))
    return out


def _two_significant(values: np.ndarray) -> np.ndarray:
    """Round amounts to two significant figures, as people state ticket sizes."""
    exponent = np.floor(np.log10(values)) - 1
    return np.round(values / 10.0**exponent) * 10.0**exponent


def _stated_tickets(
    rng: np.random.Generator, tastes: HiddenTastes, share: float = 1.0, error: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Stated min/max ticket around the hidden range: often blank, sometimes a decade off."""
    n = len(tastes.ticket_centre)
    shift = np.where(rng.random(n) < _chance(0.08, error), rng.choice([-1.0, 1.0], n), 0.0)
    low = _two_significant(
        10.0 ** (tastes.ticket_centre - tastes.ticket_width + shift + rng.normal(0, 0.1, n))
    )
    high = _two_significant(
        10.0 ** (tastes.ticket_centre + tastes.ticket_width + shift + rng.normal(0, 0.1, n))
    )
    low = np.where(rng.random(n) < _chance(0.55, share), low, np.nan)
    high = np.where(rng.random(n) < _chance(0.6, share), high, np.nan)
    low = np.where(low > high, np.nan, low)
    return low, high


def _stated_risk(
    rng: np.random.Generator, tastes: HiddenTastes, share: float = 1.0, error: float = 1.0
) -> list[float | str]:
    """Stated risk appetite from the hidden risk tolerance: a quarter blank, a tenth random."""
    n = len(tastes.risk_tolerance)
    true_level = np.digitize(tastes.risk_tolerance, [-0.4, 0.7])
    level = np.where(rng.random(n) < _chance(0.1, error), rng.integers(0, len(RISK_APPETITES), n), true_level)
    stated = rng.random(n) < _chance(0.75, share)
    return [RISK_APPETITES[lv] if s else np.nan for lv, s in zip(level, stated, strict=True)]


def _chance(probability: float, scale: float) -> float:
    """A probability scaled by a scenario knob, kept within [0, 1] (unchanged at scale 1)."""
    return probability if scale == 1.0 else min(1.0, probability * scale)


def investors_frame(
    rng: np.random.Generator, population: Population, tastes: HiddenTastes, scenario: Scenario = DEFAULT
) -> pd.DataFrame:
    """The investors table in contract column order (missing optional values are NaN).

    The scenario scales how often each preference is stated and how often it is wrong.
    """
    share, error = scenario.stated_share, scenario.stated_error
    min_ticket, max_ticket = _stated_tickets(rng, tastes, share, error)
    frame = pd.DataFrame(
        {
            "investor_id": population.investor_ids.astype(object),
            "name": investor_names(rng, population.investor_type, population.province),
            "investor_type": np.asarray(INVESTOR_TYPES, dtype=object)[population.investor_type],
            "province": np.asarray(PROVINCES, dtype=object)[population.province],
            "registered_at": as_datetimes(population.registered_s),
            "capital_cny": population.capital,
            "min_ticket_cny": min_ticket,
            "max_ticket_cny": max_ticket,
            "preferred_asset_types": _top_k_lists(
                rng, tastes.type_weight, ASSET_TYPES, _chance(0.6, share), (1, 1, 2, 2, 3), _chance(0.2, error), 6
            ),
            "preferred_provinces": _top_k_lists(
                rng, tastes.province_weight, PROVINCES, _chance(0.5, share), (1, 1, 2, 3, 4), _chance(0.15, error), 8
            ),
            "risk_appetite": _stated_risk(rng, tastes, share, error),
            "licensed_amc": population.licensed_amc,
        }
    )
    return frame[[f.name for f in INVESTOR_FIELDS]]
