"""Validate JSON records (the web API's bodies) against the market contract.

The contract's checks live in one place, :mod:`data.csv_reader`, which works on text cells.
This module only does what JSON adds: each value must have a JSON type its field can take
(a number for an amount, ``true``/``false`` for a flag, a list of strings for a list), keys must
be contract fields, and then every value becomes the cell text a CSV file would hold, so a record
posted to the API is accepted or refused exactly as the same row in a file would be.

Problems carry the record's 1-based position as their ``line`` and the field as their
``column``; :func:`problem_index` turns the position into the 0-based index of a JSON array.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from data.contract import LIST_SEPARATOR, Field
from data.csv_reader import read_records
from data.identifiers import ID_FIELDS
from data.masking import mask_personal_data
from data.problems import MarketFileError, Problem
from data.schema import ID_LENGTH

__all__ = ["ID_FIELDS", "problem_index", "read_json_records", "storable_id"]

_NUMBER_KINDS = frozenset({"decimal", "int"})
_TEXT_KINDS = frozenset({"string", "enum", "date", "timestamp"})


def storable_id(value: object) -> bool:
    """Whether ``value`` could be a stored id at all: a string the id columns hold as it is.

    Cells are stripped of surrounding whitespace when read, so an id with any could never be
    found again under the same text.
    """
    return (
        isinstance(value, str)
        and 0 < len(value) <= ID_LENGTH
        and "\x00" not in value
        and value == value.strip()
    )


def problem_index(problem: Problem) -> int:
    """The 0-based index of the record a problem is about (its ``line`` is 1-based)."""
    return problem.line - 1


def read_json_records(
    items: Sequence[Any],
    fields: tuple[Field, ...],
    source: str,
    known_investor_ids: Collection[str] | None = None,
    known_package_ids: Collection[str] | None = None,
) -> pd.DataFrame:
    """Validate decoded JSON objects and return them as the typed frame an import would store.

    Raises
    ------
    MarketFileError
        With every problem of every record: JSON type problems first found here, then the
        contract's own checks on the cells that had a usable type.
    """
    by_name = {spec.name: spec for spec in fields}
    order = {spec.name: rank for rank, spec in enumerate(fields)}
    problems: list[Problem] = []
    records: list[dict[str, str]] = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            problems.append(Problem(source, position, "", f"must be a JSON object, got {_json_type(item)}"))
            records.append({})
            continue
        cells: dict[str, str] = {}
        for name, value in item.items():
            spec = by_name.get(name)
            if spec is None:
                hint = ", ".join(by_name)
                problems.append(
                    Problem(source, position, str(name), f"unknown field (expected some of: {hint})")
                )
                continue
            cell = _cell(spec, value)
            message = _storable(spec, cell)
            if cell is None:
                message = f"must be {_expected_type(spec)}, got {_json_type(value)}"
            if message:
                problems.append(Problem(source, position, name, message))
            else:
                cells[name] = cell
        records.append(cells)
    try:
        frame = read_records(records, fields, source, known_investor_ids, known_package_ids)
    except MarketFileError as error:
        typed = {(problem.line, problem.column) for problem in problems}
        problems += [
            p for p in error.problems if (p.line, p.column) not in typed and not _whole_record(p, problems)
        ]
        raise _refusal(problems, order) from None
    if problems:
        raise _refusal(problems, order)
    return frame


def _refusal(problems: list[Problem], order: Mapping[str, int]) -> MarketFileError:
    """One error with every problem, by record and then in contract field order."""

    def rank(problem: Problem) -> int:  # whole-record problems first, unknown fields last
        return -1 if not problem.column else order.get(problem.column, len(order))

    return MarketFileError(sorted(problems, key=lambda p: (p.line, rank(p))))


def _storable(spec: Field, cell: str | None) -> str | None:
    """What the store cannot hold that the CSV contract does not mention: NUL and over-long ids."""
    if cell is None:
        return None
    if "\x00" in cell:
        return "must not contain NUL characters"
    if spec.name in ID_FIELDS and len(cell.strip()) > ID_LENGTH:
        return f"must be at most {ID_LENGTH} characters long"
    return None


def _whole_record(problem: Problem, found: list[Problem]) -> bool:
    """A record that was not an object has one problem; its missing fields are not news."""
    return any(p.line == problem.line and p.column == "" for p in found)


def _cell(spec: Field, value: Any) -> str | None:
    """The cell text of a JSON value, or None when its JSON type cannot hold the field."""
    if value is None:
        return ""
    if spec.kind in _TEXT_KINDS:
        return value if isinstance(value, str) else None
    if spec.kind in _NUMBER_KINDS:
        return _number_cell(spec, value)
    if spec.kind == "bool":
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else None
    if spec.kind == "list":
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return LIST_SEPARATOR.join(value)
        return None
    raise ValueError(f"field {spec.name} has an unknown kind {spec.kind!r}")  # pragma: no cover


def _number_cell(spec: Field, value: Any) -> str | None:
    """Numbers as plain decimal text (never an exponent, which the contract refuses in files)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not np.isfinite(value):
            return None
        if spec.kind == "int":
            return str(int(value)) if value.is_integer() else repr(value)
        return np.format_float_positional(value, trim="-")
    return None


def _expected_type(spec: Field) -> str:
    if spec.kind in _NUMBER_KINDS:
        return "a finite number"
    if spec.kind == "bool":
        return "true or false"
    if spec.kind == "list":
        return "a list of strings"
    return "a string"


def _json_type(value: Any) -> str:
    """How a JSON reader would name the type of ``value`` (masked: it may be quoted back)."""
    names = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }
    for python_type, name in names.items():
        if isinstance(value, python_type):
            return name
    return mask_personal_data(type(value).__name__) or "a value"
