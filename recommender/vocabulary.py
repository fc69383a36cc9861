"""Feature vocabularies: named features to matrix columns, frozen when a model is fitted.

Rows built after fitting (a package listed a minute ago, an investor who signed up today) are
encoded against the same columns; features the model never saw are dropped, not added.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp


class FeatureVocabulary:
    """An ordered list of feature names with their column numbers."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names: tuple[str, ...] = tuple(names)
        self.columns: dict[str, int] = {name: column for column, name in enumerate(self.names)}
        if len(self.columns) != len(self.names):
            raise ValueError("feature names must be unique")

    def __len__(self) -> int:
        return len(self.names)

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[Mapping[str, float]],
        min_count: int = 1,
        max_share_by_prefix: Mapping[str, float] | None = None,
    ) -> FeatureVocabulary:
        """Features present in at least ``min_count`` rows, in sorted order (deterministic).

        ``max_share_by_prefix`` drops features of a kind that appear in too large a share of
        rows: a word in most listings ("million", "data room") is boilerplate, not a signal.
        """
        counts: Counter[str] = Counter()
        for row in rows:
            counts.update(row.keys())
        limits = {prefix: share * len(rows) for prefix, share in (max_share_by_prefix or {}).items()}

        def too_common(name: str, count: int) -> bool:
            return any(name.startswith(prefix) and count > limit for prefix, limit in limits.items())

        return cls(sorted(n for n, c in counts.items() if c >= min_count and not too_common(n, c)))

    def encode(self, rows: Sequence[Mapping[str, float]], normalize: bool = True) -> sp.csr_matrix:
        """A float32 CSR matrix with one row per mapping; unknown features are ignored.

        With ``normalize`` each row sums to one, so an item with many words does not outweigh
        one with few (LightFM's own ``Dataset`` does the same).
        """
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        columns = self.columns
        for row in rows:
            for name, weight in row.items():
                column = columns.get(name)
                if column is not None and weight != 0:
                    indices.append(column)
                    data.append(weight)
            indptr.append(len(indices))
        matrix = sp.csr_matrix(
            (np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
            shape=(len(rows), len(self.names)),
            dtype=np.float32,
        )
        if normalize:
            sums = np.asarray(abs(matrix).sum(axis=1)).ravel()
            sums[sums == 0] = 1.0
            matrix = sp.diags(1.0 / sums).astype(np.float32) @ matrix
        matrix.sort_indices()
        return matrix.tocsr()
