"""A stored market reads back exactly as the CSV reader produced it, on both backends."""

from __future__ import annotations

import logging
from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import Engine

from data.contract import EVENT_FIELDS
from data.csv_reader import read_market
from data.importer import import_market
from data.market_frames import describe_skipped, load_market, read_frame
from data.market_journal import read_packages
from data.package_summaries import live_packages, package_summaries
from data.schema import events_table
from tests.bad_rows import BAD_EVENTS, BAD_INVESTOR, BAD_PACKAGE, ORPHAN_EVENTS, insert_bad_rows
from tests.conftest import SAMPLE_MARKET


def test_load_market_round_trips_the_imported_frames(engine: Engine) -> None:
    import_market(engine, SAMPLE_MARKET)
    stored = load_market(engine)
    original = read_market(SAMPLE_MARKET)
    for name in ("investors", "packages", "events"):
        key = {"investors": "investor_id", "packages": "package_id", "events": "event_id"}[name]
        expected = getattr(original, name).sort_values(key).reset_index(drop=True)
        actual = getattr(stored, name).sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-9)
    assert stored.event_high_water == len(original.events)


# Regression: one event stored with a year-0 (SQLite) or year-10000 (PostgreSQL) timestamp made
# every market read raise, so no worker could build its snapshot and training and ranking failed.
def test_rows_that_break_the_contract_are_left_out_counted_and_logged(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    import_market(engine, SAMPLE_MARKET)
    with engine.begin() as connection:
        insert_bad_rows(connection)
    with caplog.at_level(logging.WARNING, logger="data.market_frames"):
        stored = load_market(engine, event_row_ids=True)
    original = read_market(SAMPLE_MARKET)
    assert stored.skipped == {"investors": 1, "packages": 1, "events": len(BAD_EVENTS) + len(ORPHAN_EVENTS)}
    assert BAD_INVESTOR not in set(stored.investors["investor_id"])
    assert BAD_PACKAGE not in set(stored.packages["package_id"])
    assert set(stored.events["event_id"]) == set(original.events["event_id"])
    assert stored.events["occurred_at"].dtype == "datetime64[us]"
    assert stored.events["id"].dtype == "int64"
    logged = caplog.text
    assert "ev-bad-year-0" in logged and BAD_PACKAGE in logged and "ev-on-bad-package" in logged
    assert describe_skipped(stored.skipped) == (
        "left out stored rows that break the data contract: 1 investors, 1 packages, 7 events (the log names them)"
    )


def test_a_partial_read_leaves_bad_rows_out_too(engine: Engine) -> None:
    import_market(engine, SAMPLE_MARKET)
    with engine.begin() as connection:
        insert_bad_rows(connection)
    with engine.connect() as connection:
        events = read_frame(
            connection, events_table, EVENT_FIELDS, events_table.c.event_id.in_([*BAD_EVENTS, "EV00000001"])
        )
        packages = read_packages(connection, [BAD_PACKAGE, "PKG0000001"])
    assert events["event_id"].tolist() == ["EV00000001"]
    assert packages["package_id"].tolist() == ["PKG0000001"]


def test_a_clean_store_skips_nothing(engine: Engine) -> None:
    import_market(engine, SAMPLE_MARKET)
    assert load_market(engine).skipped == {}
    assert describe_skipped({}) == ""


def test_listing_summaries_leave_a_listing_with_impossible_dates_out(engine: Engine) -> None:
    import_market(engine, SAMPLE_MARKET)
    with engine.begin() as connection:
        insert_bad_rows(connection)
    with engine.connect() as connection:
        live = live_packages(connection, datetime(2026, 6, 20))
        named = package_summaries(connection, [BAD_PACKAGE, "PKG0000001"])
    assert live and BAD_PACKAGE not in {summary.package_id for summary in live}
    assert list(named) == ["PKG0000001"]
    assert named["PKG0000001"].listed_at == datetime(2024, 7, 2, 6, 0)  # naive UTC, as stored
