"""Maps between external ids and internal matrix rows.

External ids come in and go out of every public call; the integer rows of the matrices and
indexes never leak past this boundary. A map is append-only: a row, once given to an id, is
never reused or renumbered, so vectors and indexes keyed by rows stay valid as ids are added
(a package listed a minute ago, an investor who joined today).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from data.errors import unknown_id


class IdMap:
    """An ordered, append-only set of external ids with their row numbers."""

    __slots__ = ("_ids", "_rows")

    def __init__(self, external_ids: Iterable[str]) -> None:
        self._ids: list[str] = list(external_ids)
        self._rows: dict[str, int] = {external_id: row for row, external_id in enumerate(self._ids)}
        if len(self._rows) != len(self._ids):
            raise ValueError("external ids must be unique")

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, external_id: object) -> bool:
        return external_id in self._rows

    @property
    def external_ids(self) -> np.ndarray:
        """All external ids in row order (a copy)."""
        return np.asarray(self._ids, dtype=object)

    def row(self, external_id: str, kind: str = "id") -> int:
        """The row of one id; an unknown one raises ``data.errors.UnknownIdError`` of ``kind``."""
        try:
            return self._rows[external_id]
        except KeyError:
            raise unknown_id(kind, external_id) from None

    def rows(self, external_ids: Sequence[str], kind: str = "id") -> np.ndarray:
        """Rows of many ids, all of which must be mapped."""
        return np.fromiter((self.row(i, kind) for i in external_ids), dtype=np.int64, count=len(external_ids))

    def rows_or_missing(self, external_ids: Sequence[str]) -> np.ndarray:
        """Rows of many ids, with -1 where an id is not mapped."""
        get = self._rows.get
        return np.fromiter((get(i, -1) for i in external_ids), dtype=np.int64, count=len(external_ids))

    def ids(self, rows: np.ndarray | Sequence[int]) -> list[str]:
        """External ids of the given rows."""
        ids = self._ids
        return [ids[row] for row in np.asarray(rows, dtype=np.int64).tolist()]

    def add(self, external_ids: Iterable[str]) -> None:
        """Append the ids not yet mapped (existing rows keep their number)."""
        for external_id in external_ids:
            if external_id not in self._rows:
                self._rows[external_id] = len(self._ids)
                self._ids.append(external_id)
