"""Any implicit-feedback data set, as the offline evaluation harness takes it.

The harness (protocols, baselines, tuning, report) only needs interactions with timestamps,
one feature row per user and per item, and names; a loader for a new data set implements
``DatasetLoader`` and returns an ``ImplicitDataset``. MovieLens 100k is one such loader
(``movielens_data.MovieLensLoader``). Feature rows are ``{"family=value": weight}`` dicts, and
the feature families (the part before ``=``) are what content baselines group items by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
import scipy.sparse as sp

FeatureRow = dict[str, float]
INTERACTION_COLUMNS = ("user_id", "item_id", "timestamp")


class DatasetError(ValueError):
    """A data set whose parts do not fit together (unknown ids, rows not matching the id lists)."""


def feature_families(rows: Sequence[FeatureRow]) -> tuple[str, ...]:
    """The families (``genre`` in ``genre=Comedy``) used by any row, in order of first use."""
    seen: dict[str, None] = {}
    for row in rows:
        for name in row:
            seen.setdefault(name.split("=", 1)[0], None)
    return tuple(seen)


@dataclass(frozen=True, eq=False)
class ImplicitDataset:
    """Users, items, their positive interactions (with timestamps) and feature rows.

    ``interactions`` has ``user_id``, ``item_id`` and ``timestamp`` columns, one row per positive
    interaction; ``user_features[k]`` describes ``user_ids[k]`` and ``item_features[k]``
    ``item_ids[k]``. Everything a baseline ranks by is computed from these, never from the order
    of the columns.
    """

    name: str
    user_ids: np.ndarray
    item_ids: np.ndarray
    interactions: pd.DataFrame
    user_features: list[FeatureRow]
    item_features: list[FeatureRow]
    description: str = field(default="")

    def __post_init__(self) -> None:
        missing = [c for c in INTERACTION_COLUMNS if c not in self.interactions]
        if missing:
            raise DatasetError(f"{self.name}: interactions lack the column(s) {', '.join(missing)}")
        if len(self.user_features) != len(self.user_ids) or len(self.item_features) != len(self.item_ids):
            raise DatasetError(f"{self.name}: one feature row per user and per item is required")
        for column, ids in (("user_id", self.user_ids), ("item_id", self.item_ids)):
            unknown = ~self.interactions[column].isin(ids)
            if unknown.any():
                first = self.interactions[column][unknown].iloc[0]
                raise DatasetError(f"{self.name}: interaction {column} {first!r} is unknown")

    @cached_property
    def positives(self) -> sp.csr_matrix:
        """Users x items, 1.0 where the user interacted with the item (repeats count once)."""
        rows = pd.Index(self.user_ids).get_indexer(self.interactions["user_id"])
        columns = pd.Index(self.item_ids).get_indexer(self.interactions["item_id"])
        matrix = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=(len(self.user_ids), len(self.item_ids))
        )
        matrix.sum_duplicates()
        matrix.data[:] = 1.0
        return matrix

    @cached_property
    def item_feature_families(self) -> tuple[str, ...]:
        """Families of the item features (what cold-start popularity may group items by)."""
        return feature_families(self.item_features)

    @cached_property
    def user_feature_families(self) -> tuple[str, ...]:
        """Families of the user features."""
        return feature_families(self.user_features)


@runtime_checkable
class DatasetLoader(Protocol):
    """Something that reads one data set: a name for reports, and ``load``."""

    name: str

    def load(self) -> ImplicitDataset:
        """Read the data set (raising a clear error naming what is missing)."""
        ...
