"""Nearest-neighbour retrieval over embedding vectors, served by FAISS.

Scores are plain inner products (the bias trick folds biases into the vectors), so one exact
inner-product index answers both directions: packages for an investor and investors for a
package. Exact search is fast enough at this market's scale (tens of thousands of live
packages, about a hundred thousand investors; see docs/benchmarks.md), so nothing approximate
is used until it would pay.

Filtering is an argument of the search: an eligibility bitmap is applied inside FAISS, so a
rule never leaves a list short, and per-query exclusions are handled by over-fetching.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import faiss
import numpy as np


@dataclass(frozen=True)
class SearchResult:
    """Rows (of the caller's id map) and their scores, best first."""

    rows: np.ndarray
    scores: np.ndarray


class VectorIndex:
    """An exact inner-product index whose vectors are keyed by integer rows."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._stored: set[int] = set()

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def upsert(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under the given rows, replacing any stored under the same rows."""
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return
        self.remove(rows)
        self._index.add_with_ids(_as_float32(vectors, self.dimension), rows)
        self._stored.update(rows.tolist())

    def remove(self, rows: np.ndarray) -> None:
        """Drop the vectors of the given rows (rows not present are ignored).

        Removing from a flat index compacts it, so only rows actually stored are removed:
        adding a brand-new listing then costs nothing but the add.
        """
        present = np.asarray([row for row in np.asarray(rows, dtype=np.int64).tolist() if row in self._stored], dtype=np.int64)
        if len(present):
            self._index.remove_ids(faiss.IDSelectorBatch(present))
            self._stored.difference_update(present.tolist())

    def to_bytes(self) -> np.ndarray:
        """The whole index, serialised by FAISS, for the model artifact."""
        return faiss.serialize_index(self._index)

    @classmethod
    def from_bytes(cls, data: np.ndarray) -> VectorIndex:
        """An index restored from ``to_bytes`` output."""
        index = faiss.deserialize_index(np.ascontiguousarray(data, dtype=np.uint8))
        restored = cls(index.d)
        restored._index = index
        restored._stored = set(restored.stored_rows().tolist())
        return restored

    def stored_rows(self) -> np.ndarray:
        """The rows currently in the index."""
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def search(
        self,
        queries: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        exclude: Sequence[np.ndarray] | None = None,
    ) -> list[SearchResult]:
        """The ``k`` best rows for each query vector.

        ``allowed`` is a boolean mask over rows (True = may be returned), applied inside FAISS.
        ``exclude`` holds, per query, rows to leave out; the search over-fetches by their count.
        """
        queries = _as_float32(np.atleast_2d(queries), self.dimension)
        if k <= 0 or self._index.ntotal == 0:
            return [SearchResult(np.empty(0, np.int64), np.empty(0, np.float32)) for _ in queries]
        longest_exclusion = max((len(e) for e in exclude), default=0) if exclude else 0
        fetch = min(k + longest_exclusion, int(self._index.ntotal))
        params, _keepalive = _selector_params(allowed)
        scores, rows = self._index.search(queries, fetch, params=params)
        results = []
        for query_number in range(len(queries)):
            keep = rows[query_number] >= 0
            if exclude is not None and len(exclude[query_number]):
                keep &= ~np.isin(rows[query_number], exclude[query_number])
            kept = np.flatnonzero(keep)[:k]
            results.append(SearchResult(rows[query_number][kept], scores[query_number][kept]))
        return results


def _selector_params(allowed: np.ndarray | None) -> tuple[faiss.SearchParameters | None, object]:
    """FAISS search parameters restricting results to ``allowed`` rows (plus what must stay alive)."""
    if allowed is None:
        return None, None
    bitmap = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
    selector = faiss.IDSelectorBitmap(bitmap.size, faiss.swig_ptr(bitmap))  # size in bytes
    return faiss.SearchParameters(sel=selector), (bitmap, selector)


def _as_float32(vectors: np.ndarray, dimension: int) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] != dimension:
        raise ValueError(f"expected vectors of dimension {dimension}, got shape {vectors.shape}")
    return vectors
