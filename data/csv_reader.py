"""Read and validate the market CSV files (``investors.csv``, ``packages.csv``, ``events.csv``).

The contract (:mod:`data.contract`) says what every column must hold; this module checks a
directory of files against it and either returns typed frames or refuses the whole market with
every problem listed by file, line and column (:class:`~data.problems.MarketFileError`), so
nothing half-valid is ever imported.

Validation is driven by the ``Field`` specs of the contract and runs column by column with
pandas and numpy, because an events file has millions of rows. Columns whose values repeat
(ids, enums, amounts) are factorized and each distinct value is checked once. Python code per
row runs only to phrase the messages of bad rows, and only for the problems that are kept, and
to hash the rows of events that come without an ``event_id``.

The work is split by job; this module runs the pipeline and holds the public API:

- :mod:`data.csv_lines`: bytes to text cells, with the physical line of every row;
- :mod:`data.cells`: one column parsed by its field kind, with its range checks;
- :mod:`data.file_rules`: rules across a row's columns, references to other files, and the
  idempotency key (:mod:`data.event_ids` derives a missing ``event_id``);
- :mod:`data.csv_findings`: problems kept as row positions until the refusal phrases them.

Reading rules that the contract leaves open:

- Line numbers are physical lines as an editor shows them: the header is line 1. Quoted cells
  that span lines are accounted for. Rows whose cells are all empty (blank lines) are skipped.
- Every cell is read as text and stripped of surrounding whitespace before it is checked.
- Extra columns are ignored and not returned. An absent optional column reads as empty, or as
  its ``Field.default``.
- Decimals are plain: digits with an optional sign and decimal point. Thousands separators,
  exponents (``1.2E+07`` is how spreadsheets round big amounts), ``nan`` and ``inf`` are
  refused.
- Timestamps are ISO 8601 dates or date-times (``T`` or a space between date and time, seconds
  and up to nine fractional digits optional), with an optional ``Z`` or ``+08:00``-style offset.
  Naive values are local time in :data:`~data.contract.MARKET_TIMEZONE`. Dates and timestamps
  alike are returned as naive UTC ``datetime64[us]`` (:data:`TIMESTAMP_DTYPE`): microseconds are
  what pandas 3 parses to, what ``datetime`` and SQL timestamps hold, and sub-microsecond digits
  are dropped. A date is the instant its day starts in the market's time zone, so
  ``2025-03-14`` becomes ``2025-03-13 16:00:00`` UTC.
- Ranges are checked on what would be stored: an instant must fall in the contract's years
  (:data:`~data.contract.EARLIEST_YEAR` to :data:`~data.contract.LATEST_YEAR`) once its
  offset is applied, and a number within its field's minimum and maximum.
- ``event_id`` is an idempotency key: the first row with an id is kept and later rows that
  repeat it exactly are dropped; a later row with the same id and other content is refused,
  naming both lines. A row without one gets an id derived from its content
  (:func:`derive_event_ids`), so importing the same file twice stores the same events.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data.cells import (
    TIMESTAMP_DTYPE,
    absent_column,
    check_bounds,
    check_unique,
    instants_in_range,
    parse_column,
)
from data.contract import EVENT_FIELDS, MARKET_FILES, Field
from data.csv_findings import DEFAULT_MAX_PROBLEMS, Findings, report
from data.csv_lines import TextTable, read_table
from data.event_ids import derive_event_ids
from data.file_rules import ParsedFile, check_header, check_references, idempotent_rows, known_ids, rules_for
from data.identifiers import check_identifiers
from data.problems import MarketFileError, Problem

__all__ = [
    "DEFAULT_MAX_PROBLEMS",
    "TIMESTAMP_DTYPE",
    "MarketFileError",
    "MarketFrames",
    "Problem",
    "SourceLines",
    "derive_event_ids",
    "instants_in_range",
    "read_csv_file",
    "read_market",
    "read_records",
]


@dataclass(frozen=True)
class MarketFrames:
    """The validated market: one typed frame per file, ``None`` when the file is absent.

    Columns are exactly the contract's fields in contract order. Text columns hold ``str``
    objects with ``None`` for missing (object dtype), decimals are ``float64`` with ``NaN``,
    required integers ``int64`` (optional ones nullable ``Int64``), booleans ``bool``, and dates
    and timestamps naive UTC ``datetime64[us]`` with ``NaT``. List columns hold the normalised
    ``;``-joined string.
    """

    investors: pd.DataFrame | None
    packages: pd.DataFrame | None
    events: pd.DataFrame | None


def _blank_rows(table: ParsedFile, extra: list[np.ndarray]) -> np.ndarray:
    """Rows with nothing in any cell, as left by blank lines; they are skipped, not refused."""
    present = [table.columns[spec.name].empty for spec in table.fields if spec.name in table.present]
    blank = np.logical_and.reduce(present) if present else np.ones(len(table.findings.lines), bool)
    candidates = np.flatnonzero(blank)
    if candidates.size:
        for column in extra:
            blank[candidates] &= pd.Series(column[candidates], dtype=object).str.strip().eq("").to_numpy()
    return blank


def _parse_columns(table: ParsedFile, text: TextTable) -> list[np.ndarray]:
    """Parse every contract column and report bad values; return the extra columns."""
    n = len(text.lines)
    position = {name: i for i, name in reversed(list(enumerate(text.header)))}
    for spec in table.fields:
        if spec.name in table.present:
            raw = text.columns[position[spec.name]]
            table.raw[spec.name] = raw
            table.columns[spec.name] = parsed = parse_column(spec, raw)
            table.findings.add(spec.name, parsed.invalid, parsed.message)
            check_bounds(spec, parsed, raw, table.findings)
        else:
            table.raw[spec.name] = np.full(n, "", dtype=object)
            table.columns[spec.name] = absent_column(spec, n)
    used = {position[name] for name in table.present}
    return [column for i, column in enumerate(text.columns) if i not in used]


def _check_required_and_unique(table: ParsedFile, blank: np.ndarray) -> None:
    """Report empty required cells and repeated unique values (except an idempotency key)."""
    key = rules_for(table.fields).idempotency_key
    for spec in table.fields:
        if spec.name not in table.present:
            continue
        column = table.columns[spec.name]
        if spec.required and spec.default is None:
            table.findings.add(spec.name, column.empty & ~blank, lambda _row: "missing value")
        if spec.unique and spec.name != key:
            check_unique(spec, np.asarray(column.values), table.findings)


def _parse_file(path: Path, fields: tuple[Field, ...]) -> ParsedFile:
    """Read one file and run every check that needs nothing but the file itself."""
    findings = Findings(path.name, tuple(spec.name for spec in fields))
    table = ParsedFile(fields, findings)
    text = read_table(path, findings)
    if text is not None:
        table.present = check_header(text.header, fields, findings)
    if text is None or not text.intact:
        table.readable = False
        return table
    _check_rows(table, text)
    return table


def _check_rows(table: ParsedFile, text: TextTable, skip_blank: bool = True) -> None:
    """Parse and check every row of a table whose header is known to be usable."""
    table.findings.lines = text.lines
    extra = _parse_columns(table, text)
    blank = _blank_rows(table, extra) if skip_blank else np.zeros(len(text.lines), bool)
    table.keep = ~blank
    _check_required_and_unique(table, blank)
    check_identifiers(table.fields, table.present, table.values, table.findings.add)
    rules_for(table.fields).check_rows(table)
    if blank.any():
        table.findings.drop_rows(np.flatnonzero(blank))


def _to_frame(table: ParsedFile) -> pd.DataFrame:
    """Build the typed frame of the kept rows, columns in contract order.

    Rows are kept unless blank; with an idempotency key, only the first row of each key is.
    """
    keep = idempotent_rows(table)
    data: dict[str, pd.Series] = {}
    for spec in table.fields:
        values = table.columns[spec.name].values[keep]
        dtype = object if spec.kind in ("string", "enum", "list") else None
        data[spec.name] = pd.Series(values, dtype=dtype)
    frame = pd.DataFrame(data, columns=[spec.name for spec in table.fields])
    # The file line (or record position) of each row, so a later refusal (an event id stored
    # with other content) can point at it.
    frame.attrs["lines"] = SourceLines(table.findings.lines[keep])
    return frame


class SourceLines:
    """Each row's file line (or record position), kept in a frame's ``attrs``.

    pandas compares and deep-copies ``attrs`` whenever it combines frames (a merge of two frames
    read from files compares their attrs), so a bare array there breaks merges of frames of
    different lengths and is copied on every operation: this holder compares by identity and is
    shared, not copied.
    """

    __slots__ = ("lines",)

    def __init__(self, lines: np.ndarray) -> None:
        self.lines = lines

    def __getitem__(self, row: int) -> int:
        return int(self.lines[row])

    def __len__(self) -> int:
        return len(self.lines)

    def tolist(self) -> list[int]:
        """The lines as plain ints, as the array this holder replaced gave them."""
        return [int(line) for line in self.lines]

    def __deepcopy__(self, memo: dict) -> SourceLines:
        return self


def _raise_if_problems(tables: Iterable[ParsedFile], limit: int) -> None:
    """Raise one error carrying every problem of every file."""
    problems, total = report((table.findings for table in tables), limit)
    if total:
        raise MarketFileError(problems, total)


def read_csv_file(
    path: Path, fields: tuple[Field, ...], *, max_problems: int = DEFAULT_MAX_PROBLEMS
) -> pd.DataFrame:
    """Read and validate one market file.

    Runs every check that needs only this file: the fields, the rules across a row's columns
    and, for events, the ``event_id`` derivation and de-duplication. Ids that point into other
    files are checked by :func:`read_market`.

    Parameters
    ----------
    path
        The CSV file.
    fields
        Its contract, e.g. :data:`data.contract.PACKAGE_FIELDS`.
    max_problems
        How many problems to phrase in the error; all are counted.

    Returns
    -------
    pandas.DataFrame
        The typed rows, as described in :class:`MarketFrames`.

    Raises
    ------
    MarketFileError
        With every problem found, if there is any.
    """
    table = _parse_file(Path(path), fields)
    _raise_if_problems([table], max_problems)
    return _to_frame(table)


def read_records(
    records: Sequence[Mapping[str, str]],
    fields: tuple[Field, ...],
    source: str,
    known_investor_ids: Collection[str] | None = None,
    known_package_ids: Collection[str] | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> pd.DataFrame:
    """Validate records given as text cells, exactly as the rows of a file would be.

    This is how records that do not come from a file (the web API's JSON bodies) pass the same
    contract checks as an import. A missing key reads as an empty cell; keys that are not
    contract fields are ignored. A record with every cell empty is refused (its required fields
    are missing), not skipped as a blank line would be.

    Parameters
    ----------
    records
        One mapping of field name to cell text per record.
    fields
        The contract of the records, e.g. :data:`data.contract.EVENT_FIELDS`.
    source
        What the problems name as their file (``"events"``); a problem's ``line`` is the
        record's 1-based position.
    known_investor_ids, known_package_ids
        For events: the ids their references may point to; ``None`` skips that check.
    max_problems
        How many problems to phrase in the error; all are counted.

    Raises
    ------
    MarketFileError
        With every problem found, if there is any.
    """
    names = [spec.name for spec in fields]
    columns = [np.array([record.get(name) or "" for record in records], dtype=object) for name in names]
    text = TextTable(names, columns, np.arange(1, len(records) + 1, dtype=np.int64))
    table = ParsedFile(fields, Findings(source, tuple(names)), present=frozenset(names))
    _check_rows(table, text, skip_blank=False)
    if fields == EVENT_FIELDS:
        for column, known in (("investor_id", known_investor_ids), ("package_id", known_package_ids)):
            check_references(table, column, known, "the market")
    _raise_if_problems([table], max_problems)
    return _to_frame(table)


def read_market(
    directory: Path,
    known_investor_ids: Collection[str] = (),
    known_package_ids: Collection[str] = (),
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> MarketFrames:
    """Read and validate the market files of a directory, all or nothing.

    Every file present is validated before anything is returned, and one error lists the
    problems of all of them, so a person fixes the files in one pass.

    Parameters
    ----------
    directory
        Holds any of ``investors.csv``, ``packages.csv`` and ``events.csv``; at least one.
    known_investor_ids, known_package_ids
        Ids already in the store, which events may refer to besides those in this directory
        (an events-only import).
    max_problems
        How many problems to phrase in the error; all are counted.

    Returns
    -------
    MarketFrames
        A typed frame per file present, ``None`` for an absent file.

    Raises
    ------
    MarketFileError
        With every problem found, if there is any.
    """
    directory = Path(directory)
    tables = {
        name: _parse_file(directory / name, fields)
        for name, fields in MARKET_FILES.items()
        if (directory / name).is_file()
    }
    if not tables:
        names = list(MARKET_FILES)
        missing = f"no {', '.join(names[:-1])} or {names[-1]} found"
        raise MarketFileError([Problem(str(directory), 0, "", missing)])
    events = tables.get("events.csv")
    if events is not None and events.readable:
        references: Mapping[str, tuple[str, Collection[str]]] = {
            "investor_id": ("investors.csv", known_investor_ids),
            "package_id": ("packages.csv", known_package_ids),
        }
        for column, (source, extra) in references.items():
            known = known_ids(tables.get(source), column, extra)
            origin = source if not extra else f"{source} or the known {column}s"
            check_references(events, column, known, origin)
    _raise_if_problems(tables.values(), max_problems)
    frames = {name: _to_frame(table) for name, table in tables.items()}
    return MarketFrames(
        investors=frames.get("investors.csv"),
        packages=frames.get("packages.csv"),
        events=frames.get("events.csv"),
    )
