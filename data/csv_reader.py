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
- ``event_id`` is an idempotency key: the first row with an id is kept and later rows that
  repeat it exactly are dropped; a later row with the same id and other content is refused,
  naming both lines. A row without one gets an id derived from its content
  (:func:`derive_event_ids`), so importing the same file twice stores the same events.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from data.contract import (
    AMOUNT_REQUIRED_EVENTS,
    ASSET_CLASS_OF_TYPE,
    EVENT_FIELDS,
    INVESTOR_FIELDS,
    LIST_SEPARATOR,
    MARKET_FILES,
    MARKET_TIMEZONE,
    PACKAGE_FIELDS,
    Field,
)
from data.identifiers import check_identifiers
from data.masking import mask_personal_data
from data.problems import MarketFileError, Problem
from data.record_diff import same_value

__all__ = [
    "DEFAULT_MAX_PROBLEMS",
    "TIMESTAMP_DTYPE",
    "MarketFileError",
    "MarketFrames",
    "Problem",
    "derive_event_ids",
    "read_csv_file",
    "read_market",
    "read_records",
]

#: dtype of every date and timestamp column returned: naive UTC, microsecond resolution.
TIMESTAMP_DTYPE = np.dtype("datetime64[us]")

#: How many problems a refused market reports in full by default.
DEFAULT_MAX_PROBLEMS = 1000

_NAT = np.datetime64("NaT", "us")
_DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_INTEGER = r"[+-]?[0-9]+"
_INT64_DIGITS = 18  # every integer of up to 18 digits fits in int64
_DATE = r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
_TIMESTAMP = _DATE + (
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r"(?P<offset>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)
_TIMESTAMP_HINT = "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.ffffff]], optionally with Z or an offset like +08:00"
_DATE_HINT = "YYYY-MM-DD"
# The canonical layouts of almost every real file ("d" stands for a digit) and the pandas format
# that parses them. Cells that fit a layout character by character are parsed in one vectorized
# call; everything else takes the regular-expression path, which defines what is accepted.
_FAST_LAYOUTS: dict[str, str] = {
    "dddd-dd-ddTdd:dd:dd": "%Y-%m-%dT%H:%M:%S",
    "dddd-dd-dd": "%Y-%m-%d",
    "dddd-dd-dd dd:dd:dd": "%Y-%m-%d %H:%M:%S",
}
_FAST_DATE_LAYOUTS = ("dddd-dd-dd",)
_QUOTE_LIMIT = 60
_LISTED_CHOICES = 12

MessageFor = Callable[[int], str]


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


# --------------------------------------------------------------------------------------------
# Problems, kept as row positions until they are reported
# --------------------------------------------------------------------------------------------


@dataclass
class _Batch:
    """Rows of one file that share a column and a way of phrasing what is wrong."""

    column: str
    rank: int  # position of the column in the contract, so a line's problems read left to right
    lines: np.ndarray
    rows: np.ndarray
    message: MessageFor


@dataclass
class _Findings:
    """Problems of one file.

    Checks run over whole columns and may flag a million rows, so a problem is only a row
    position here; :func:`_report` sorts them all and phrases just the ones it keeps.
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


def _report(findings: Iterable[_Findings], limit: int) -> tuple[list[Problem], int]:
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


def _quote(value: str) -> str:
    """Quote a cell for a message, shortened so one bad cell cannot flood the report."""
    if len(value) > _QUOTE_LIMIT:
        value = value[: _QUOTE_LIMIT - 1] + "…"
    return repr(value)


def _expected(field_spec: Field, value: str) -> str:
    """Say which values are allowed, and suggest the closest one for a likely typo."""
    choices = field_spec.choices
    if len(choices) <= _LISTED_CHOICES:
        hint = "expected one of: " + ", ".join(choices)
    else:
        hint = f"expected one of the {len(choices)} {field_spec.name} values of the contract"
    by_case = {choice.lower(): choice for choice in choices}
    close = [by_case[value.lower()]] if value.lower() in by_case else []
    close = close or difflib.get_close_matches(value, choices, n=1, cutoff=0.75)
    return f"{hint}; did you mean {close[0]!r}?" if close else hint


# --------------------------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------------------------


@dataclass
class _Table:
    """The cells of a file as text: header names, columns of ``str`` and row line numbers.

    A file whose rows could not be split into cells has a header but no columns
    (``intact=False``): its header can still be checked, its rows cannot.
    """

    header: list[str]
    columns: list[np.ndarray] = field(default_factory=list)
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    intact: bool = True


def _decode_problem(raw: bytes) -> tuple[int, str] | None:
    """Check the bytes are UTF-8; if not, return the line of the first bad byte and a message."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        return line, (
            f"file is not UTF-8 (byte 0x{raw[err.start]:02x}); "
            "save it as UTF-8 (spreadsheets call this 'CSV UTF-8')"
        )
    return None


def _physical_lines(raw: bytes) -> int:
    """Count the lines an editor would show (a final line needs no line break)."""
    breaks = raw.count(b"\n") or raw.count(b"\r")
    return breaks + (0 if raw.endswith((b"\n", b"\r")) else 1)


def _record_lines(raw: bytes, records: list[np.ndarray]) -> np.ndarray:
    """First physical line of every record (the header is record 0, on line 1).

    When the file has as many lines as records, no cell spans lines and record ``i`` is on line
    ``i + 1``. Otherwise line breaks inside quoted cells are counted to place each record.
    """
    count = len(records[0]) if records else 0
    if _physical_lines(raw) == count:
        return np.arange(1, count + 1, dtype=np.int64)
    spans = np.ones(count, dtype=np.int64)
    for column in records:
        spans += pd.Series(column, dtype=object).str.count("\n").to_numpy(dtype=np.int64)
    return np.concatenate(([1], 1 + np.cumsum(spans)[:-1])).astype(np.int64)


def _structure_problems(raw: bytes, findings: _Findings) -> list[str]:
    """Locate the rows the CSV tokenizer rejected, by physical line; return the header.

    Only runs on a file that pandas could not tokenize (a row with more cells than the header,
    a quote that never closes), which is when a slower, line-aware pass is worth it.
    """
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), strict=True)
    width, line = None, 1
    header: list[str] = []
    wide_lines: list[int] = []
    wide_cells: list[int] = []
    try:
        for row in reader:
            if width is None:
                width, header = len(row), _header_names(row)
            elif len(row) > width:
                wide_lines.append(line)
                wide_cells.append(len(row))
            line = reader.line_num + 1
    except csv.Error as err:
        findings.add_line(line, "", f"malformed CSV: {err}")
    findings.add_lines(
        np.array(wide_lines, dtype=np.int64),
        lambda i: f"row has {wide_cells[i]} cells but the header has {width}",
    )
    if not findings.batches:
        findings.add_line(0, "", "malformed CSV: the file could not be split into rows and cells")
    return header


def _header_names(cells: Iterable[object]) -> list[str]:
    """Column names as written, without surrounding whitespace or a byte order mark."""
    return [str(name).strip().lstrip("\ufeff") for name in cells]


def _read_table(path: Path, findings: _Findings) -> _Table | None:
    """Read a CSV file as text cells, recording why if it cannot be read (then ``None``)."""
    raw = path.read_bytes()
    problem = _decode_problem(raw)
    if problem:
        line, message = problem
        findings.add_line(line, "", message)
        return None
    try:
        # object dtype without NA detection: every cell stays the exact str from the file
        # ("NA" and "" included), whichever pandas version and string dtype default is in use.
        frame = pd.read_csv(
            io.BytesIO(raw),
            header=None,
            dtype=object,
            na_filter=False,
            skip_blank_lines=False,
            index_col=False,
            encoding="utf-8",
        )
    except pd.errors.EmptyDataError:
        findings.add_line(1, "", "file is empty; expected a header row")
        return None
    except pd.errors.ParserError:
        return _Table(_structure_problems(raw, findings), intact=False)
    records = [frame[label].to_numpy(dtype=object) for label in frame.columns]
    lines = _record_lines(raw, records)
    return _Table(_header_names(frame.iloc[0]), [column[1:] for column in records], lines[1:])


# --------------------------------------------------------------------------------------------
# Parsing one column
# --------------------------------------------------------------------------------------------


@dataclass
class _Text:
    """A column's stripped text, factorized: row ``i`` holds ``uniques[codes[i]]``.

    Ids, enums and amounts repeat a lot, so each distinct value is stripped and checked once.
    """

    codes: np.ndarray
    uniques: np.ndarray

    @classmethod
    def of(cls, raw: np.ndarray) -> _Text:
        """Factorize raw cells and strip whitespace, merging values that differed only by it."""
        codes, uniques = pd.factorize(raw)
        stripped = pd.Series(uniques, dtype=object).str.strip().to_numpy(dtype=object)
        if not np.array_equal(stripped, uniques):
            merged, stripped = pd.factorize(stripped)
            codes = merged[codes]
        return cls(codes, stripped)

    def rows(self, per_unique: np.ndarray) -> np.ndarray:
        """Spread a per-distinct-value array over the rows."""
        return per_unique[self.codes]

    @property
    def empty(self) -> np.ndarray:
        """Which rows are empty after stripping."""
        return self.rows(self.uniques == "")


@dataclass
class _Parsed:
    """A column parsed to its dtype; ``invalid`` rows are reported with ``message``."""

    values: np.ndarray | pd.api.extensions.ExtensionArray
    empty: np.ndarray
    invalid: np.ndarray
    message: MessageFor
    numbers: np.ndarray | None = None  # float64 view of a numeric column, for range checks
    text: _Text | None = None  # the factorized text of a string or enum column, for lookups


def _text_values(text: _Text) -> tuple[np.ndarray, np.ndarray]:
    """Row values as an object array of ``str`` with ``None`` for empty, and the empty mask."""
    uniques = text.uniques.copy()
    blank = uniques == ""
    uniques[blank] = None
    return text.rows(uniques), text.rows(blank)


def _parse_string(spec: Field, raw: np.ndarray) -> _Parsed:
    """Any text; only emptiness is checked."""
    text = _Text.of(raw)
    values, empty = _text_values(text)
    return _Parsed(values, empty, np.zeros(len(raw), bool), lambda _row: "", text=text)


def _parse_enum(spec: Field, raw: np.ndarray) -> _Parsed:
    """One of ``spec.choices``, exactly (case matters, as in the contract)."""
    text = _Text.of(raw)
    values, empty = _text_values(text)
    bad = text.rows(~np.isin(text.uniques, spec.choices) & (text.uniques != ""))

    def message(row: int) -> str:
        value = raw[row].strip()
        return f"{_quote(value)} is not a valid {spec.name} ({_expected(spec, value)})"

    return _Parsed(values, empty, bad, message, text=text)


def _list_items(values: np.ndarray) -> pd.Series:
    """Split ``;``-lists into stripped, non-empty items indexed by position in ``values``."""
    items = pd.Series(values, dtype=object).str.split(LIST_SEPARATOR).explode()
    items = items.astype(object).str.strip()
    return items[items.notna() & (items != "")]


def _parse_list(spec: Field, raw: np.ndarray) -> _Parsed:
    """A ``;``-separated list of ``spec.choices``, normalised to the canonical string.

    Items are stripped, empty items dropped and repeats removed keeping the first, so equal
    preferences always compare equal; a list with no items is missing.
    """
    text = _Text.of(raw)
    items = _list_items(text.uniques)
    known = items.isin(spec.choices).to_numpy()
    bad_unique = np.zeros(len(text.uniques), bool)
    bad_unique[items.index.to_numpy()[~known]] = True
    pairs = pd.DataFrame({"at": items.index.to_numpy(), "item": items.to_numpy(dtype=object)})
    joined = pairs.drop_duplicates().groupby("at", sort=False)["item"].agg(LIST_SEPARATOR.join)
    canonical = np.full(len(text.uniques), None, dtype=object)
    canonical[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    values = text.rows(canonical)
    empty = pd.isna(values)

    def message(row: int) -> str:
        items = _list_items(np.array([raw[row]], dtype=object))
        unknown = [item for item in items if item not in spec.choices]
        listed = ", ".join(_quote(item) for item in unknown)
        verb = "is" if len(unknown) == 1 else "are"
        return f"{listed} in the list {verb} not valid ({_expected(spec, unknown[0])})"

    return _Parsed(values, empty, text.rows(bad_unique), message)


def _parse_bool(spec: Field, raw: np.ndarray) -> _Parsed:
    """``true`` or ``false`` in any case; an empty optional cell reads as false."""
    text = _Text.of(raw)
    lowered = pd.Series(text.uniques, dtype=object).str.lower().to_numpy(dtype=object)
    bad = text.rows(~np.isin(lowered, ("true", "false", "")))

    def message(row: int) -> str:
        return f"{_quote(raw[row].strip())} is not a boolean (expected true or false)"

    return _Parsed(text.rows(lowered == "true"), text.empty, bad, message)


def _well_formed(text: _Text, pattern: str) -> np.ndarray:
    """Which distinct values match ``pattern`` in full."""
    return pd.Series(text.uniques, dtype=object).str.fullmatch(pattern).to_numpy(dtype=bool)


def _parse_decimal(spec: Field, raw: np.ndarray) -> _Parsed:
    """A plain decimal number, as ``float64`` with ``NaN`` for missing."""
    text = _Text.of(raw)
    well_formed = _well_formed(text, _DECIMAL)
    numbers = np.full(len(text.uniques), np.nan)
    numbers[well_formed] = text.uniques[well_formed].astype(np.float64)
    fits = well_formed & np.isfinite(numbers)  # hundreds of digits overflow to inf
    numbers[~fits] = np.nan

    def message(row: int) -> str:
        value = raw[row].strip()
        if re.fullmatch(_DECIMAL, value):
            return f"{_quote(value)} is out of range"
        return f"{_quote(value)} is not a plain decimal number (no separators or exponent)"

    values = text.rows(numbers)
    return _Parsed(values, text.empty, text.rows((text.uniques != "") & ~fits), message, numbers=values)


def _parse_int(spec: Field, raw: np.ndarray) -> _Parsed:
    """An integer, as ``int64`` when required and nullable ``Int64`` when optional."""
    text = _Text.of(raw)
    digits = pd.Series(text.uniques, dtype=object).str.lstrip("+-").str.len().to_numpy()
    fits = _well_formed(text, _INTEGER) & (digits <= _INT64_DIGITS)
    integers = np.zeros(len(text.uniques), np.int64)
    integers[fits] = text.uniques[fits].astype(np.int64)
    invalid = text.rows((text.uniques != "") & ~fits)

    def message(row: int) -> str:
        value = raw[row].strip()
        if re.fullmatch(_INTEGER, value):
            return f"{_quote(value)} is out of range"
        return f"{_quote(value)} is not an integer"

    numbers = np.where(text.rows(fits), text.rows(integers).astype(np.float64), np.nan)
    values: np.ndarray | pd.api.extensions.ExtensionArray = text.rows(integers)
    if not spec.required:
        values = pd.array(values, dtype="Int64")
        values[~text.rows(fits)] = pd.NA
    return _Parsed(values, text.empty, invalid, message, numbers=numbers)


def _localize(local: np.ndarray) -> np.ndarray:
    """Read naive instants as market-local time and return them as naive UTC.

    The market's time zone kept daylight saving time until 1991; an ambiguous hour is read as
    standard time and a skipped one is moved forward, rather than refusing old dates.
    """
    index = pd.DatetimeIndex(local).tz_localize(
        MARKET_TIMEZONE, ambiguous=np.zeros(len(local), bool), nonexistent="shift_forward"
    )
    return index.tz_convert("UTC").tz_localize(None).as_unit("us").to_numpy()


def _to_us(parsed: pd.DatetimeIndex) -> np.ndarray:
    """Drop sub-microsecond digits and return ``datetime64[us]`` values."""
    return parsed.floor("us").as_unit("us").to_numpy()


def _fits_layout(cells: np.ndarray, layout: str) -> np.ndarray:
    """Which cells (all ``len(layout)`` long) match a fast layout character by character.

    pandas' strptime formats are lenient (a space for a leading zero, a sign on the year,
    second 60 rolling over), so the characters are checked on a byte matrix first.
    """
    try:
        matrix = cells.astype(f"S{len(layout)}").view(np.uint8).reshape(len(cells), len(layout))
    except UnicodeEncodeError:  # not ASCII, so not canonical
        return np.zeros(len(cells), bool)
    fits = np.ones(len(cells), bool)
    for position, char in enumerate(layout):
        column = matrix[:, position]
        fits &= (column - ord("0") <= 9) if char == "d" else (column == ord(char))
    if layout.endswith(":dd"):
        fits &= (matrix[:, -2] - ord("0")) * 10 + (matrix[:, -1] - ord("0")) < 60
    return fits


def _parse_instant(spec: Field, raw: np.ndarray) -> _Parsed:
    """A date or timestamp, as naive UTC ``datetime64[us]``.

    The canonical layouts are parsed by pandas in one vectorized pass; only the remaining
    cells (offsets, fractions, padding whitespace, mistakes) go through the regular
    expression, which is the definition of what is accepted.
    """
    date_only = spec.kind == "date"
    n = len(raw)
    # len() through map() is a C-level loop over the cells; it selects each layout's cells.
    lengths = np.fromiter(map(len, raw), np.int64, n)
    local = np.full(n, _NAT)
    utc = np.full(n, _NAT)
    pending = lengths > 0
    for layout in _FAST_DATE_LAYOUTS if date_only else _FAST_LAYOUTS:
        rows = np.flatnonzero(pending & (lengths == len(layout)))
        rows = rows[_fits_layout(raw[rows], layout)] if rows.size else rows
        if rows.size:
            parsed = pd.to_datetime(raw[rows], format=_FAST_LAYOUTS[layout], errors="coerce")
            ok = ~np.asarray(parsed.isna())
            local[rows[ok]] = _to_us(parsed[ok])
            pending[rows[ok]] = False
    empty = lengths == 0
    rows = np.flatnonzero(pending)
    if rows.size:
        text = pd.Series(raw[rows], dtype=object).str.strip()
        blank = (text == "").to_numpy()
        empty[rows[blank]] = True
        parts = text.str.extract(rf"^{_DATE if date_only else _TIMESTAMP}\Z")
        matched = parts["date"].notna().to_numpy()
        aware = parts["offset"].notna().to_numpy() if "offset" in parts else np.zeros(rows.size, bool)
        naive = matched & ~aware
        if naive.any():
            parsed = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
            local[rows[naive]] = _to_us(pd.DatetimeIndex(parsed))
        if aware.any():
            parsed = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
            utc[rows[aware]] = _to_us(pd.DatetimeIndex(parsed).tz_convert(None))
    values = np.where(np.isnat(utc), _localize(local), utc)
    invalid = ~empty & np.isnat(values)
    hint = _DATE_HINT if date_only else _TIMESTAMP_HINT

    def message(row: int) -> str:
        return f"{_quote(raw[row].strip())} is not a valid {spec.kind} (expected {hint})"

    return _Parsed(values, empty, invalid, message)


_PARSERS: dict[str, Callable[[Field, np.ndarray], _Parsed]] = {
    "string": _parse_string,
    "enum": _parse_enum,
    "list": _parse_list,
    "bool": _parse_bool,
    "decimal": _parse_decimal,
    "int": _parse_int,
    "date": _parse_instant,
    "timestamp": _parse_instant,
}


def _parse_column(spec: Field, raw: np.ndarray) -> _Parsed:
    """Parse a column by its kind and fill empty cells with the field's default, if any."""
    parsed = _PARSERS[spec.kind](spec, raw)
    if spec.default is not None and parsed.empty.any():
        default = _PARSERS[spec.kind](spec, np.array([spec.default], dtype=object))
        if default.invalid.any() or default.empty.any():
            raise ValueError(f"default {spec.default!r} of {spec.name} is not a valid {spec.kind}")
        values = parsed.values.copy()
        values[parsed.empty] = default.values[0]
        numbers = None
        if parsed.numbers is not None and default.numbers is not None:
            numbers = np.where(parsed.empty, default.numbers[0], parsed.numbers)
        parsed = _Parsed(values, parsed.empty, parsed.invalid, parsed.message, numbers)
    return parsed


def _absent_column(spec: Field, n: int) -> _Parsed:
    """The values of a column the file does not have: all empty (or the default)."""
    return _parse_column(spec, np.full(n, "", dtype=object))


def _number_text(value: float) -> str:
    """Format a bound for a message without a pointless ``.0``."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_bounds(spec: Field, parsed: _Parsed, raw: np.ndarray, findings: _Findings) -> None:
    """Report numbers outside the field's minimum and maximum."""
    if parsed.numbers is None:
        return
    numbers = parsed.numbers  # NaN for empty and invalid cells, which compare false

    def message(bound: str) -> MessageFor:
        return lambda row: f"must be {bound} (got {_quote(raw[row].strip())})"

    if spec.minimum is not None:
        below = numbers <= spec.minimum if spec.minimum_exclusive else numbers < spec.minimum
        relation = ">" if spec.minimum_exclusive else ">="
        findings.add(spec.name, below, message(f"{relation} {_number_text(spec.minimum)}"))
    if spec.maximum is not None:
        findings.add(spec.name, numbers > spec.maximum, message(f"<= {_number_text(spec.maximum)}"))


def _check_unique(spec: Field, values: np.ndarray, findings: _Findings) -> None:
    """Report every repeat of a unique value, naming the line where it first appeared."""
    series = pd.Series(values, dtype=object)
    repeated = (series.duplicated(keep="first") & series.notna()).to_numpy()
    if not repeated.any():
        return
    codes, _ = pd.factorize(series)
    first_row = pd.Series(np.arange(len(values))).groupby(codes).transform("min").to_numpy()

    def message(row: int) -> str:
        first_line = findings.lines[first_row[row]]
        return f"duplicate {spec.name} {_quote(values[row])} (first on line {first_line})"

    findings.add(spec.name, repeated, message)


# --------------------------------------------------------------------------------------------
# Rules across the columns of a row
# --------------------------------------------------------------------------------------------


@dataclass
class _File:
    """One market file parsed column by column, before it becomes a frame."""

    fields: tuple[Field, ...]
    findings: _Findings
    columns: dict[str, _Parsed] = field(default_factory=dict)
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
        return _quote(self.raw[name][row].strip())


def _check_order(
    table: _File,
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


def _check_investor_rows(table: _File) -> None:
    """A ticket range must not be upside down."""
    _check_order(table, "max_ticket_cny", "min_ticket_cny", np.less, "is less than")


def _check_package_rows(table: _File) -> None:
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


# The content an event's derived id hashes, in the order derive_event_ids takes it.
_EVENT_KEY_FIELDS = (
    "investor_id",
    "package_id",
    "event_type",
    "occurred_at",
    "amount_cny",
    "dwell_seconds",
    "request_id",
)


def _event_ids(table: _File, rows: np.ndarray) -> np.ndarray:
    """Derived ``event_id`` of the events at ``rows``."""
    return derive_event_ids(*(table.values(name)[rows] for name in _EVENT_KEY_FIELDS))


def _check_event_rows(table: _File) -> None:
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

    check_rows: Callable[[_File], None]
    # A unique column that identifies a record for idempotent import: repeats are dropped,
    # not refused, and an empty one is derived from the row by derive_key.
    idempotency_key: str | None = None
    derive_key: Callable[[_File, np.ndarray], np.ndarray] | None = None


_RULES: dict[tuple[Field, ...], _FileRules] = {
    INVESTOR_FIELDS: _FileRules(_check_investor_rows),
    PACKAGE_FIELDS: _FileRules(_check_package_rows),
    EVENT_FIELDS: _FileRules(_check_event_rows, idempotency_key="event_id", derive_key=_event_ids),
}


def _rules_for(fields: tuple[Field, ...]) -> _FileRules:
    """The rules of a contract file; files of unknown layout get the field checks only."""
    return _RULES.get(fields, _FileRules(lambda _table: None))


# --------------------------------------------------------------------------------------------
# Whole files
# --------------------------------------------------------------------------------------------


def _check_header(header: list[str], fields: tuple[Field, ...], findings: _Findings) -> frozenset[str]:
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


def _blank_rows(table: _File, extra: list[np.ndarray]) -> np.ndarray:
    """Rows with nothing in any cell, as left by blank lines; they are skipped, not refused."""
    present = [table.columns[spec.name].empty for spec in table.fields if spec.name in table.present]
    blank = np.logical_and.reduce(present) if present else np.ones(len(table.findings.lines), bool)
    candidates = np.flatnonzero(blank)
    if candidates.size:
        for column in extra:
            blank[candidates] &= pd.Series(column[candidates], dtype=object).str.strip().eq("").to_numpy()
    return blank


def _parse_columns(table: _File, text: _Table) -> list[np.ndarray]:
    """Parse every contract column and report bad values; return the extra columns."""
    n = len(text.lines)
    position = {name: i for i, name in reversed(list(enumerate(text.header)))}
    for spec in table.fields:
        if spec.name in table.present:
            raw = text.columns[position[spec.name]]
            table.raw[spec.name] = raw
            table.columns[spec.name] = parsed = _parse_column(spec, raw)
            table.findings.add(spec.name, parsed.invalid, parsed.message)
            _check_bounds(spec, parsed, raw, table.findings)
        else:
            table.raw[spec.name] = np.full(n, "", dtype=object)
            table.columns[spec.name] = _absent_column(spec, n)
    used = {position[name] for name in table.present}
    return [column for i, column in enumerate(text.columns) if i not in used]


def _check_required_and_unique(table: _File, blank: np.ndarray) -> None:
    """Report empty required cells and repeated unique values (except an idempotency key)."""
    key = _rules_for(table.fields).idempotency_key
    for spec in table.fields:
        if spec.name not in table.present:
            continue
        column = table.columns[spec.name]
        if spec.required and spec.default is None:
            table.findings.add(spec.name, column.empty & ~blank, lambda _row: "missing value")
        if spec.unique and spec.name != key:
            _check_unique(spec, np.asarray(column.values), table.findings)


def _parse_file(path: Path, fields: tuple[Field, ...]) -> _File:
    """Read one file and run every check that needs nothing but the file itself."""
    findings = _Findings(path.name, tuple(spec.name for spec in fields))
    table = _File(fields, findings)
    text = _read_table(path, findings)
    if text is not None:
        table.present = _check_header(text.header, fields, findings)
    if text is None or not text.intact:
        table.readable = False
        return table
    _check_rows(table, text)
    return table


def _check_rows(table: _File, text: _Table, skip_blank: bool = True) -> None:
    """Parse and check every row of a table whose header is known to be usable."""
    table.findings.lines = text.lines
    extra = _parse_columns(table, text)
    blank = _blank_rows(table, extra) if skip_blank else np.zeros(len(text.lines), bool)
    table.keep = ~blank
    _check_required_and_unique(table, blank)
    check_identifiers(table.fields, table.present, table.values, table.findings.add)
    _rules_for(table.fields).check_rows(table)
    if blank.any():
        table.findings.drop_rows(np.flatnonzero(blank))


def _check_references(events: _File, column: str, known: Collection[str] | None, source: str) -> None:
    """Report events whose investor or package is unknown; ``known=None`` skips the check."""
    if known is None or column not in events.present:
        return
    values = events.values(column)
    unknown = ~events.isin(column, known) & ~events.columns[column].empty & events.keep

    def message(row: int) -> str:
        return f"unknown {column} {_quote(values[row])} (not in {source})"

    events.findings.add(column, unknown, message)


def _known_ids(table: _File | None, column: str, extra: Collection[str]) -> set[str] | None:
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


def _plain_text(values: np.ndarray) -> np.ndarray:
    """Text values with missing ones as empty text."""
    text = np.array(values, dtype=object, copy=True)
    text[pd.isna(text)] = ""
    return text


def _instant_text(values: np.ndarray) -> np.ndarray:
    """ISO text of naive UTC instants with microseconds, empty for ``NaT``."""
    instants = np.asarray(values, dtype=TIMESTAMP_DTYPE)
    text = np.datetime_as_string(instants, unit="us").astype(object)
    text[np.isnat(instants)] = ""
    return text


def _decimal_text(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip text of each float (as Python's ``repr``), empty for ``NaN``."""
    codes, uniques = pd.factorize(values)
    text = np.append(uniques.astype(str).astype(object), "")
    return text[codes]  # code -1 (NaN) picks the trailing ""


def derive_event_ids(
    investor_id: np.ndarray,
    package_id: np.ndarray,
    event_type: np.ndarray,
    occurred_at: np.ndarray,
    amount_cny: np.ndarray,
    dwell_seconds: np.ndarray,
    request_id: np.ndarray,
) -> np.ndarray:
    """Derive a stable ``event_id`` from an event's content.

    The id is ``"h-"`` and the first 24 hex digits of the SHA-1 of the fields joined by ``|``:
    investor_id, package_id, event_type, occurred_at as naive UTC ISO text with microseconds
    (``2025-03-14T01:30:00.000000``), amount_cny and dwell_seconds as Python's ``repr`` of the
    float, and request_id, with missing values as empty text. It depends on the values, not on
    how they were written, so the same event always gets the same id, even after a reformat.

    Parameters
    ----------
    investor_id, package_id, event_type, request_id
        Text arrays; ``None`` for missing.
    occurred_at
        Naive UTC ``datetime64`` values.
    amount_cny, dwell_seconds
        ``float64`` values; ``NaN`` for missing.

    Returns
    -------
    numpy.ndarray
        Object array of ``str`` ids.
    """
    parts = [
        _plain_text(investor_id),
        _plain_text(package_id),
        _plain_text(event_type),
        _instant_text(occurred_at),
        _decimal_text(np.asarray(amount_cny, dtype=np.float64)),
        _decimal_text(np.asarray(dwell_seconds, dtype=np.float64)),
        _plain_text(request_id),
    ]
    sha1 = hashlib.sha1
    digests = [
        "h-" + sha1(f"{a}|{b}|{c}|{d}|{e}|{f}|{g}".encode()).hexdigest()[:24]
        for a, b, c, d, e, f, g in zip(*parts, strict=True)
    ]
    return np.array(digests, dtype=object)


def _fill_keys(table: _File, name: str, derive: Callable[[_File, np.ndarray], np.ndarray]) -> None:
    """Give every kept row with an empty idempotency key its derived one."""
    column = table.columns[name]
    rows = np.flatnonzero(column.empty & table.keep)
    if rows.size:
        values = np.array(column.values, dtype=object, copy=True)
        values[rows] = derive(table, rows)
        table.columns[name] = _Parsed(values, column.empty, column.invalid, column.message)


def _to_frame(table: _File) -> pd.DataFrame:
    """Build the typed frame of the kept rows, columns in contract order.

    Rows are kept unless blank; with an idempotency key, only the first row of each key is.
    """
    rules = _rules_for(table.fields)
    keep = np.flatnonzero(table.keep)
    if rules.idempotency_key is not None:
        if rules.derive_key is not None:
            _fill_keys(table, rules.idempotency_key, rules.derive_key)
        key = pd.Series(table.values(rules.idempotency_key)[keep], dtype=object)
        repeats = (key.duplicated(keep="first") & key.notna()).to_numpy()
        if repeats.any():
            _refuse_differing_repeats(table, rules.idempotency_key, keep, key)
        keep = keep[~repeats]
    data: dict[str, pd.Series] = {}
    for spec in table.fields:
        values = table.columns[spec.name].values[keep]
        dtype = object if spec.kind in ("string", "enum", "list") else None
        data[spec.name] = pd.Series(values, dtype=dtype)
    frame = pd.DataFrame(data, columns=[spec.name for spec in table.fields])
    # The file line (or record position) of each row, so a later refusal (an event id stored
    # with other content) can point at it.
    frame.attrs["lines"] = table.findings.lines[keep]
    return frame


def _refuse_differing_repeats(table: _File, name: str, keep: np.ndarray, key: pd.Series) -> None:
    """A repeated idempotency key is a repeat only with the same content; otherwise refuse it.

    Dropping the later row would lose it silently, so both lines are named instead.
    """
    first = key.groupby(key, sort=False).head(1)
    first_row = dict(zip(first.to_numpy(), keep[first.index.to_numpy()], strict=True))
    fields = [spec.name for spec in table.fields if spec.name != name]
    lines = table.findings.lines
    problems = []
    for position in np.flatnonzero((key.duplicated(keep="first") & key.notna()).to_numpy()):
        row, original = keep[position], first_row[key.iat[position]]
        differ = [f for f in fields if not same_value(table.values(f)[row], table.values(f)[original])]
        if differ:
            problems.append(
                Problem(
                    table.findings.file,
                    int(lines[row]),
                    name,
                    mask_personal_data(
                        f"{name} {_quote(str(key.iat[position]))} repeats line {int(lines[original])} with"
                        f" different {', '.join(differ)}; a repeat must be identical (or give it its own id)"
                    ),
                )
            )
    if problems:
        raise MarketFileError(problems[:DEFAULT_MAX_PROBLEMS], len(problems))


def _raise_if_problems(tables: Iterable[_File], limit: int) -> None:
    """Raise one error carrying every problem of every file."""
    problems, total = _report((table.findings for table in tables), limit)
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
    text = _Table(names, columns, np.arange(1, len(records) + 1, dtype=np.int64))
    table = _File(fields, _Findings(source, tuple(names)), present=frozenset(names))
    _check_rows(table, text, skip_blank=False)
    if fields == EVENT_FIELDS:
        for column, known in (("investor_id", known_investor_ids), ("package_id", known_package_ids)):
            _check_references(table, column, known, "the market")
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
            known = _known_ids(tables.get(source), column, extra)
            origin = source if not extra else f"{source} or the known {column}s"
            _check_references(events, column, known, origin)
    _raise_if_problems(tables.values(), max_problems)
    frames = {name: _to_frame(table) for name, table in tables.items()}
    return MarketFrames(
        investors=frames.get("investors.csv"),
        packages=frames.get("packages.csv"),
        events=frames.get("events.csv"),
    )
