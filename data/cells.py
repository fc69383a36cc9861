"""Parsing one column of text cells by its field kind, and the checks that need only that column.

Each parser takes a :class:`~data.contract.Field` and the raw cells and returns a
:class:`ParsedColumn`: values in the column's dtype, which cells are empty, which are invalid
and how to phrase why. Columns whose values repeat (ids, enums, amounts) are factorized
(:class:`CellText`) so each distinct value is checked once. Ranges are checked here too: the
contract's years for dates and timestamps (after the offset is applied) and a field's minimum
and maximum for numbers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.contract import EARLIEST_YEAR, LATEST_YEAR, LIST_SEPARATOR, MARKET_TIMEZONE, Field
from data.csv_findings import Findings, MessageFor, quote

#: dtype of every date and timestamp column returned: naive UTC, microsecond resolution.
TIMESTAMP_DTYPE = np.dtype("datetime64[us]")

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
_LISTED_CHOICES = 12


def _market_new_year(year: int) -> np.datetime64:
    """The UTC instant a year begins in the market's time zone."""
    start = pd.Timestamp(year=year, month=1, day=1, tz=MARKET_TIMEZONE).tz_convert("UTC").tz_localize(None)
    return np.datetime64(start.as_unit("us").to_datetime64(), "us")


#: The naive-UTC instants every date and timestamp lies in: from the market's first moment of
#: ``EARLIEST_YEAR`` up to (not including) the first moment after ``LATEST_YEAR``.
INSTANT_RANGE: tuple[np.datetime64, np.datetime64] = (
    _market_new_year(EARLIEST_YEAR),
    _market_new_year(LATEST_YEAR + 1),
)


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


@dataclass
class CellText:
    """A column's stripped text, factorized: row ``i`` holds ``uniques[codes[i]]``.

    Ids, enums and amounts repeat a lot, so each distinct value is stripped and checked once.
    """

    codes: np.ndarray
    uniques: np.ndarray

    @classmethod
    def of(cls, raw: np.ndarray) -> CellText:
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
class ParsedColumn:
    """A column parsed to its dtype; ``invalid`` rows are reported with ``message``."""

    values: np.ndarray | pd.api.extensions.ExtensionArray
    empty: np.ndarray
    invalid: np.ndarray
    message: MessageFor
    numbers: np.ndarray | None = None  # float64 view of a numeric column, for range checks
    text: CellText | None = None  # the factorized text of a string or enum column, for lookups


def _text_values(text: CellText) -> tuple[np.ndarray, np.ndarray]:
    """Row values as an object array of ``str`` with ``None`` for empty, and the empty mask."""
    uniques = text.uniques.copy()
    blank = uniques == ""
    uniques[blank] = None
    return text.rows(uniques), text.rows(blank)


def _parse_string(spec: Field, raw: np.ndarray) -> ParsedColumn:
    """Any text; only emptiness is checked."""
    text = CellText.of(raw)
    values, empty = _text_values(text)
    return ParsedColumn(values, empty, np.zeros(len(raw), bool), lambda _row: "", text=text)


def _parse_enum(spec: Field, raw: np.ndarray) -> ParsedColumn:
    """One of ``spec.choices``, exactly (case matters, as in the contract)."""
    text = CellText.of(raw)
    values, empty = _text_values(text)
    bad = text.rows(~np.isin(text.uniques, spec.choices) & (text.uniques != ""))

    def message(row: int) -> str:
        value = raw[row].strip()
        return f"{quote(value)} is not a valid {spec.name} ({_expected(spec, value)})"

    return ParsedColumn(values, empty, bad, message, text=text)


def _list_items(values: np.ndarray) -> pd.Series:
    """Split ``;``-lists into stripped, non-empty items indexed by position in ``values``."""
    items = pd.Series(values, dtype=object).str.split(LIST_SEPARATOR).explode()
    items = items.astype(object).str.strip()
    return items[items.notna() & (items != "")]


def _parse_list(spec: Field, raw: np.ndarray) -> ParsedColumn:
    """A ``;``-separated list of ``spec.choices``, normalised to the canonical string.

    Items are stripped, empty items dropped and repeats removed keeping the first, so equal
    preferences always compare equal; a list with no items is missing.
    """
    text = CellText.of(raw)
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
        listed = ", ".join(quote(item) for item in unknown)
        verb = "is" if len(unknown) == 1 else "are"
        return f"{listed} in the list {verb} not valid ({_expected(spec, unknown[0])})"

    return ParsedColumn(values, empty, text.rows(bad_unique), message)


def _parse_bool(spec: Field, raw: np.ndarray) -> ParsedColumn:
    """``true`` or ``false`` in any case; an empty optional cell reads as false."""
    text = CellText.of(raw)
    lowered = pd.Series(text.uniques, dtype=object).str.lower().to_numpy(dtype=object)
    bad = text.rows(~np.isin(lowered, ("true", "false", "")))

    def message(row: int) -> str:
        return f"{quote(raw[row].strip())} is not a boolean (expected true or false)"

    return ParsedColumn(text.rows(lowered == "true"), text.empty, bad, message)


def _well_formed(text: CellText, pattern: str) -> np.ndarray:
    """Which distinct values match ``pattern`` in full."""
    return pd.Series(text.uniques, dtype=object).str.fullmatch(pattern).to_numpy(dtype=bool)


def _number_message(raw: np.ndarray, pattern: str, kind: str) -> MessageFor:
    """Phrase a refused number: out of range when it is written right, else what it must look like."""

    def message(row: int) -> str:
        value = raw[row].strip()
        if re.fullmatch(pattern, value):
            return f"{quote(value)} is out of range"
        return f"{quote(value)} is not {kind}"

    return message


def _parse_decimal(spec: Field, raw: np.ndarray) -> ParsedColumn:
    """A plain decimal number, as ``float64`` with ``NaN`` for missing."""
    text = CellText.of(raw)
    well_formed = _well_formed(text, _DECIMAL)
    numbers = np.full(len(text.uniques), np.nan)
    numbers[well_formed] = text.uniques[well_formed].astype(np.float64)
    fits = well_formed & np.isfinite(numbers)  # hundreds of digits overflow to inf
    numbers[~fits] = np.nan

    message = _number_message(raw, _DECIMAL, "a plain decimal number (no separators or exponent)")
    values = text.rows(numbers)
    return ParsedColumn(values, text.empty, text.rows((text.uniques != "") & ~fits), message, numbers=values)


def _parse_int(spec: Field, raw: np.ndarray) -> ParsedColumn:
    """An integer, as ``int64`` when required and nullable ``Int64`` when optional."""
    text = CellText.of(raw)
    digits = pd.Series(text.uniques, dtype=object).str.lstrip("+-").str.len().to_numpy()
    fits = _well_formed(text, _INTEGER) & (digits <= _INT64_DIGITS)
    integers = np.zeros(len(text.uniques), np.int64)
    integers[fits] = text.uniques[fits].astype(np.int64)
    invalid = text.rows((text.uniques != "") & ~fits)

    message = _number_message(raw, _INTEGER, "an integer")
    numbers = np.where(text.rows(fits), text.rows(integers).astype(np.float64), np.nan)
    values: np.ndarray | pd.api.extensions.ExtensionArray = text.rows(integers)
    if not spec.required:
        values = pd.array(values, dtype="Int64")
        values[~text.rows(fits)] = pd.NA
    return ParsedColumn(values, text.empty, invalid, message, numbers=numbers)


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


def _read_instants(raw: np.ndarray, date_only: bool) -> tuple[np.ndarray, np.ndarray]:
    """Cells as naive UTC ``datetime64[us]`` (``NaT`` when unreadable), and which are empty.

    The canonical layouts are parsed by pandas in one vectorized pass; only the remaining
    cells (offsets, fractions, padding whitespace, mistakes) go through the regular
    expression, which is the definition of what is accepted.
    """
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
    return np.where(np.isnat(utc), _localize(local), utc), empty


def _parse_instant(spec: Field, raw: np.ndarray) -> ParsedColumn:
    """A date or timestamp, as naive UTC ``datetime64[us]``, within the contract's years.

    The range is checked after the time-zone conversion, on the instant that would be stored:
    ``9999-12-31T23:59:59-14:00`` is in year 10000 by then, and ``0001-01-01`` in Shanghai time
    is in year 0 in UTC, which neither ``datetime`` nor the store can hold.
    """
    date_only = spec.kind == "date"
    converted, empty = _read_instants(raw, date_only)
    unreadable = ~empty & np.isnat(converted)
    outside = ~empty & ~unreadable & ~instants_in_range(converted)
    values = np.where(outside, _NAT, converted)  # a refused value is never handed on
    hint = _DATE_HINT if date_only else _TIMESTAMP_HINT

    def message(row: int) -> str:
        cell = raw[row].strip()
        if outside[row]:
            return _out_of_range(cell, pd.Timestamp(converted[row]))
        return f"{quote(cell)} is not a valid {spec.kind} (expected {hint})"

    return ParsedColumn(values, empty, unreadable | outside, message)


def instants_in_range(values: np.ndarray) -> np.ndarray:
    """Which naive-UTC instants fall in the contract's years (``NaT`` does not)."""
    instants = np.asarray(values, dtype=TIMESTAMP_DTYPE)
    earliest, end = INSTANT_RANGE
    return ~np.isnat(instants) & (instants >= earliest) & (instants < end)


def _out_of_range(cell: str, instant: pd.Timestamp) -> str:
    """Say that a date or timestamp lies outside the contract's years (and when, if it has an offset)."""
    where = ""
    if re.search(r"[T ][0-9:.]+(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)\Z", cell):
        local = instant.tz_localize("UTC").tz_convert(MARKET_TIMEZONE).tz_localize(None)
        where = f" (it is {local.isoformat()} in {MARKET_TIMEZONE} time)"
    return (
        f"{quote(cell)} is out of range{where}: dates and timestamps must fall in the years "
        f"{EARLIEST_YEAR} to {LATEST_YEAR}"
    )


_PARSERS: dict[str, Callable[[Field, np.ndarray], ParsedColumn]] = {
    "string": _parse_string,
    "enum": _parse_enum,
    "list": _parse_list,
    "bool": _parse_bool,
    "decimal": _parse_decimal,
    "int": _parse_int,
    "date": _parse_instant,
    "timestamp": _parse_instant,
}


def parse_column(spec: Field, raw: np.ndarray) -> ParsedColumn:
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
        parsed = ParsedColumn(values, parsed.empty, parsed.invalid, parsed.message, numbers)
    return parsed


def absent_column(spec: Field, n: int) -> ParsedColumn:
    """The values of a column the file does not have: all empty (or the default)."""
    return parse_column(spec, np.full(n, "", dtype=object))


def _number_text(value: float) -> str:
    """Format a bound for a message without a pointless ``.0``, big ones with thousands separators.

    The separators also keep a 16-digit bound from reading as a bank card number to the masking.
    """
    if not float(value).is_integer():
        return str(value)
    return f"{int(value):,}" if abs(value) >= 1_000_000 else str(int(value))


def check_bounds(spec: Field, parsed: ParsedColumn, raw: np.ndarray, findings: Findings) -> None:
    """Report numbers outside the field's minimum and maximum."""
    if parsed.numbers is None:
        return
    numbers = parsed.numbers  # NaN for empty and invalid cells, which compare false

    def message(bound: str) -> MessageFor:
        return lambda row: f"must be {bound} (got {quote(raw[row].strip())})"

    if spec.minimum is not None:
        below = numbers <= spec.minimum if spec.minimum_exclusive else numbers < spec.minimum
        relation = ">" if spec.minimum_exclusive else ">="
        findings.add(spec.name, below, message(f"{relation} {_number_text(spec.minimum)}"))
    if spec.maximum is not None:
        findings.add(spec.name, numbers > spec.maximum, message(f"<= {_number_text(spec.maximum)}"))


def repeats(values: np.ndarray) -> np.ndarray:
    """Which values repeat one at an earlier position; missing values never do."""
    series = pd.Series(values, dtype=object)
    return (series.duplicated(keep="first") & series.notna()).to_numpy()


def first_positions(values: np.ndarray) -> np.ndarray:
    """For every position, the position where its value first appears."""
    codes, _ = pd.factorize(pd.Series(values, dtype=object))
    return pd.Series(np.arange(len(values))).groupby(codes).transform("min").to_numpy()


def check_unique(spec: Field, values: np.ndarray, findings: Findings) -> None:
    """Report every repeat of a unique value, naming the line where it first appeared."""
    repeated = repeats(values)
    if not repeated.any():
        return
    first_row = first_positions(values)

    def message(row: int) -> str:
        first_line = findings.lines[first_row[row]]
        return f"duplicate {spec.name} {quote(values[row])} (first on line {first_line})"

    findings.add(spec.name, repeated, message)
