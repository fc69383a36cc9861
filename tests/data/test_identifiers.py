"""Ids are never masked, so an id that looks like personal data is refused wherever it enters."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from data.contract import EVENT_FIELDS, INVESTOR_FIELDS
from data.csv_reader import MarketFileError
from data.generator import generate_market
from data.identifiers import ID_FIELDS, PERSONAL_DATA_ID_MESSAGE, fresh_id, looks_like_personal_data
from data.importer import import_market
from data.json_records import read_json_records
from data.masking import mask_personal_data
from data.schema import investors_table
from tests.conftest import SAMPLE_MARKET
from tests.market_files import EVENTS_CSV, INVESTORS_CSV, write_market

RESIDENT_ID = "110101199003070027"
MOBILE = "13812345678"
CARD = "6222021234567890128"


@pytest.mark.parametrize("value", [RESIDENT_ID, MOBILE, f"inv-{CARD}", "138 1234 5678"])
def test_ids_the_mask_would_rewrite_look_like_personal_data(value: str) -> None:
    assert mask_personal_data(value) != value
    assert looks_like_personal_data(value)


@pytest.mark.parametrize("value", ["INV000123", "PKG0001455", "EV00000001", "bank-jiangsu", "req-9"])
def test_opaque_ids_pass(value: str) -> None:
    assert not looks_like_personal_data(value)


def test_an_import_refuses_a_personal_data_id_naming_file_line_and_column(
    engine: Engine, tmp_path: Path
) -> None:
    investors = INVESTORS_CSV.replace("inv-2,", f"{RESIDENT_ID},")
    events = EVENTS_CSV.replace("inv-2,", f"{RESIDENT_ID},").replace("e-2,", f"{MOBILE},")
    with pytest.raises(MarketFileError) as refused:
        import_market(engine, write_market(tmp_path / "m", investors=investors, events=events))
    problems = refused.value.problems
    where = {(p.file, p.line, p.column) for p in problems if p.message == PERSONAL_DATA_ID_MESSAGE}
    assert where == {
        ("investors.csv", 3, "investor_id"),
        ("events.csv", 3, "event_id"),
        ("events.csv", 6, "investor_id"),
    }
    assert RESIDENT_ID not in str(refused.value) and MOBILE not in str(refused.value)
    with engine.connect() as connection:  # nothing half-written
        assert connection.execute(select(func.count()).select_from(investors_table)).scalar_one() == 0


def test_an_api_record_refuses_a_personal_data_id_and_says_which_field() -> None:
    investor = dict(next(csv.DictReader(INVESTORS_CSV.splitlines())))
    with pytest.raises(MarketFileError) as refused:
        read_json_records([{**investor, "investor_id": RESIDENT_ID}], INVESTOR_FIELDS, "")
    found = [(p.column, p.message) for p in refused.value.problems]
    assert found == [("investor_id", PERSONAL_DATA_ID_MESSAGE)]
    event = {"investor_id": "inv-1", "package_id": "pkg-1", "event_type": "view",
             "occurred_at": "2025-01-11T10:00:00", "request_id": f"req {MOBILE}"}  # fmt: skip
    with pytest.raises(MarketFileError) as refused:
        read_json_records([event], EVENT_FIELDS, "events")
    assert [(p.line, p.column) for p in refused.value.problems] == [(1, "request_id")]


def _id_values(directory: Path) -> set[str]:
    values: set[str] = set()
    for name in ("investors.csv", "packages.csv", "events.csv"):
        with (directory / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                values.update(value for key, value in row.items() if key in ID_FIELDS and value)
    return values


def test_the_sample_market_and_the_generator_use_no_personal_data_ids() -> None:
    sample = _id_values(SAMPLE_MARKET)
    assert len(sample) > 1000
    assert not [value for value in sample if looks_like_personal_data(value)]
    market = generate_market(120, 300, seed=5)
    frames = (market.investors, market.packages, market.events)
    generated = {v for frame in frames for c in frame if c in ID_FIELDS for v in frame[c].dropna()}
    assert not [value for value in generated if looks_like_personal_data(value)]
    # The widest ids the generator's formats produce for markets of any plausible size.
    for prefix, width in (("INV", 9), ("PKG", 9), ("EV", 10)):
        assert not looks_like_personal_data(f"{prefix}{1_3812_3456_78 % 10**width:0{width}d}")


def test_a_generated_id_is_drawn_again_until_it_is_not_personal_data() -> None:
    draws = itertools.chain([MOBILE, f"x{CARD}"], itertools.repeat("a1b2c3"))
    assert fresh_id(lambda: next(draws)) == "a1b2c3"
    with pytest.raises(RuntimeError):
        fresh_id(lambda: MOBILE)
