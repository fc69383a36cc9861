"""Growable row storage, so adding one package or investor costs O(1), not a full copy."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class VectorRows:
    """A float32 matrix whose rows are set by row number, growing with amortised doubling."""

    def __init__(self, initial: np.ndarray) -> None:
        self._data = np.ascontiguousarray(initial, dtype=np.float32).copy()
        self._rows = self._data.shape[0]

    @property
    def matrix(self) -> np.ndarray:
        """The rows in use (a view: do not keep it across writes)."""
        return self._data[: self._rows]

    def set(self, rows: np.ndarray, values: np.ndarray) -> None:
        needed = int(rows.max()) + 1 if len(rows) else 0
        if needed > self._data.shape[0]:
            grown = np.zeros((max(needed, 2 * self._data.shape[0]), self._data.shape[1]), dtype=np.float32)
            grown[: self._rows] = self._data[: self._rows]
            self._data = grown
        self._rows = max(self._rows, needed)
        self._data[rows] = values


class SparseRows:
    """A CSR matrix whose rows are replaced or appended, merged lazily when it is read.

    Package features are read only to fold an investor's evidence or to save the model, so
    writes are queued and merged in one pass on the next read.
    """

    def __init__(self, initial: sp.csr_matrix) -> None:
        self._matrix = initial.tocsr().astype(np.float32)
        self._pending: list[tuple[np.ndarray, sp.csr_matrix]] = []

    def set(self, rows: np.ndarray, values: sp.csr_matrix) -> None:
        self._pending.append((np.asarray(rows, dtype=np.int64), values.tocsr().astype(np.float32)))

    @property
    def matrix(self) -> sp.csr_matrix:
        if self._pending:
            self._matrix = self._merged()
            self._pending = []
        return self._matrix

    def _merged(self) -> sp.csr_matrix:
        rows = np.concatenate([r for r, _ in self._pending])
        values = sp.vstack([v for _, v in self._pending], format="csr")
        last = len(rows) - 1 - np.unique(rows[::-1], return_index=True)[1]  # the latest write per row
        rows, values = rows[last], values[last]
        n_rows = max(self._matrix.shape[0], int(rows.max()) + 1)
        base = self._matrix
        if base.shape[0] < n_rows:
            base = sp.vstack([base, sp.csr_matrix((n_rows - base.shape[0], base.shape[1]), dtype=np.float32)])
        keep = np.ones(n_rows, dtype=np.float32)
        keep[rows] = 0
        placed = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, np.arange(len(rows)))), shape=(n_rows, len(rows))
        ) @ values
        return (sp.diags(keep) @ base + placed).tocsr().astype(np.float32)
