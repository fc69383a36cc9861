"""JSON records pass the same contract checks as CSV rows, plus the JSON types their fields need."""

from __future__ import annotations

import math

import pytest

from data.contract import EVENT_FIELDS, INVESTOR_FIELDS
from data.json_records import problem_index, read_json_records, storable_id
from data.problems import MarketFileError

INVESTOR = {
    "investor_id": "inv-9",
    "name": "Delta Capital",
    "investor_type": "private_fund",
    "province": "Shanghai",
    "registered_at": "2024-06-10",
    "capital_cny": 800000000,
    "licensed_amc": False,
    "preferred_asset_types": ["residential", "land", "residential"],
}


def problems(items: list, fields: tuple = INVESTOR_FIELDS, **known: set[str]) -> list[tuple[int, str, str]]:
    with pytest.raises(MarketFileError) as refused:
        read_json_records(items, fields, "items", **known)
    return [(problem_index(p), p.column, p.message) for p in refused.value.problems]


def test_a_valid_record_comes_back_typed_like_an_import() -> None:
    frame = read_json_records([INVESTOR], INVESTOR_FIELDS, "items")
    row = frame.iloc[0]
    assert row["capital_cny"] == 800000000.0 and bool(row["licensed_amc"]) is False
    assert row["preferred_asset_types"] == "residential;land"  # canonical list, repeats dropped
    assert str(row["registered_at"]) == "2024-06-09 16:00:00"  # the market-local day, in UTC
    assert math.isnan(row["min_ticket_cny"])


def test_json_types_are_checked_before_the_contract() -> None:
    bad = {**INVESTOR, "capital_cny": "1e9", "licensed_amc": 1, "name": ["x"], "preferred_provinces": [1]}
    found = problems([bad])
    assert [(field, message.split(",")[0]) for _, field, message in found] == [
        ("name", "must be a string"),
        ("capital_cny", "'1e9' is not a plain decimal number (no separators or exponent)"),
        ("preferred_provinces", "must be a list of strings"),
        ("licensed_amc", "must be true or false"),
    ]


def test_every_problem_names_its_item_and_field() -> None:
    found = problems(
        [INVESTOR, {**INVESTOR, "investor_id": "inv-10", "investor_type": "bank!", "wings": 2}, 7, {}]
    )
    assert found[0][:2] == (1, "investor_type")
    assert found[1][:2] == (1, "wings") and "unknown field" in found[1][2]
    assert found[2] == (2, "", "must be a JSON object, got a number")
    assert {field for index, field, _ in found if index == 3} >= {"investor_id", "name", "capital_cny"}


def test_events_refer_only_to_known_investors_and_packages_and_get_derived_ids() -> None:
    event = {
        "investor_id": "inv-1",
        "package_id": "pkg-1",
        "event_type": "view",
        "occurred_at": "2025-01-01T10:00:00Z",
    }
    frame = read_json_records([event, event], EVENT_FIELDS, "events", {"inv-1"}, {"pkg-1"})
    assert len(frame) == 1 and frame.iloc[0]["event_id"].startswith(
        "h-"
    )  # a repeat in one batch is one event
    assert problems([event], EVENT_FIELDS, known_investor_ids=set(), known_package_ids={"pkg-1"}) == [
        (0, "investor_id", "unknown investor_id 'inv-1' (not in the market)")
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [("x" * 65, "must be at most 64 characters long"), ("a\x00b", "must not contain NUL characters")],
)
def test_what_the_store_cannot_hold_is_refused(value: str, message: str) -> None:
    assert problems([{**INVESTOR, "investor_id": value}]) == [(0, "investor_id", message)]
    assert not storable_id(value)


def test_numbers_are_written_plainly_and_non_finite_ones_refused() -> None:
    frame = read_json_records(
        [{**INVESTOR, "capital_cny": 1e15, "max_ticket_cny": 1e-5}], INVESTOR_FIELDS, "items"
    )  # repr() writes 1e-05: the cell must be plain decimal text all the same
    assert frame.iloc[0]["capital_cny"] == 1e15 and frame.iloc[0]["max_ticket_cny"] == 1e-5
    assert problems([{**INVESTOR, "capital_cny": 1e20}])[0][2] == (
        "must be <= 1,000,000,000,000,000 (got '100000000000000000000')"
    )
    assert (
        problems([{**INVESTOR, "capital_cny": float("inf")}])[0][2] == "must be a finite number, got a number"
    )
