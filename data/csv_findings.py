"""Problems found in a market file, kept as row positions until they are reported.

The checks of :mod:`data.csv_reader` run over whole columns and may flag a million rows, so a
problem is only a row position and a way of phrasing it until :func:`report` sorts them all
and phrases just the ones a refusal shows. This module knows nothing of cells or files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from data.masking import mask_personal_data
from data.problems import Problem

#: How many problems a refused market reports in full by default.
DEFAULT_MAX_PROBLEMS = 1000

_QUOTE_LIMIT = 60

#: Phrases the problem of one row, given its position; called only for the problems kept.
MessageFor = Callable[[int], str]


@dataclass
class _Batch:
    """Rows of one file that share a column and a way of phrasing what is wrong."""

    column: str
    rank: int  # position of the column in the contract, so a line's problems read left to right
    lines: np.ndarray
    rows: np.ndarray
    message: MessageFor


@dataclass
class Findings:
    """Problems of one file.

    Checks run over whole columns and may flag a million rows, so a problem is only a row
    position here; :func:`report` sorts them all and phrases just the ones it keeps.
    """

    file: str
    columns: tuple[str, ...] = ()
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    batches: list[_Batch] = field(default_factory=list)

    def _rank(self, column: str) -> int:
        """Sort key of a column: contract order, problems about whole lines first."""
        return self.columns.index(column) if column in self.columns else -1

    def add(self, column: str, bad: np.ndarray, message: MessageFor) -> None:
        """Record every row where ``bad`` is true as a problem in ``column``."""
        rows = np.flatnonzero(bad)
        if rows.size:
            self.batches.append(_Batch(column, self._rank(column), self.lines[rows], rows, message))

    def add_line(self, line: int, column: str, message: str) -> None:
        """Record a problem that is about a line (or the file) rather than a data row."""
        batch = _Batch(column, self._rank(column), np.array([line]), np.array([-1]), lambda _row: message)
        self.batches.append(batch)

    def add_lines(self, lines: np.ndarray, message: MessageFor) -> None:
        """Record problems about whole lines; ``message`` gets the index into ``lines``."""
        if lines.size:
            self.batches.append(_Batch("", -1, lines, np.arange(lines.size), message))

    def drop_rows(self, rows: np.ndarray) -> None:
        """Forget the problems of ``rows`` (used for rows dropped as blank)."""
        for batch in self.batches:
            keep = ~np.isin(batch.rows, rows)
            batch.rows, batch.lines = batch.rows[keep], batch.lines[keep]

    @property
    def count(self) -> int:
        """How many problems were found."""
        return sum(batch.rows.size for batch in self.batches)


def report(findings: Iterable[Findings], limit: int) -> tuple[list[Problem], int]:
    """Order all problems by file, line and check, and phrase the first ``limit`` of them."""
    findings = list(findings)
    total = sum(f.count for f in findings)
    if total == 0:
        return [], 0
    keys = [
        (np.full(size, fi), batch.lines, np.full(size, batch.rank), np.full(size, bi), np.arange(size))
        for fi, source in enumerate(findings)
        for bi, batch in enumerate(source.batches)
        if (size := batch.rows.size)
    ]
    file_idx, lines, rank, batch_idx, member = (np.concatenate(part) for part in zip(*keys, strict=True))
    order = np.lexsort((member, batch_idx, rank, lines, file_idx))[: max(limit, 0)]
    problems = []
    for i in order:
        source = findings[file_idx[i]]
        batch = source.batches[batch_idx[i]]
        message = batch.message(int(batch.rows[member[i]]))
        problems.append(Problem(source.file, int(lines[i]), batch.column, mask_personal_data(message)))
    return problems, total


def quote(value: str) -> str:
    """Quote a cell for a message, shortened so one bad cell cannot flood the report."""
    if len(value) > _QUOTE_LIMIT:
        value = value[: _QUOTE_LIMIT - 1] + "…"
    return repr(value)
