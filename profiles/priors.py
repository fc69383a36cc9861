"""What to assume about an investor before (and besides) its history.

Stated preferences come first: a stated list becomes a uniform distribution over the listed
values, a stated ticket range becomes a log-size band. What an investor did not state is filled
from its type, home province and declared capital. The type tables below are domain knowledge
of the Chinese distressed-asset market, not fitted numbers:

- national AMCs (Cinda, Huarong, Great Wall, Orient, Galaxy) buy large bank credit portfolios
  nationwide, mostly corporate loans, at 100M-10bn CNY a package;
- local AMCs buy bank batches in and around their home province, SME and corporate credit;
- banks (investment arms, wealth subsidiaries) buy credit, receivables and trust rights;
- private funds buy from AMCs (the secondary market) and like real-estate-backed claims;
- industrial capital buys plants, land, equipment and equity it can operate;
- foreign institutions buy large corporate and commercial-property portfolios from AMCs;
- individuals buy flats, cars and small consumer loans, mostly at court auctions, under 5M CNY.

The numbers are weights (normalised on use) so they read as "out of 100".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from data.contract import (
    ASSET_CLASS_OF_TYPE,
    ASSET_CLASSES,
    ASSET_TYPES,
    COLLATERAL_KINDS,
    INVESTOR_TYPES,
    LIST_SEPARATOR,
    LITIGATION_STATUSES,
    PROVINCES,
    REGIONS,
    RISK_APPETITES,
    SELLER_TYPES,
)
from profiles.errors import InvalidValueError
from profiles.inputs import REGION_CODE_OF_PROVINCE

TYPE_ASSET_MIX: dict[str, dict[str, float]] = {
    "national_amc": {
        "corporate_loan": 35, "sme_loan": 15, "consumer_loan": 5, "commercial_property": 10,
        "industrial_property": 6, "land": 5, "residential": 2, "equity_stake": 8,
        "trust_beneficiary_right": 8, "receivables": 6,
    },
    "local_amc": {
        "corporate_loan": 22, "sme_loan": 25, "consumer_loan": 10, "commercial_property": 10,
        "industrial_property": 8, "residential": 6, "land": 5, "equity_stake": 4,
        "trust_beneficiary_right": 3, "receivables": 7,
    },
    "bank": {
        "corporate_loan": 25, "sme_loan": 15, "consumer_loan": 15, "receivables": 15,
        "trust_beneficiary_right": 10, "commercial_property": 8, "equity_stake": 7, "residential": 5,
    },
    "private_fund": {
        "corporate_loan": 15, "sme_loan": 15, "consumer_loan": 6, "commercial_property": 18,
        "residential": 8, "industrial_property": 7, "land": 5, "equity_stake": 12,
        "trust_beneficiary_right": 8, "receivables": 6,
    },
    "industrial_capital": {
        "industrial_property": 25, "land": 15, "equity_stake": 20, "equipment": 15,
        "commercial_property": 10, "corporate_loan": 5, "receivables": 10,
    },
    "foreign_institution": {
        "corporate_loan": 30, "commercial_property": 25, "sme_loan": 10, "consumer_loan": 10,
        "residential": 5, "equity_stake": 10, "trust_beneficiary_right": 5, "industrial_property": 5,
    },
    "individual": {
        "residential": 45, "vehicles": 15, "consumer_loan": 8, "commercial_property": 10,
        "equipment": 5, "sme_loan": 5, "industrial_property": 5, "land": 2, "receivables": 5,
    },
}  # fmt: skip

# Who an investor type buys from: bank batches go to licensed AMCs, AMCs resell to funds and
# foreign buyers, individuals buy at court (judicial) auctions, industrial buyers from enterprises.
TYPE_SELLER_MIX: dict[str, dict[str, float]] = {
    "national_amc": {"bank": 70, "national_amc": 5, "local_amc": 5, "court": 5, "trust": 10, "enterprise": 5},
    "local_amc": {"bank": 55, "national_amc": 20, "local_amc": 5, "court": 8, "trust": 5, "enterprise": 7},
    "bank": {"bank": 30, "national_amc": 20, "local_amc": 15, "court": 10, "trust": 15, "enterprise": 10},
    "private_fund": {
        "bank": 10, "national_amc": 35, "local_amc": 30, "court": 10, "trust": 8, "enterprise": 7,
    },
    "industrial_capital": {
        "bank": 5, "national_amc": 15, "local_amc": 15, "court": 25, "trust": 5, "enterprise": 35,
    },
    "foreign_institution": {
        "bank": 15, "national_amc": 50, "local_amc": 20, "court": 5, "trust": 5, "enterprise": 5,
    },
    "individual": {"bank": 5, "national_amc": 10, "local_amc": 15, "court": 60, "trust": 2, "enterprise": 8},
}  # fmt: skip

# (extra share on the home province, share spread over the home region's provinces, home
# included); the remainder is spread evenly over all provinces. Local AMCs and individuals stay close to home, national AMCs and
# foreign institutions buy wherever the portfolio is.
TYPE_LOCALITY: dict[str, tuple[float, float]] = {
    "national_amc": (0.10, 0.10),
    "local_amc": (0.65, 0.15),
    "bank": (0.35, 0.20),
    "private_fund": (0.25, 0.20),
    "industrial_capital": (0.45, 0.20),
    "foreign_institution": (0.10, 0.10),
    "individual": (0.70, 0.15),
}

# Typical package price in log10 CNY: (centre, p10, p90).
TYPE_TICKET_LOG10: dict[str, tuple[float, float, float]] = {
    "national_amc": (9.0, 8.0, 10.0),
    "local_amc": (8.0, 7.0, 9.0),
    "bank": (8.0, 7.0, 9.0),
    "private_fund": (7.5, 6.7, 8.5),
    "industrial_capital": (7.7, 6.7, 8.7),
    "foreign_institution": (8.5, 7.7, 9.5),
    "individual": (6.0, 5.3, 6.7),
}

# The appetite an investor type shows when it states none.
TYPE_DEFAULT_APPETITE: dict[str, str] = {
    "national_amc": "aggressive",
    "local_amc": "aggressive",
    "private_fund": "aggressive",
    "industrial_capital": "balanced",
    "foreign_institution": "balanced",
    "bank": "conservative",
    "individual": "conservative",
}

APPETITE_COLLATERAL_MIX: dict[str, dict[str, float]] = {
    "conservative": {"secured": 70, "guaranteed": 20, "unsecured": 10},
    "balanced": {"secured": 50, "guaranteed": 25, "unsecured": 25},
    "aggressive": {"secured": 30, "guaranteed": 25, "unsecured": 45},
}
APPETITE_LITIGATION_MIX: dict[str, dict[str, float]] = {
    "conservative": {"none": 50, "in_litigation": 15, "judgment": 15, "enforcement": 15, "bankruptcy": 5},
    "balanced": {"none": 30, "in_litigation": 20, "judgment": 20, "enforcement": 20, "bankruptcy": 10},
    "aggressive": {"none": 15, "in_litigation": 25, "judgment": 20, "enforcement": 20, "bankruptcy": 20},
}  # fmt: skip

# Mixed into every prior so that no category is ruled out before the investor says so.
PRIOR_FLOOR = 0.05
# A single package is typically about a tenth of the capital an investor declares.
TICKET_TO_CAPITAL_LOG10 = -1.0
# A one-sided stated range (only a minimum, or only a maximum) spans this many decades.
ONE_SIDED_TICKET_DECADES = 1.0


def mix_matrix(
    mix: Mapping[str, Mapping[str, float]], rows: Sequence[str], columns: Sequence[str]
) -> np.ndarray:
    """A row-stochastic matrix from a table of weights, floored so no category is zero."""
    matrix = np.array([[float(mix[r].get(c, 0.0)) for c in columns] for r in rows], dtype=np.float64)
    matrix /= matrix.sum(axis=1, keepdims=True)
    return (1.0 - PRIOR_FLOOR) * matrix + PRIOR_FLOOR / len(columns)


TYPE_ASSET_MATRIX = mix_matrix(TYPE_ASSET_MIX, INVESTOR_TYPES, ASSET_TYPES)
TYPE_SELLER_MATRIX = mix_matrix(TYPE_SELLER_MIX, INVESTOR_TYPES, SELLER_TYPES)
APPETITE_COLLATERAL_MATRIX = mix_matrix(APPETITE_COLLATERAL_MIX, RISK_APPETITES, COLLATERAL_KINDS)
APPETITE_LITIGATION_MATRIX = mix_matrix(APPETITE_LITIGATION_MIX, RISK_APPETITES, LITIGATION_STATUSES)
TYPE_TICKET_MATRIX = np.array([TYPE_TICKET_LOG10[t] for t in INVESTOR_TYPES], dtype=np.float64)
TYPE_DEFAULT_APPETITE_CODE = np.array(
    [RISK_APPETITES.index(TYPE_DEFAULT_APPETITE[t]) for t in INVESTOR_TYPES]
)
CLASS_OF_TYPE_MATRIX = np.array(
    [[1.0 if ASSET_CLASS_OF_TYPE[t] == c else 0.0 for c in ASSET_CLASSES] for t in ASSET_TYPES]
)
REGION_OF_PROVINCE_MATRIX = np.eye(len(REGIONS))[REGION_CODE_OF_PROVINCE]


def stated_shares(values: pd.Series, vocabulary: Sequence[str], column: str) -> np.ndarray:
    """Uniform shares over the values listed in each cell (``;``-joined); all zero when none.

    Cells repeat a lot (few distinct lists), so each distinct cell is parsed once.
    """
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    position = {v: i for i, v in enumerate(vocabulary)}
    unique_rows = np.zeros((len(uniques) + 1, len(vocabulary)), dtype=np.float64)  # last row: missing
    for row, cell in enumerate(uniques):
        items = {item.strip() for item in str(cell).split(LIST_SEPARATOR)} - {""}
        for item in items:
            if item not in position:
                raise InvalidValueError(column, item)
            unique_rows[row, position[item]] = 1.0 / len(items)
    return unique_rows[np.where(codes < 0, len(uniques), codes)]


def has_any(shares: np.ndarray) -> np.ndarray:
    """Rows that state at least one value."""
    return shares.sum(axis=1) > 0


def province_prior(type_code: np.ndarray, province_code: np.ndarray) -> np.ndarray:
    """Where an investor that states no provinces is expected to buy: near home, by type."""
    locality = np.array([TYPE_LOCALITY[t] for t in INVESTOR_TYPES])[type_code]
    home_share, region_share = locality[:, 0], locality[:, 1]
    n = len(type_code)
    prior = np.full((n, len(PROVINCES)), 0.0)
    home_region = REGION_CODE_OF_PROVINCE[province_code]
    same_region = REGION_CODE_OF_PROVINCE[None, :] == home_region[:, None]
    region_size = same_region.sum(axis=1)
    prior += np.where(same_region, (region_share / region_size)[:, None], 0.0)
    prior[np.arange(n), province_code] += home_share
    prior += ((1.0 - home_share - region_share) / len(PROVINCES))[:, None]
    return prior


def appetite_or_default(type_code: np.ndarray, appetite_code: np.ndarray) -> np.ndarray:
    """The stated risk appetite, or the type's usual one when none is stated."""
    return np.where(appetite_code >= 0, appetite_code, TYPE_DEFAULT_APPETITE_CODE[type_code])


def stated_ticket_log10(min_ticket: np.ndarray, max_ticket: np.ndarray) -> np.ndarray:
    """(centre, low, high) in log10 CNY from a stated range; NaN rows where nothing was stated.

    A zero minimum says "no lower bound", so it counts as not stated.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(min_ticket > 0, np.log10(min_ticket), np.nan)
        high = np.where(max_ticket > 0, np.log10(max_ticket), np.nan)
    low_only = ~np.isnan(low) & np.isnan(high)
    high_only = np.isnan(low) & ~np.isnan(high)
    high = np.where(low_only, low + ONE_SIDED_TICKET_DECADES, high)
    low = np.where(high_only, high - ONE_SIDED_TICKET_DECADES, low)
    low = np.minimum(low, high)
    return np.column_stack([(low + high) / 2.0, low, high])


def type_ticket_log10(type_code: np.ndarray, capital: np.ndarray) -> np.ndarray:
    """(centre, low, high) in log10 CNY from the investor type, pulled toward a tenth of capital.

    Nobody buys a package larger than its declared capital, so the band is capped there.
    """
    band = TYPE_TICKET_MATRIX[type_code]
    centre, low, high = band[:, 0], band[:, 1], band[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        capital_log = np.where(capital > 0, np.log10(capital), np.nan)
    known = ~np.isnan(capital_log)
    pulled = np.where(known, 0.5 * centre + 0.5 * (capital_log + TICKET_TO_CAPITAL_LOG10), centre)
    cap = np.where(known, capital_log, np.inf)
    new_centre = np.minimum(pulled, cap)
    shift = new_centre - centre
    new_high = np.minimum(high + shift, cap)
    new_low = np.minimum(low + shift, new_centre)
    return np.column_stack([new_centre, new_low, np.maximum(new_high, new_centre)])


def prior_ticket_log10(
    type_code: np.ndarray, capital: np.ndarray, min_ticket: np.ndarray, max_ticket: np.ndarray
) -> np.ndarray:
    """The stated ticket band where one was stated, else the type-and-capital band."""
    stated = stated_ticket_log10(min_ticket, max_ticket)
    typed = type_ticket_log10(type_code, capital)
    return np.where(np.isnan(stated[:, :1]), typed, stated)
