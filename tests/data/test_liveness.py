"""The market's one definition of live, in its array, frame and SQL forms, at its boundaries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import create_engine, func, insert, select

from data.contract import PACKAGE_FIELDS
from data.liveness import listing_live, live_clause, live_packages
from data.schema import packages_table
from tests.profiles.market import frame, package

NOW = datetime(2025, 6, 1)


def test_listed_at_now_is_live_closing_at_now_is_not_and_every_form_agrees() -> None:
    day = timedelta(days=1)
    cases = {  # id: (status, listed_at, closes_at, live?)
        "listed-now": ("active", NOW, NOW + day, True),
        "closes-now": ("active", NOW - day, NOW, False),
        "not-listed-yet": ("upcoming", NOW + day, NOW + 2 * day, False),
        "upcoming-listed": ("upcoming", NOW - day, NOW + day, True),
        "sold": ("sold", NOW - day, NOW + day, False),
    }
    expected = {key for key, (_, _, _, is_live) in cases.items() if is_live}
    assert {
        key for key, (s, listed, closes, _) in cases.items() if listing_live(s, listed, closes, NOW)
    } == expected
    packages = frame(
        [
            package(key, status=s, listed_at=listed, closes_at=closes)
            for key, (s, listed, closes, _) in cases.items()
        ],
        PACKAGE_FIELDS,
    )
    assert set(live_packages(packages, NOW)["package_id"]) == expected
    engine = create_engine("sqlite://")
    packages_table.metadata.create_all(engine, tables=[packages_table])
    with engine.begin() as connection:
        stored = packages.astype(object).where(pd.notna(packages), None).to_dict("records")
        columns = {column.name for column in packages_table.columns}
        connection.execute(
            insert(packages_table), [{k: v for k, v in row.items() if k in columns} for row in stored]
        )
        found = connection.execute(
            select(packages_table.c.package_id).where(live_clause(packages_table, NOW))
        ).scalars()
        assert set(found) == expected
        assert (
            connection.execute(select(func.count()).where(live_clause(packages_table, NOW))).scalar_one() == 2
        )
