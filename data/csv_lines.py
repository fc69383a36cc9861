"""Physical reading of a CSV file: bytes, encoding, quoting, and which line each record is on.

Turns a file into text cells and the line an editor shows for each row (the header is line 1;
quoted cells that span lines are counted), or records why it cannot (not UTF-8, empty, rows
the tokenizer rejects) in the file's :class:`~data.csv_findings.Findings`. Nothing here knows
what a column must hold: that is :mod:`data.cells`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from data.csv_findings import Findings


@dataclass
class TextTable:
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


def _structure_problems(raw: bytes, findings: Findings) -> list[str]:
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


def read_table(path: Path, findings: Findings) -> TextTable | None:
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
        return TextTable(_structure_problems(raw, findings), intact=False)
    records = [frame[label].to_numpy(dtype=object) for label in frame.columns]
    lines = _record_lines(raw, records)
    return TextTable(_header_names(frame.iloc[0]), [column[1:] for column in records], lines[1:])
