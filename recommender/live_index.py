"""The live index of one side of the market: ids, their vectors, and which are searchable.

Investors and packages each have one. Ids are append-only (``IdMap``), vectors grow by row
(``VectorRows``), and the FAISS index holds the rows that may be returned now (a sold listing
keeps its vector, so it can still be scored and explained, but leaves the index). Rows never
leave this class: callers pass and get external ids.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from recommender.idmap import IdMap
from recommender.retrieval import VectorIndex
from recommender.row_store import VectorRows

Ranked = list[tuple[str, float]]


class LiveIndex:
    """Vectors of one kind of entity ("investor" or "package") by external id, and their index."""

    def __init__(self, kind: str, ids: IdMap, vectors: VectorRows, index: VectorIndex) -> None:
        self.kind = kind
        self.ids = ids
        self._vectors = vectors
        self.index = index

    @classmethod
    def empty(cls, kind: str, dimension: int) -> LiveIndex:
        return cls(kind, IdMap([]), VectorRows(np.zeros((0, dimension), dtype=np.float32)), VectorIndex(dimension))

    @classmethod
    def of(cls, kind: str, ids: Sequence[str], vectors: np.ndarray, searchable: bool) -> LiveIndex:
        """``ids`` with their ``vectors``, all in the index when ``searchable``."""
        live = cls(kind, IdMap(ids), VectorRows(vectors), VectorIndex(vectors.shape[1]))
        if searchable:
            live.index.upsert(np.arange(len(live.ids)), live.vectors)
        return live

    def copy(self) -> LiveIndex:
        """An independent copy: writes to either never show in the other."""
        index = VectorIndex.from_bytes(self.index.to_bytes())
        return LiveIndex(self.kind, IdMap(self.ids.external_ids.tolist()), VectorRows(self.vectors), index)

    @property
    def vectors(self) -> np.ndarray:
        """Vectors of every id ever given, by row (a view: do not keep it across writes)."""
        return self._vectors.matrix

    def vectors_of(self, external_ids: Sequence[str]) -> np.ndarray:
        """Vectors of known ids; raises ``UnknownIdError`` naming the first unknown one."""
        return self.vectors[self.ids.rows(external_ids, self.kind)]

    def indexed_ids(self) -> list[str]:
        """The ids a search may return now."""
        return self.ids.ids(self.index.stored_rows())

    def upsert(self, external_ids: Sequence[str], vectors: np.ndarray, searchable: bool = True) -> np.ndarray:
        """Set the vectors of ``external_ids`` (new ids are appended) and return their rows."""
        self.ids.add(external_ids)
        rows = self.ids.rows(external_ids, self.kind)
        self._vectors.set(rows, vectors)
        if searchable:
            self.index.upsert(rows, vectors)
        return rows

    def remove(self, external_ids: Collection[str]) -> None:
        """Take ids out of the index (their vectors stay); unknown ids are ignored."""
        rows = self.ids.rows_or_missing(list(external_ids))
        self.index.remove(rows[rows >= 0])

    def search(
        self,
        queries: np.ndarray,
        query_ids: Sequence[str],
        k: int,
        allowed: Collection[str] | None = None,
        exclude: Mapping[str, Collection[str]] | None = None,
    ) -> list[Ranked]:
        """The ``k`` best indexed ids for each query vector, with per-query exclusions by query id."""
        excluded = None
        if exclude:
            excluded = [self.ids.rows_or_missing(list(exclude.get(q, ()))) for q in query_ids]
        results = self.index.search(queries, k, self.mask(allowed), excluded)
        return [list(zip(self.ids.ids(r.rows), (float(s) for s in r.scores), strict=True)) for r in results]

    def mask(self, allowed: Collection[str] | None) -> np.ndarray | None:
        """A boolean mask over rows, True for the allowed ids (``None``: everything allowed)."""
        if allowed is None:
            return None
        rows = self.ids.rows_or_missing(list(allowed))
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[rows[rows >= 0]] = True
        return mask
