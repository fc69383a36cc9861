"""Investor attributes the rules read, as arrays aligned with the model's investor rows.

Built from the investors' profiles (``profiles.ProfileTable``): identity, licence, capital, the
blended ticket band, stated preferences as bit masks (one bit per asset type, province,
region) and the hesitation flag. Aligned with the model's rows, the same arrays serve one
investor's list (scalars) and a package's buyer list (one ``take`` over the candidates).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from data.contract import ASSET_TYPES, INVESTOR_TYPES, LIST_SEPARATOR, PROVINCES, REGION_OF_PROVINCE, REGIONS
from matching.catalogue import REGION_CODE_OF_PROVINCE, codes
from matching.columns import Columns

INVESTOR_COLUMNS = {
    "known": (bool, False),
    "type": (np.int16, -1),
    "province": (np.int16, -1),
    "region": (np.int16, -1),
    "licensed": (bool, False),
    "capital": (np.float64, np.nan),
    "low": (np.float64, np.nan),
    "high": (np.float64, np.nan),
    "hesitant": (bool, False),
    "history": (bool, False),
    "stated_types": (np.int64, 0),
    "stated_provinces": (np.int64, 0),
    "stated_regions": (np.int64, 0),
}


def bit_mask(labels: object, vocabulary: Sequence[str]) -> int:
    """A ``;``-joined list (or a sequence) of labels as a bit mask over ``vocabulary``."""
    if isinstance(labels, str):
        labels = labels.split(LIST_SEPARATOR)
    if not isinstance(labels, list | tuple | set | frozenset):
        return 0
    mask = 0
    for label in labels:
        if label in vocabulary:
            mask |= 1 << vocabulary.index(label)
    return mask


def masks(values: pd.Series, vocabulary: Sequence[str]) -> np.ndarray:
    """Bit masks of a list column, each distinct list parsed once."""
    cache: dict[object, int] = {}
    out = np.zeros(len(values), dtype=np.int64)
    for position, value in enumerate(values.tolist()):
        key = tuple(value) if isinstance(value, list | tuple | set | frozenset) else value
        if not isinstance(key, str | tuple):
            key = None
        if key not in cache:
            cache[key] = bit_mask(value, vocabulary)
        out[position] = cache[key]
    return out


def region_mask(province_mask: int) -> int:
    """The regions of the provinces in a province mask."""
    mask = 0
    for code, province in enumerate(PROVINCES):
        if province_mask >> code & 1:
            mask |= 1 << REGIONS.index(REGION_OF_PROVINCE[province])
    return mask


def regions_of(province_masks: np.ndarray) -> np.ndarray:
    """Region masks of many province masks, each distinct mask computed once."""
    distinct, inverse = np.unique(province_masks, return_inverse=True)
    return np.array([region_mask(int(m)) for m in distinct], dtype=np.int64)[inverse.reshape(-1)]


class Audience:
    """Attributes of every investor row the model knows."""

    def __init__(self) -> None:
        self.columns = Columns(INVESTOR_COLUMNS)

    @property
    def version(self) -> int:
        return self.columns.version

    def set_rows(self, rows: np.ndarray, profiles: pd.DataFrame) -> None:
        """Store investors' attributes at model ``rows`` from a ``ProfileTable.frame`` slice."""
        if len(rows) == 0:
            return
        province = codes(profiles["province"], PROVINCES)
        stated_provinces = masks(profiles["stated_provinces"], PROVINCES)
        self.columns.set(
            rows,
            {
                "known": np.ones(len(rows), dtype=bool),
                "type": codes(profiles["investor_type"], INVESTOR_TYPES),
                "province": province,
                "region": np.where(province >= 0, REGION_CODE_OF_PROVINCE[province], -1),
                "licensed": profiles["licensed_amc"].to_numpy(dtype=bool),
                "capital": profiles["capital_cny"].to_numpy(dtype=np.float64),
                "low": profiles["ticket_low_cny"].to_numpy(dtype=np.float64),
                "high": profiles["ticket_high_cny"].to_numpy(dtype=np.float64),
                "hesitant": profiles["is_hesitant"].to_numpy(dtype=bool),
                "history": ~profiles["is_cold"].to_numpy(dtype=bool),
                "stated_types": masks(profiles["stated_asset_types"], ASSET_TYPES),
                "stated_provinces": stated_provinces,
                "stated_regions": regions_of(stated_provinces),
            },
        )

    def take(self, rows: np.ndarray | int) -> dict[str, np.ndarray]:
        """Every attribute at the given rows (any shape; a plain int gives scalars)."""
        return self.columns.take(rows)  # type: ignore[arg-type]
