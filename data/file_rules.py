"""Rules of a market file beyond its single cells: across a row's columns, across files, and keys.

A :class:`ParsedFile` is one file parsed column by column (:mod:`data.cells`). The rules here
need several of its columns or other files: a ticket range the right way up, an asset type
within its class, an amount on every bid and win, events that point at known investors and
packages, and the idempotency key of events (repeats dropped, differing repeats refused, a
missing key derived from the content by :func:`data.event_ids.derive_event_ids`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.cells import ParsedColumn, first_positions, repeats
from data.contract import (
    AMOUNT_REQUIRED_EVENTS,
    ASSET_CLASS_OF_TYPE,
    EVENT_FIELDS,
    INVESTOR_FIELDS,
    PACKAGE_FIELDS,
    Field,
)
from data.csv_findings import DEFAULT_MAX_PROBLEMS, Findings, quote, report
from data.event_ids import EVENT_KEY_FIELDS, derive_event_ids
from data.problems import MarketFileError
from data.record_diff import same_value


@dataclass
class ParsedFile:
    """One market file parsed column by column, before it becomes a frame."""

    fields: tuple[Field, ...]
    findings: Findings
    columns: dict[str, ParsedColumn] = field(default_factory=dict)
    raw: dict[str, np.ndarray] = field(default_factory=dict)
    present: frozenset[str] = frozenset()
    readable: bool = True
    keep: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def values(self, name: str) -> np.ndarray:
        """Parsed values of a column as a numpy array."""
        return np.asarray(self.columns[name].values)

    def valid(self, name: str) -> np.ndarray:
        """Rows whose cell in ``name`` is present and passed its own checks."""
        column = self.columns[name]
        if name not in self.present:
            return np.zeros(len(column.empty), bool)
        return ~column.empty & ~column.invalid

    def isin(self, name: str, values: Collection[str]) -> np.ndarray:
        """Rows whose value in ``name`` is one of ``values``, checking each distinct value once."""
        text = self.columns[name].text
        candidates = text.uniques if text is not None else self.values(name)
        found = pd.Series(candidates, dtype=object).isin(list(values)).to_numpy()
        return text.rows(found) if text is not None else found

    def cell(self, name: str, row: int) -> str:
        """The stripped text of a cell, for messages."""
        return quote(self.raw[name][row].strip())


def _check_order(
    table: ParsedFile,
    column: str,
    other: str,
    wrong: Callable[[np.ndarray, np.ndarray], np.ndarray],
    relation: str,
) -> None:
    """Report rows where ``wrong(column, other)`` holds, for two cells that are each valid."""
    both = table.valid(column) & table.valid(other)
    bad = both & wrong(table.values(column), table.values(other))
    table.findings.add(
        column, bad, lambda row: f"{table.cell(column, row)} {relation} {other} {table.cell(other, row)}"
    )


def _check_investor_rows(table: ParsedFile) -> None:
    """A ticket range must not be upside down."""
    _check_order(table, "max_ticket_cny", "min_ticket_cny", np.less, "is less than")


def _check_package_rows(table: ParsedFile) -> None:
    """Dates in order, asset type within its class, claims not below the principal."""
    _check_order(table, "closes_at", "listed_at", np.less_equal, "is not after")
    _check_order(table, "claim_total_cny", "principal_cny", np.less, "is less than")
    asset_type = pd.Series(table.values("asset_type"), dtype=object)
    expected = asset_type.map(ASSET_CLASS_OF_TYPE).to_numpy(dtype=object)
    both = table.valid("asset_type") & table.valid("asset_class")
    table.findings.add(
        "asset_type",
        both & (expected != table.values("asset_class")),
        lambda row: (
            f"{table.cell('asset_type', row)} is a {expected[row]} asset type "
            f"but asset_class is {table.cell('asset_class', row)}"
        ),
    )


def _event_ids(table: ParsedFile, rows: np.ndarray) -> np.ndarray:
    """Derived ``event_id`` of the events at ``rows``."""
    return derive_event_ids(*(table.values(name)[rows] for name in EVENT_KEY_FIELDS))


def _check_event_rows(table: ParsedFile) -> None:
    """Bids and wins must say how much."""
    event_types = table.values("event_type")
    needs_amount = table.valid("event_type") & table.isin("event_type", AMOUNT_REQUIRED_EVENTS)
    table.findings.add(
        "amount_cny",
        needs_amount & table.columns["amount_cny"].empty,
        lambda row: f"missing value (required for a {event_types[row]} event)",
    )


@dataclass(frozen=True)
class _FileRules:
    """What a kind of market file checks beyond its single fields."""

    check_rows: Callable[[ParsedFile], None]
    # A unique column that identifies a record for idempotent import: repeats are dropped,
    # not refused, and an empty one is derived from the row by derive_key.
    idempotency_key: str | None = None
    derive_key: Callable[[ParsedFile, np.ndarray], np.ndarray] | None = None


_RULES: dict[tuple[Field, ...], _FileRules] = {
    INVESTOR_FIELDS: _FileRules(_check_investor_rows),
    PACKAGE_FIELDS: _FileRules(_check_package_rows),
    EVENT_FIELDS: _FileRules(_check_event_rows, idempotency_key="event_id", derive_key=_event_ids),
}


def rules_for(fields: tuple[Field, ...]) -> _FileRules:
    """The rules of a contract file; files of unknown layout get the field checks only."""
    return _RULES.get(fields, _FileRules(lambda _table: None))


def check_header(header: list[str], fields: tuple[Field, ...], findings: Findings) -> frozenset[str]:
    """Report missing required and repeated contract columns; return the contract columns present."""
    names = {spec.name for spec in fields}
    seen: set[str] = set()
    for name in header:
        if name in names and name in seen:
            findings.add_line(1, name, "column appears more than once in the header")
        seen.add(name)
    for spec in fields:
        if spec.required and spec.name not in seen:
            findings.add_line(1, spec.name, "missing required column")
    return frozenset(names & seen)


def check_references(events: ParsedFile, column: str, known: Collection[str] | None, source: str) -> None:
    """Report events whose investor or package is unknown; ``known=None`` skips the check."""
    if known is None or column not in events.present:
        return
    values = events.values(column)
    unknown = ~events.isin(column, known) & ~events.columns[column].empty & events.keep

    def message(row: int) -> str:
        return f"unknown {column} {quote(values[row])} (not in {source})"

    events.findings.add(column, unknown, message)


def known_ids(table: ParsedFile | None, column: str, extra: Collection[str]) -> set[str] | None:
    """Ids an event may refer to: the sibling file's (valid or not) plus the caller's.

    ``None`` means the sibling file exists but could not be read or has no id column, so any
    id might be valid and flagging every event would bury the real problem.
    """
    if table is None:
        return set(extra)
    if not table.readable or column not in table.present:
        return None
    ids = table.values(column)
    return set(extra) | set(ids[pd.notna(ids)].tolist())


def _fill_keys(table: ParsedFile, name: str, derive: Callable[[ParsedFile, np.ndarray], np.ndarray]) -> None:
    """Give every kept row with an empty idempotency key its derived one."""
    column = table.columns[name]
    rows = np.flatnonzero(column.empty & table.keep)
    if rows.size:
        values = np.array(column.values, dtype=object, copy=True)
        values[rows] = derive(table, rows)
        table.columns[name] = ParsedColumn(values, column.empty, column.invalid, column.message)


def idempotent_rows(table: ParsedFile) -> np.ndarray:
    """Positions of the rows a frame keeps: every kept row, and with an idempotency key only
    the first row of each key (after deriving the missing ones).

    Raises
    ------
    MarketFileError
        When a repeated key comes with other content.
    """
    rules = rules_for(table.fields)
    keep = np.flatnonzero(table.keep)
    if rules.idempotency_key is None:
        return keep
    if rules.derive_key is not None:
        _fill_keys(table, rules.idempotency_key, rules.derive_key)
    keys = table.values(rules.idempotency_key)[keep]
    repeated = repeats(keys)
    if repeated.any():
        _refuse_differing_repeats(table, rules.idempotency_key, keep, repeated, first_positions(keys))
    return keep[~repeated]


def _refuse_differing_repeats(
    table: ParsedFile, name: str, keep: np.ndarray, repeated: np.ndarray, first: np.ndarray
) -> None:
    """A repeated idempotency key is a repeat only with the same content; otherwise refuse it.

    Dropping the later row would lose it silently, so both lines are named instead. ``keep``
    are the rows that count, ``repeated`` and ``first`` are indexed like ``keep``.
    """
    fields = [spec.name for spec in table.fields if spec.name != name]
    differing: dict[int, tuple[int, list[str]]] = {}
    for position in np.flatnonzero(repeated):
        row, original = int(keep[position]), int(keep[first[position]])
        differ = [f for f in fields if not same_value(table.values(f)[row], table.values(f)[original])]
        if differ:
            differing[row] = (original, differ)
    if not differing:
        return
    keys, lines = table.values(name), table.findings.lines

    def message(row: int) -> str:
        original, differ = differing[row]
        return (
            f"{name} {quote(str(keys[row]))} repeats line {int(lines[original])} with"
            f" different {', '.join(differ)}; a repeat must be identical (or give it its own id)"
        )

    findings = Findings(table.findings.file, table.findings.columns, lines)
    bad = np.zeros(len(lines), bool)
    bad[list(differing)] = True
    findings.add(name, bad, message)
    problems, total = report([findings], DEFAULT_MAX_PROBLEMS)
    raise MarketFileError(problems, total)
