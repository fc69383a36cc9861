"""Growable, row-aligned attribute columns: one numpy array per attribute, set by row number.

Package and investor attributes live beside the model's rows (its append-only id maps), so a
candidate list of model rows becomes attribute arrays with one ``take`` per column, and adding
a listing or an investor costs amortised O(1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class Columns:
    """Named arrays of one length, growing by doubling; unset rows hold each column's fill."""

    def __init__(self, spec: Mapping[str, tuple[np.dtype | type, object]], capacity: int = 0) -> None:
        self._spec = dict(spec)
        self._arrays = {
            name: np.full(max(capacity, 16), fill, dtype=dtype) for name, (dtype, fill) in spec.items()
        }
        self.version = 0  # bumped on every write, so derived arrays know when to recompute

    def __len__(self) -> int:
        return len(next(iter(self._arrays.values())))

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def reserve(self, rows: int) -> None:
        """Make room for row numbers below ``rows``."""
        size = len(self)
        if rows <= size:
            return
        grown = max(rows, 2 * size)
        for name, (dtype, fill) in self._spec.items():
            array = np.full(grown, fill, dtype=dtype)
            array[:size] = self._arrays[name]
            self._arrays[name] = array

    def set(self, rows: np.ndarray, values: Mapping[str, np.ndarray]) -> None:
        """Write ``values[name][i]`` to row ``rows[i]`` for every given column."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return
        self.reserve(int(rows.max()) + 1)
        for name, column in values.items():
            self._arrays[name][rows] = column
        self.version += 1

    def take(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Every column at the given rows (any shape of ``rows``)."""
        return {name: array[rows] for name, array in self._arrays.items()}
