"""Frozen maps between external ids and internal matrix rows.

External ids come in and go out of every public call; the integer rows of the matrices and
indexes never leak past this boundary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from recommender.errors import UnknownIdError


class IdMap:
    """An immutable, ordered set of external ids with their row numbers."""

    __slots__ = ("_ids", "_rows")

    def __init__(self, external_ids: Iterable[str]) -> None:
        ids = np.asarray(list(external_ids), dtype=object)
        rows = {external_id: row for row, external_id in enumerate(ids.tolist())}
        if len(rows) != len(ids):
            raise ValueError("external ids must be unique")
        self._ids = ids
        self._rows = rows

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, external_id: object) -> bool:
        return external_id in self._rows

    @property
    def external_ids(self) -> np.ndarray:
        """All external ids in row order (a read-only view)."""
        view = self._ids.view()
        view.flags.writeable = False
        return view

    def row(self, external_id: str, kind: str = "id") -> int:
        """The row of one id; raises ``UnknownIdError`` naming the id when it is not mapped."""
        try:
            return self._rows[external_id]
        except KeyError:
            raise UnknownIdError(kind, external_id) from None

    def rows(self, external_ids: Sequence[str], kind: str = "id") -> np.ndarray:
        """Rows of many ids, all of which must be mapped."""
        return np.fromiter((self.row(i, kind) for i in external_ids), dtype=np.int64, count=len(external_ids))

    def rows_or_missing(self, external_ids: Sequence[str]) -> np.ndarray:
        """Rows of many ids, with -1 where an id is not mapped."""
        get = self._rows.get
        return np.fromiter((get(i, -1) for i in external_ids), dtype=np.int64, count=len(external_ids))

    def ids(self, rows: np.ndarray | Sequence[int]) -> list[str]:
        """External ids of the given rows."""
        return self._ids[np.asarray(rows, dtype=np.int64)].tolist()

    def extended(self, external_ids: Iterable[str]) -> IdMap:
        """A new map with the ids not yet mapped appended at the end (existing rows keep their number)."""
        new = [i for i in dict.fromkeys(external_ids) if i not in self._rows]
        return IdMap([*self._ids.tolist(), *new]) if new else self
