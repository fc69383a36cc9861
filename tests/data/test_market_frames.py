"""A stored market reads back exactly as the CSV reader produced it, on both backends."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from data.csv_reader import read_market
from data.importer import import_market
from data.market_frames import load_market
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
