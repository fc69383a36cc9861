"""Tests of reading and validating market CSV files."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.contract import EVENT_FIELDS, INVESTOR_FIELDS, MARKET_FILES, PACKAGE_FIELDS
from data.csv_reader import (
    TIMESTAMP_DTYPE,
    MarketFileError,
    MarketFrames,
    Problem,
    derive_event_ids,
    read_csv_file,
    read_market,
)

INVESTORS = [
    {
        "investor_id": "INV1",
        "name": "Alpha AMC",
        "investor_type": "national_amc",
        "province": "Beijing",
        "registered_at": "2023-05-01",
        "capital_cny": "1000000000",
        "min_ticket_cny": "1000000",
        "max_ticket_cny": "50000000",
        "preferred_asset_types": "sme_loan;residential",
        "preferred_provinces": "Beijing;Shanghai",
        "risk_appetite": "balanced",
        "licensed_amc": "true",
    },
    {
        "investor_id": "INV2",
        "name": "Beta Bank",
        "investor_type": "bank",
        "province": "Shanghai",
        "registered_at": "2023-06-01",
        "capital_cny": "500000000",
        "min_ticket_cny": "",
        "max_ticket_cny": "",
        "preferred_asset_types": "",
        "preferred_provinces": "",
        "risk_appetite": "",
        "licensed_amc": "false",
    },
]
PACKAGES = [
    {
        "package_id": "PKG1",
        "title": "Jiangsu SME loans",
        "seller_type": "bank",
        "asset_class": "credit",
        "asset_type": "sme_loan",
        "province": "Jiangsu",
        "city": "Nanjing",
        "principal_cny": "12500000.00",
        "claim_total_cny": "15000000.00",
        "appraised_value_cny": "9000000",
        "reserve_price_cny": "5000000",
        "loan_count": "24",
        "collateral": "secured",
        "litigation_status": "in_litigation",
        "dd_completeness": "0.8",
        "listed_at": "2025-03-14T09:30:00",
        "closes_at": "2025-04-14T17:00:00",
        "status": "active",
        "description": "24 SME loans, guarantor phone 13812345678",
        "cross_border_eligible": "true",
    },
    {
        "package_id": "PKG2",
        "title": "Shanghai flat",
        "seller_type": "court",
        "asset_class": "real_estate",
        "asset_type": "residential",
        "province": "Shanghai",
        "city": "",
        "principal_cny": "3000000",
        "claim_total_cny": "",
        "appraised_value_cny": "3200000",
        "reserve_price_cny": "2500000",
        "loan_count": "1",
        "collateral": "secured",
        "litigation_status": "enforcement",
        "dd_completeness": "1",
        "listed_at": "2025-03-01",
        "closes_at": "2025-03-31",
        "status": "upcoming",
        "description": "",
        "cross_border_eligible": "",
    },
]
EVENTS = [
    {
        "event_id": "E1",
        "investor_id": "INV1",
        "package_id": "PKG1",
        "event_type": "view",
        "occurred_at": "2025-03-14T10:00:00",
        "amount_cny": "",
        "dwell_seconds": "35.5",
        "request_id": "req-1",
    },
    {
        "event_id": "E2",
        "investor_id": "INV1",
        "package_id": "PKG1",
        "event_type": "bid",
        "occurred_at": "2025-03-15T10:00:00+08:00",
        "amount_cny": "5200000",
        "dwell_seconds": "",
        "request_id": "req-1",
    },
    {
        "event_id": "E3",
        "investor_id": "INV2",
        "package_id": "PKG2",
        "event_type": "impression",
        "occurred_at": "2025-03-02",
        "amount_cny": "",
        "dwell_seconds": "",
        "request_id": "",
    },
]
ROWS = {"investors.csv": INVESTORS, "packages.csv": PACKAGES, "events.csv": EVENTS}


def csv_text(rows: Sequence[dict[str, str]], header: Sequence[str] | None = None) -> str:
    """CSV text of ``rows`` (quoted where needed), with ``header`` or the first row's keys."""
    header = list(header if header is not None else rows[0])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[row.get(name, "") for name in header] for row in rows])
    return out.getvalue()


def write_market(directory: Path, **overrides: list[dict[str, str]] | str | None) -> Path:
    """Write the valid sample market, replacing files by keyword (``events=...``).

    A list of rows or raw text replaces a file's content; ``None`` leaves the file out.
    """
    for name, rows in ROWS.items():
        content = overrides.get(name.removesuffix(".csv"), rows)
        if content is None:
            continue
        text = content if isinstance(content, str) else csv_text(content)
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def with_cell(file: str, row: int, column: str, value: str) -> dict[str, list[dict[str, str]]]:
    """Overrides for :func:`write_market` with one cell of the sample market changed."""
    rows = [dict(r) for r in ROWS[file]]
    rows[row][column] = value
    return {file.removesuffix(".csv"): rows}


def problems_of(directory: Path, **kwargs: object) -> list[str]:
    """The problems read_market reports for a directory, as strings."""
    with pytest.raises(MarketFileError) as caught:
        read_market(directory, **kwargs)  # type: ignore[arg-type]
    return [str(problem) for problem in caught.value.problems]


# ---------------------------------------------------------------------------------------------
# A valid market
# ---------------------------------------------------------------------------------------------


def test_valid_market_reads_into_typed_frames(tmp_path: Path) -> None:
    frames = read_market(write_market(tmp_path))
    assert isinstance(frames, MarketFrames)
    for frame, fields in ((frames.investors, INVESTOR_FIELDS), (frames.packages, PACKAGE_FIELDS)):
        assert frame is not None
        assert list(frame.columns) == [spec.name for spec in fields]
        assert len(frame) == 2
    assert frames.events is not None
    assert list(frames.events.columns) == [spec.name for spec in EVENT_FIELDS]
    assert frames.events["event_id"].tolist() == ["E1", "E2", "E3"]


def test_frames_read_from_files_merge_and_copy_like_any_frame(tmp_path: Path) -> None:
    """Each row's source line rides along without getting in the way of pandas."""
    frames = read_market(write_market(tmp_path))
    assert frames.events is not None and frames.packages is not None
    joined = frames.events.merge(frames.packages[["package_id", "asset_type"]], on="package_id")
    assert len(joined) == 3
    copied = frames.events.copy(deep=True)
    assert [copied.attrs["lines"][row] for row in range(3)] == [2, 3, 4]


EXPECTED_DTYPES = {
    "string": np.dtype(object),
    "enum": np.dtype(object),
    "list": np.dtype(object),
    "decimal": np.dtype(np.float64),
    "int": np.dtype(np.int64),
    "bool": np.dtype(bool),
    "date": TIMESTAMP_DTYPE,
    "timestamp": TIMESTAMP_DTYPE,
}


@pytest.mark.parametrize("file", list(MARKET_FILES))
def test_output_dtypes_follow_the_field_kinds(tmp_path: Path, file: str) -> None:
    frames = read_market(write_market(tmp_path))
    frame = getattr(frames, file.removesuffix(".csv"))
    assert {name: frame[name].dtype for name in frame} == {
        spec.name: EXPECTED_DTYPES[spec.kind] for spec in MARKET_FILES[file]
    }
    assert TIMESTAMP_DTYPE == np.dtype("datetime64[us]")


def test_text_cells_are_python_str_and_missing_is_none(tmp_path: Path) -> None:
    packages = read_market(write_market(tmp_path)).packages
    assert packages is not None
    assert type(packages.loc[0, "city"]) is str
    assert packages.loc[1, "city"] is None
    assert packages.loc[1, "description"] is None
    assert np.isnan(packages.loc[1, "claim_total_cny"])


def test_values_are_parsed(tmp_path: Path) -> None:
    frames = read_market(write_market(tmp_path))
    investors, packages, events = frames.investors, frames.packages, frames.events
    assert investors is not None and packages is not None and events is not None
    assert investors["licensed_amc"].tolist() == [True, False]
    assert investors.loc[1, "risk_appetite"] is None
    assert packages["principal_cny"].tolist() == [12_500_000.0, 3_000_000.0]
    assert packages["loan_count"].tolist() == [24, 1]
    assert packages["cross_border_eligible"].tolist() == [True, False]  # empty -> default false
    assert events["dwell_seconds"].tolist()[0] == 35.5
    assert events.loc[1, "amount_cny"] == 5_200_000.0


def test_personal_data_is_stored_as_written(tmp_path: Path) -> None:
    # Masking happens at the output boundaries; the store keeps the seller's text.
    packages = read_market(write_market(tmp_path)).packages
    assert packages is not None
    assert packages.loc[0, "description"] == "24 SME loans, guarantor phone 13812345678"


# ---------------------------------------------------------------------------------------------
# One bad cell -> one precise problem
# ---------------------------------------------------------------------------------------------

BAD_CELLS = [
    pytest.param(
        "investors.csv", 0, "investor_type", "amc",
        "investors.csv:2: investor_type: 'amc' is not a valid investor_type (expected one of: "
        "national_amc, local_amc, bank, private_fund, industrial_capital, foreign_institution, "
        "individual)",
        id="wrong-enum",
    ),
    pytest.param(
        "investors.csv", 1, "province", "Bejing",
        "investors.csv:3: province: 'Bejing' is not a valid province (expected one of the 31 "
        "province values of the contract; did you mean 'Beijing'?)",
        id="enum-typo-suggestion",
    ),
    pytest.param(
        "packages.csv", 0, "status", "Active",
        "packages.csv:2: status: 'Active' is not a valid status (expected one of: upcoming, active, "
        "sold, unsold, withdrawn; did you mean 'active'?)",
        id="enum-is-case-sensitive",
    ),
    pytest.param(
        "investors.csv", 0, "name", "   ",
        "investors.csv:2: name: missing value",
        id="empty-required",
    ),
    pytest.param(
        "investors.csv", 0, "registered_at", "2023/05/01",
        "investors.csv:2: registered_at: '2023/05/01' is not a valid date (expected YYYY-MM-DD)",
        id="bad-date",
    ),
    pytest.param(
        "investors.csv", 0, "registered_at", "2023-02-30",
        "investors.csv:2: registered_at: '2023-02-30' is not a valid date (expected YYYY-MM-DD)",
        id="impossible-date",
    ),
    pytest.param(
        "packages.csv", 0, "listed_at", "14/03/2025 09:30",
        "packages.csv:2: listed_at: '14/03/2025 09:30' is not a valid timestamp (expected YYYY-MM-DD "
        "or YYYY-MM-DDTHH:MM[:SS[.ffffff]], optionally with Z or an offset like +08:00)",
        id="bad-timestamp",
    ),
    pytest.param(
        "investors.csv", 0, "capital_cny", "1,000",
        "investors.csv:2: capital_cny: '1,000' is not a plain decimal number (no separators or exponent)",
        id="decimal-thousands-separator",
    ),
    pytest.param(
        "investors.csv", 0, "capital_cny", "abc",
        "investors.csv:2: capital_cny: 'abc' is not a plain decimal number (no separators or exponent)",
        id="decimal-text",
    ),
    pytest.param(
        "investors.csv", 0, "capital_cny", "nan",
        "investors.csv:2: capital_cny: 'nan' is not a plain decimal number (no separators or exponent)",
        id="decimal-nan",
    ),
    pytest.param(
        "investors.csv", 0, "capital_cny", "inf",
        "investors.csv:2: capital_cny: 'inf' is not a plain decimal number (no separators or exponent)",
        id="decimal-inf",
    ),
    pytest.param(
        "investors.csv", 0, "capital_cny", "1.25E+07",
        "investors.csv:2: capital_cny: '1.25E+07' is not a plain decimal number (no separators or exponent)",
        id="decimal-exponent",
    ),
    pytest.param(
        "investors.csv", 0, "capital_cny", "1" * 400,
        f"investors.csv:2: capital_cny: '{'1' * 59}…' is out of range",
        id="decimal-overflow-quoted-short",
    ),
    pytest.param(
        "investors.csv", 0, "capital_cny", "-5",
        "investors.csv:2: capital_cny: must be >= 0 (got '-5')",
        id="negative-amount",
    ),
    pytest.param(
        "events.csv", 1, "amount_cny", "-5",
        "events.csv:3: amount_cny: must be > 0 (got '-5')",
        id="negative-bid-amount",
    ),
    pytest.param(
        "packages.csv", 0, "principal_cny", "0",
        "packages.csv:2: principal_cny: must be > 0 (got '0')",
        id="exclusive-minimum",
    ),
    pytest.param(
        "packages.csv", 0, "dd_completeness", "1.2",
        "packages.csv:2: dd_completeness: must be <= 1 (got '1.2')",
        id="maximum",
    ),
    pytest.param(
        "packages.csv", 0, "loan_count", "1.5",
        "packages.csv:2: loan_count: '1.5' is not an integer",
        id="int-not-integer",
    ),
    pytest.param(
        "packages.csv", 0, "loan_count", "0",
        "packages.csv:2: loan_count: must be >= 1 (got '0')",
        id="int-minimum",
    ),
    pytest.param(
        "packages.csv", 0, "loan_count", "99999999999999999999",
        "packages.csv:2: loan_count: '99999999999999999999' is out of range",
        id="int-overflow",
    ),
    pytest.param(
        "investors.csv", 0, "licensed_amc", "yes",
        "investors.csv:2: licensed_amc: 'yes' is not a boolean (expected true or false)",
        id="bad-bool",
    ),
    pytest.param(
        "investors.csv", 0, "preferred_asset_types", "sme_loan; houses",
        "investors.csv:2: preferred_asset_types: 'houses' in the list is not valid (expected one of: "
        "consumer_loan, sme_loan, corporate_loan, residential, commercial_property, "
        "industrial_property, land, equity_stake, trust_beneficiary_right, receivables, equipment, "
        "vehicles)",
        id="bad-list-item",
    ),
    pytest.param(
        "investors.csv", 0, "preferred_provinces", "Shanghai;shanghai;Mars",
        "investors.csv:2: preferred_provinces: 'shanghai', 'Mars' in the list are not valid (expected "
        "one of the 31 preferred_provinces values of the contract; did you mean 'Shanghai'?)",
        id="bad-list-items",
    ),
    pytest.param(
        "investors.csv", 1, "max_ticket_cny", "10",
        None,  # min is empty: nothing to compare with
        id="max-ticket-without-min-is-fine",
    ),
    pytest.param(
        "investors.csv", 0, "max_ticket_cny", "999",
        "investors.csv:2: max_ticket_cny: '999' is less than min_ticket_cny '1000000'",
        id="max-ticket-below-min",
    ),
    pytest.param(
        "packages.csv", 0, "closes_at", "2025-03-14T09:30:00",
        "packages.csv:2: closes_at: '2025-03-14T09:30:00' is not after listed_at '2025-03-14T09:30:00'",
        id="closes-at-equal-listed-at",
    ),
    pytest.param(
        "packages.csv", 0, "closes_at", "2025-03-14T01:00:00Z",
        "packages.csv:2: closes_at: '2025-03-14T01:00:00Z' is not after listed_at '2025-03-14T09:30:00'",
        id="closes-at-before-listed-at-across-zones",
    ),
    pytest.param(
        "packages.csv", 0, "asset_type", "land",
        "packages.csv:2: asset_type: 'land' is a real_estate asset type but asset_class is 'credit'",
        id="asset-type-outside-class",
    ),
    pytest.param(
        "packages.csv", 0, "claim_total_cny", "100",
        "packages.csv:2: claim_total_cny: '100' is less than principal_cny '12500000.00'",
        id="claim-below-principal",
    ),
    pytest.param(
        "events.csv", 1, "amount_cny", "",
        "events.csv:3: amount_cny: missing value (required for a bid event)",
        id="missing-amount-on-bid",
    ),
    pytest.param(
        "events.csv", 0, "investor_id", "INV404",
        "events.csv:2: investor_id: unknown investor_id 'INV404' (not in investors.csv)",
        id="unknown-investor",
    ),
    pytest.param(
        "events.csv", 2, "package_id", "PKG404",
        "events.csv:4: package_id: unknown package_id 'PKG404' (not in packages.csv)",
        id="unknown-package",
    ),
    pytest.param(
        "events.csv", 0, "event_type", "click",
        "events.csv:2: event_type: 'click' is not a valid event_type (expected one of: impression, view, "
        "favorite, dd_request, bid, win, dismiss)",
        id="wrong-event-type",
    ),
    pytest.param(
        "investors.csv", 0, "investor_type", "110101199003070027",
        "investors.csv:2: investor_type: '110***********0027' is not a valid investor_type (expected "
        "one of: national_amc, local_amc, bank, private_fund, industrial_capital, "
        "foreign_institution, individual)",
        id="personal-data-in-a-message-is-masked",
    ),
]


@pytest.mark.parametrize(("file", "row", "column", "value", "expected"), BAD_CELLS)
def test_a_bad_cell_is_reported_precisely(
    tmp_path: Path, file: str, row: int, column: str, value: str, expected: str | None
) -> None:
    directory = write_market(tmp_path, **with_cell(file, row, column, value))
    if expected is None:
        read_market(directory)
    else:
        assert problems_of(directory) == [expected]


# ---------------------------------------------------------------------------------------------
# Problems about files and columns
# ---------------------------------------------------------------------------------------------


def test_missing_required_column(tmp_path: Path) -> None:
    header = [name for name in INVESTORS[0] if name != "province"]
    write_market(tmp_path, investors=csv_text(INVESTORS, header))
    assert problems_of(tmp_path) == ["investors.csv:1: province: missing required column"]


def test_repeated_column_in_header(tmp_path: Path) -> None:
    header = [*INVESTORS[0], "name"]
    write_market(tmp_path, investors=csv_text(INVESTORS, header))
    assert problems_of(tmp_path) == ["investors.csv:1: name: column appears more than once in the header"]


def test_duplicate_id_names_the_first_line(tmp_path: Path) -> None:
    packages = [*PACKAGES, dict(PACKAGES[0], title="Same id again")]
    write_market(tmp_path, packages=packages)
    assert problems_of(tmp_path) == [
        "packages.csv:4: package_id: duplicate package_id 'PKG1' (first on line 2)"
    ]


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    write_market(tmp_path)
    text = csv_text([dict(INVESTORS[0]), dict(INVESTORS[1], name="中国信达")])
    (tmp_path / "investors.csv").write_bytes(text.encode("gbk"))
    assert problems_of(tmp_path) == [
        "investors.csv:3: file is not UTF-8 (byte 0xd6); "
        "save it as UTF-8 (spreadsheets call this 'CSV UTF-8')"
    ]


def test_no_market_file_in_directory(tmp_path: Path) -> None:
    with pytest.raises(MarketFileError) as caught:
        read_market(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path}: no investors.csv, packages.csv or events.csv found"
    ]


def test_empty_file(tmp_path: Path) -> None:
    write_market(tmp_path, packages="")
    assert problems_of(tmp_path) == ["packages.csv:1: file is empty; expected a header row"]


def test_row_with_too_many_cells(tmp_path: Path) -> None:
    text = csv_text(EVENTS).splitlines()
    text[2] += ",surplus"
    write_market(tmp_path, events="\n".join(text) + "\n")
    assert problems_of(tmp_path) == ["events.csv:3: row has 9 cells but the header has 8"]


def test_header_is_checked_even_when_rows_cannot_be_split(tmp_path: Path) -> None:
    # The column name was deleted from the header but not from the rows.
    header = [name for name in INVESTORS[0] if name != "licensed_amc"]
    rows = csv_text(INVESTORS).splitlines()[1:]
    write_market(tmp_path, investors="\n".join([",".join(header), *rows]) + "\n")
    assert problems_of(tmp_path) == [
        "investors.csv:1: licensed_amc: missing required column",
        "investors.csv:2: row has 12 cells but the header has 11",
        "investors.csv:3: row has 12 cells but the header has 11",
    ]


def test_events_are_not_checked_against_an_unusable_investor_file(tmp_path: Path) -> None:
    header = [name for name in INVESTORS[0] if name != "investor_id"]
    write_market(tmp_path, investors=csv_text(INVESTORS, header))
    assert problems_of(tmp_path) == ["investors.csv:1: investor_id: missing required column"]


def test_unterminated_quote(tmp_path: Path) -> None:
    write_market(tmp_path, events=csv_text(EVENTS) + 'E9,INV1,PKG1,view,"2025-03-14\n')
    assert problems_of(tmp_path) == ["events.csv:5: malformed CSV: unexpected end of data"]


def test_header_only_files_give_empty_typed_frames(tmp_path: Path) -> None:
    headers_only = {name.removesuffix(".csv"): ",".join(rows[0]) + "\n" for name, rows in ROWS.items()}
    write_market(tmp_path, **headers_only)
    frames = read_market(tmp_path)
    assert frames.events is not None and frames.events.empty
    assert list(frames.events.columns) == [spec.name for spec in EVENT_FIELDS]
    assert frames.events["occurred_at"].dtype == TIMESTAMP_DTYPE
    assert frames.packages is not None and frames.packages["loan_count"].dtype == np.int64


def test_absent_files_are_none(tmp_path: Path) -> None:
    frames = read_market(write_market(tmp_path, events=None))
    assert frames.events is None
    assert frames.investors is not None


# ---------------------------------------------------------------------------------------------
# All problems, in order
# ---------------------------------------------------------------------------------------------


def test_every_problem_of_every_file_is_reported_in_order(tmp_path: Path) -> None:
    investors = [dict(INVESTORS[0], capital_cny="-1", investor_type="amc"), INVESTORS[1]]
    packages = [PACKAGES[0], dict(PACKAGES[1], status="gone")]
    events = [EVENTS[0], dict(EVENTS[1], amount_cny=""), dict(EVENTS[2], investor_id="nobody")]
    write_market(tmp_path, investors=investors, packages=packages, events=events)
    assert problems_of(tmp_path) == [
        "investors.csv:2: investor_type: 'amc' is not a valid investor_type (expected one of: national_amc, "
        "local_amc, bank, private_fund, industrial_capital, foreign_institution, individual)",
        "investors.csv:2: capital_cny: must be >= 0 (got '-1')",
        "packages.csv:3: status: 'gone' is not a valid status (expected one of: upcoming, active, sold, "
        "unsold, withdrawn)",
        "events.csv:3: amount_cny: missing value (required for a bid event)",
        "events.csv:4: investor_id: unknown investor_id 'nobody' (not in investors.csv)",
    ]


def test_problem_count_is_capped_but_total_is_kept(tmp_path: Path) -> None:
    events = [dict(EVENTS[0], event_id=f"E{i}", event_type="click") for i in range(3000)]
    write_market(tmp_path, events=events)
    with pytest.raises(MarketFileError) as caught:
        read_market(tmp_path, max_problems=10)
    error = caught.value
    assert error.total == 3000
    assert [p.line for p in error.problems] == list(range(2, 12))
    assert str(error).splitlines()[-1] == "  ... and 2990 more problems"


def test_error_message_lists_at_most_fifty_problems() -> None:
    problems = [Problem("events.csv", line, "event_type", "bad") for line in range(2, 102)]
    lines = str(MarketFileError(problems)).splitlines()
    assert lines[0] == "market data refused, 100 problems:"
    assert lines[1] == "  events.csv:2: event_type: bad"
    assert len(lines) == 1 + 50 + 1
    assert lines[-1] == "  ... and 50 more problems"


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (Problem("events.csv", 3, "amount_cny", "missing value"), "events.csv:3: amount_cny: missing value"),
        (Problem("events.csv", 3, "", "row has 9 cells"), "events.csv:3: row has 9 cells"),
        (Problem("/data/market", 0, "", "no files found"), "/data/market: no files found"),
    ],
)
def test_problem_text(problem: Problem, text: str) -> None:
    assert str(problem) == text


# ---------------------------------------------------------------------------------------------
# Lines, whitespace, extra and optional columns
# ---------------------------------------------------------------------------------------------


def test_line_numbers_count_multiline_cells_and_blank_lines(tmp_path: Path) -> None:
    packages = [
        dict(PACKAGES[0], description="first line\nsecond line\nthird line"),
        dict(PACKAGES[1], status="gone"),
    ]
    text = csv_text(packages)
    header, rest = text.split("\n", 1)
    write_market(tmp_path, packages=f"{header}\n\n{rest}\n")
    # header 1, blank 2, first package 3-5, second package 6
    assert problems_of(tmp_path) == [
        "packages.csv:6: status: 'gone' is not a valid status (expected one of: upcoming, active, sold, "
        "unsold, withdrawn)"
    ]
    frames = read_market(write_market(tmp_path, packages=f"{header}\n\n{rest.replace('gone', 'sold')}\n\n"))
    assert frames.packages is not None and len(frames.packages) == 2


def test_line_numbers_with_windows_line_breaks(tmp_path: Path) -> None:
    events = [dict(EVENTS[0], request_id="two\r\nlines"), dict(EVENTS[1], event_type="offer")]
    text = csv_text(events).replace("\n", "\r\n").replace("two\r\r\nlines", "two\r\nlines")
    write_market(tmp_path, events=text)
    (problem,) = problems_of(tmp_path)
    assert problem.startswith("events.csv:4: event_type: 'offer' is not a valid event_type")


def test_cells_are_stripped(tmp_path: Path) -> None:
    investors = [dict(INVESTORS[0], investor_id="  INV1 ", investor_type=" national_amc", capital_cny=" 5 ")]
    frames = read_market(write_market(tmp_path, investors=[*investors, INVESTORS[1]]))
    assert frames.investors is not None
    assert frames.investors.loc[0, ["investor_id", "investor_type", "capital_cny"]].tolist() == [
        "INV1",
        "national_amc",
        5.0,
    ]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    write_market(tmp_path)
    (tmp_path / "events.csv").write_bytes(b"\xef\xbb\xbf" + csv_text(EVENTS).encode())
    frames = read_market(tmp_path)
    assert frames.events is not None and frames.events["event_id"].tolist() == ["E1", "E2", "E3"]


def test_extra_columns_are_ignored(tmp_path: Path) -> None:
    events = [dict(row, source="crm", note="ignored") for row in EVENTS]
    frames = read_market(write_market(tmp_path, events=events))
    assert frames.events is not None
    assert list(frames.events.columns) == [spec.name for spec in EVENT_FIELDS]


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    optional = {spec.name for spec in PACKAGE_FIELDS if not spec.required}
    header = [name for name in PACKAGES[0] if name not in optional]
    frames = read_market(write_market(tmp_path, packages=csv_text(PACKAGES, header)))
    packages = frames.packages
    assert packages is not None
    assert list(packages.columns) == [spec.name for spec in PACKAGE_FIELDS]
    assert packages["city"].tolist() == [None, None]
    assert packages["claim_total_cny"].isna().all()
    assert packages["cross_border_eligible"].tolist() == [False, False]
    assert packages["cross_border_eligible"].dtype == bool


def test_lists_are_normalised(tmp_path: Path) -> None:
    investors = [
        dict(
            INVESTORS[0],
            preferred_asset_types=" sme_loan ; residential;sme_loan;;",
            preferred_provinces=";",
        ),
        INVESTORS[1],
    ]
    frames = read_market(write_market(tmp_path, investors=investors))
    assert frames.investors is not None
    assert frames.investors.loc[0, "preferred_asset_types"] == "sme_loan;residential"
    assert frames.investors.loc[0, "preferred_provinces"] is None


@pytest.mark.parametrize("value", ["TRUE", "True", " true "])
def test_booleans_ignore_case(tmp_path: Path, value: str) -> None:
    frames = read_market(write_market(tmp_path, **with_cell("investors.csv", 1, "licensed_amc", value)))
    assert frames.investors is not None and frames.investors.loc[1, "licensed_amc"]


# ---------------------------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2025-03-14T09:30:00", "2025-03-14T01:30:00"),  # naive is Asia/Shanghai
        ("2025-03-14 09:30:00", "2025-03-14T01:30:00"),
        ("2025-03-14T09:30", "2025-03-14T01:30:00"),
        ("2025-03-14T09:30:00+08:00", "2025-03-14T01:30:00"),
        ("2025-03-14T09:30:00+0800", "2025-03-14T01:30:00"),
        ("2025-03-14T01:30:00Z", "2025-03-14T01:30:00"),
        ("2025-03-14T03:30:00+02:00", "2025-03-14T01:30:00"),
        ("2025-03-13T20:30:00-05:00", "2025-03-14T01:30:00"),
        ("2025-03-14T09:30:00.25", "2025-03-14T01:30:00.25"),
        ("2025-03-14T09:30:00.123456789+08:00", "2025-03-14T01:30:00.123456"),  # below us is dropped
        ("2025-03-14", "2025-03-13T16:00:00"),  # a date starts at local midnight
        (" 2025-03-14T09:30:00 ", "2025-03-14T01:30:00"),
    ],
)
def test_timestamps_become_naive_utc(tmp_path: Path, written: str, utc: str) -> None:
    frames = read_market(write_market(tmp_path, **with_cell("events.csv", 0, "occurred_at", written)))
    assert frames.events is not None
    assert frames.events.loc[0, "occurred_at"] == pd.Timestamp(utc)
    assert frames.events["occurred_at"].dtype == TIMESTAMP_DTYPE


def test_mixed_offsets_in_one_column(tmp_path: Path) -> None:
    frames = read_market(write_market(tmp_path))
    assert frames.events is not None
    assert frames.events["occurred_at"].tolist() == [
        pd.Timestamp("2025-03-14T02:00:00"),
        pd.Timestamp("2025-03-15T02:00:00"),
        pd.Timestamp("2025-03-01T16:00:00"),
    ]


@pytest.mark.parametrize(
    "written",
    [
        "2025-03- 4",  # strptime would read the space as a missing zero
        "-025-03-14",  # or a sign on the year
        "2025-01-14T09:30:60",  # or roll second 60 over to the next minute
        "2025-3-4",
        "20250314",
        "2025-03-14T24:00:00",
        "2025-03-14T09",
        "2025-03-14+08:00",
        "2025-03-14t09:30:00",
    ],
)
def test_lenient_timestamp_spellings_are_refused(tmp_path: Path, written: str) -> None:
    directory = write_market(tmp_path, **with_cell("events.csv", 0, "occurred_at", written))
    (problem,) = problems_of(directory)
    assert problem.startswith(f"events.csv:2: occurred_at: {written.strip()!r} is not a valid timestamp")


def test_dates_accept_only_the_date_layout(tmp_path: Path) -> None:
    overrides = with_cell("investors.csv", 0, "registered_at", "2023-05-01T10:00:00")
    directory = write_market(tmp_path, **overrides)
    assert problems_of(directory) == [
        "investors.csv:2: registered_at: '2023-05-01T10:00:00' is not a valid date (expected YYYY-MM-DD)"
    ]


# ---------------------------------------------------------------------------------------------
# Event ids
# ---------------------------------------------------------------------------------------------


# Regression: a year-1 timestamp was stored as year 0 in UTC (and year 9999 with a -14:00 offset as
# year 10000), which no process could read back; serving, training and ranking all failed on it.
@pytest.mark.parametrize(
    ("file", "column", "written", "reason"),
    [
        ("events.csv", "occurred_at", "0001-01-01T00:00:00", "is out of range"),
        ("events.csv", "occurred_at", "9999-12-31T23:59:59-14:00", "is out of range (it is 10000-01-01T21:59:59"),
        ("events.csv", "occurred_at", "1999-12-31T23:59:59", "is out of range"),
        ("events.csv", "occurred_at", "2100-12-31T23:59:59-01:00", "is out of range (it is 2101-01-01T08:59:59"),
        ("packages.csv", "listed_at", "0001-01-01", "is out of range"),
        ("packages.csv", "closes_at", "2101-01-01T00:00:00", "is out of range"),
        ("investors.csv", "registered_at", "1970-01-01", "is out of range"),
    ],
)
def test_instants_outside_the_contract_years_are_refused_after_conversion(
    tmp_path: Path, file: str, column: str, written: str, reason: str
) -> None:
    directory = write_market(tmp_path, **with_cell(file, 0, column, written))
    (problem,) = problems_of(directory)
    assert problem.startswith(f"{file}:2: {column}: {written!r} {reason}")
    assert problem.endswith("dates and timestamps must fall in the years 2000 to 2100")


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2000-01-01T00:00:00", "1999-12-31T16:00:00"),  # the first moment, in market time
        ("2100-12-31T23:59:59", "2100-12-31T15:59:59"),
        ("2100-12-31T15:59:59Z", "2100-12-31T15:59:59"),
    ],
)
def test_the_edges_of_the_contract_years_are_accepted(tmp_path: Path, written: str, utc: str) -> None:
    frames = read_market(write_market(tmp_path, **with_cell("events.csv", 0, "occurred_at", written)))
    assert frames.events is not None
    assert frames.events.loc[0, "occurred_at"] == pd.Timestamp(utc)


@pytest.mark.parametrize(
    ("file", "column", "written", "expected"),
    [
        ("events.csv", "amount_cny", "1500000000000000", "must be <= 1,000,000,000,000,000"),
        ("investors.csv", "capital_cny", "99999999999999999999", "must be <= 1,000,000,000,000,000"),
        ("packages.csv", "reserve_price_cny", "1" + "0" * 300, "must be <= 1,000,000,000,000,000"),
        ("events.csv", "dwell_seconds", "86400.5", "must be <= 86400"),
        ("packages.csv", "loan_count", "3000000000", "must be <= 10,000,000"),
    ],
)
def test_amounts_durations_and_counts_have_a_ceiling(
    tmp_path: Path, file: str, column: str, written: str, expected: str
) -> None:
    directory = write_market(tmp_path, **with_cell(file, 0, column, written))
    assert [p for p in problems_of(directory) if f": {column}: " in p][0].startswith(
        f"{file}:2: {column}: {expected} (got "
    )


def expected_event_id(*parts: str) -> str:
    """The documented derivation, written out independently."""
    return "h-" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:24]


def test_missing_event_id_is_derived_from_the_content(tmp_path: Path) -> None:
    events = [dict(row, event_id="") for row in EVENTS]
    frames = read_market(write_market(tmp_path, events=events))
    assert frames.events is not None
    assert frames.events["event_id"].tolist() == [
        expected_event_id("INV1", "PKG1", "view", "2025-03-14T02:00:00.000000", "", "35.5", "req-1"),
        expected_event_id("INV1", "PKG1", "bid", "2025-03-15T02:00:00.000000", "5200000.0", "", "req-1"),
        expected_event_id("INV2", "PKG2", "impression", "2025-03-01T16:00:00.000000", "", "", ""),
    ]


def test_derived_event_ids_are_stable_across_imports_and_spellings(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    events = [dict(row, event_id="") for row in EVENTS]
    respelled = [dict(row) for row in events]
    respelled[1].update(occurred_at="2025-03-15T02:00:00Z", amount_cny="5200000.00", investor_id=" INV1")
    ids = []
    for directory, rows in ((first, events), (first, events), (second, respelled)):
        frames = read_market(write_market(directory, events=rows))
        assert frames.events is not None
        ids.append(frames.events["event_id"].tolist())
    assert ids[0] == ids[1] == ids[2]
    assert len(set(ids[0])) == 3


def test_an_identically_repeated_event_id_keeps_the_first_row(tmp_path: Path) -> None:
    events = [*EVENTS, dict(EVENTS[0]), dict(EVENTS[2])]
    frames = read_market(write_market(tmp_path, events=events))
    assert frames.events is not None
    assert frames.events["event_id"].tolist() == ["E1", "E2", "E3"]
    assert frames.events.loc[0, "dwell_seconds"] == 35.5
    assert frames.events.index.tolist() == [0, 1, 2]
    assert frames.events.attrs["lines"].tolist() == [2, 3, 4]


def test_an_event_id_repeated_with_other_content_is_refused_naming_both_lines(tmp_path: Path) -> None:
    """Regression: the later row was dropped silently, losing an event that only shared an id."""
    events = [*EVENTS, dict(EVENTS[0], dwell_seconds="99"), dict(EVENTS[2])]
    with pytest.raises(MarketFileError) as refused:
        read_market(write_market(tmp_path, events=events))
    (problem,) = refused.value.problems
    assert (problem.file, problem.line, problem.column) == ("events.csv", 5, "event_id")
    assert "'E1' repeats line 2 with different dwell_seconds" in problem.message


def test_identical_events_without_id_are_stored_once(tmp_path: Path) -> None:
    event = dict(EVENTS[0], event_id="")
    events = [event, event, dict(event, dwell_seconds="1")]
    frames = read_market(write_market(tmp_path, events=events))
    assert frames.events is not None
    assert len(frames.events) == 2
    assert frames.events["dwell_seconds"].tolist() == [35.5, 1.0]


def test_derive_event_ids_formats_floats_as_repr() -> None:
    amounts = np.array([12_500_000.0, 0.1 + 0.2, 1e16, 1.5e-7, np.nan])
    ids = derive_event_ids(
        np.array(["I"] * 5, dtype=object),
        np.array(["P"] * 5, dtype=object),
        np.array(["bid"] * 5, dtype=object),
        np.full(5, np.datetime64("2025-03-14T01:30:00", "us")),
        amounts,
        np.full(5, np.nan),
        np.array([None] * 5, dtype=object),
    )
    texts = [repr(a) for a in amounts[:4].tolist()] + [""]
    assert ids.tolist() == [
        expected_event_id("I", "P", "bid", "2025-03-14T01:30:00.000000", text, "", "") for text in texts
    ]


# ---------------------------------------------------------------------------------------------
# References, single files
# ---------------------------------------------------------------------------------------------


def test_events_may_refer_to_known_ids_from_the_store(tmp_path: Path) -> None:
    write_market(tmp_path, investors=None, packages=None)
    frames = read_market(tmp_path, known_investor_ids={"INV1", "INV2"}, known_package_ids=["PKG1", "PKG2"])
    assert frames.events is not None and len(frames.events) == 3
    assert frames.investors is None and frames.packages is None


def test_events_alone_without_known_ids_are_refused(tmp_path: Path) -> None:
    write_market(tmp_path, investors=None, packages=None)
    problems = problems_of(tmp_path, known_package_ids={"PKG1"})
    assert problems == [
        "events.csv:2: investor_id: unknown investor_id 'INV1' (not in investors.csv)",
        "events.csv:3: investor_id: unknown investor_id 'INV1' (not in investors.csv)",
        "events.csv:4: investor_id: unknown investor_id 'INV2' (not in investors.csv)",
        "events.csv:4: package_id: unknown package_id 'PKG2' (not in packages.csv or the known package_ids)",
    ]


def test_ids_of_an_investor_row_with_other_problems_still_count(tmp_path: Path) -> None:
    directory = write_market(tmp_path, **with_cell("investors.csv", 0, "capital_cny", "lots"))
    assert problems_of(directory) == [
        "investors.csv:2: capital_cny: 'lots' is not a plain decimal number (no separators or exponent)"
    ]


def test_read_csv_file_reads_one_file(tmp_path: Path) -> None:
    path = tmp_path / "some_events.csv"
    path.write_text(csv_text([*EVENTS, dict(EVENTS[0])]), encoding="utf-8")
    frame = read_csv_file(path, EVENT_FIELDS)
    assert frame["event_id"].tolist() == ["E1", "E2", "E3"]
    assert frame["occurred_at"].dtype == TIMESTAMP_DTYPE


def test_read_csv_file_raises_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "pk.csv"
    path.write_text(csv_text([dict(PACKAGES[0], loan_count="many")]), encoding="utf-8")
    with pytest.raises(MarketFileError) as caught:
        read_csv_file(path, PACKAGE_FIELDS)
    assert [str(p) for p in caught.value.problems] == ["pk.csv:2: loan_count: 'many' is not an integer"]
