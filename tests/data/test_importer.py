"""Import is validated, atomic and idempotent, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

import data.importer
from data.csv_reader import MarketFileError
from data.importer import import_market
from data.schema import events_table, investors_table, packages_table
from tests.conftest import SAMPLE_MARKET
from tests.market_files import EVENTS_CSV, INVESTORS_CSV, PACKAGES_CSV, write_market


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {
            table.name: sorted(tuple(row) for row in connection.execute(select(table)).all())
            for table in (investors_table, packages_table, events_table)
        }


def test_import_writes_every_row_with_timestamps_in_utc(engine: Engine, tmp_path: Path) -> None:
    summary = import_market(engine, write_market(tmp_path / "m"))
    assert (summary.investors_added, summary.packages_added, summary.events_added) == (3, 3, 5)
    with engine.connect() as connection:
        listed = dict(connection.execute(select(packages_table.c.package_id, packages_table.c.listed_at)).all())
        bids = connection.execute(
            select(events_table.c.amount_cny).where(events_table.c.event_type == "bid")
        ).scalars().all()
    # Naive means Asia/Shanghai (UTC+8); an explicit offset is honoured.
    assert listed["pkg-1"] == datetime(2025, 1, 10, 1, 0)
    assert listed["pkg-3"] == datetime(2025, 2, 5, 2, 0)
    assert bids == [32_000_000.0]


def test_reimporting_the_same_files_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    market = write_market(tmp_path / "m")
    import_market(engine, market)
    before = snapshot(engine)
    summary = import_market(engine, market)
    assert (summary.investors_added, summary.packages_added, summary.events_added) == (0, 0, 0)
    assert summary.events_already_stored == 5
    assert snapshot(engine) == before


def test_events_without_an_event_id_are_not_duplicated_on_reimport(engine: Engine, tmp_path: Path) -> None:
    events = EVENTS_CSV.replace("e-1,", ",").replace("e-5,", ",")
    market = write_market(tmp_path / "m", events=events)
    assert import_market(engine, market).events_added == 5
    assert import_market(engine, market).events_added == 0


def test_reimport_updates_a_package_by_id_and_appends_only_new_events(engine: Engine, tmp_path: Path) -> None:
    import_market(engine, write_market(tmp_path / "first"))
    packages = PACKAGES_CSV.replace("2025-03-01,active", "2025-03-01,sold")
    events = EVENTS_CSV + "e-6,inv-2,pkg-2,win,2025-02-28T16:00:00,2200000,,\n"
    summary = import_market(engine, write_market(tmp_path / "second", packages=packages, events=events))
    assert (summary.packages_added, summary.packages_updated, summary.events_added) == (0, 1, 1)
    assert summary.packages_unchanged == 2
    with engine.connect() as connection:
        status = connection.execute(
            select(packages_table.c.status).where(packages_table.c.package_id == "pkg-2")
        ).scalar_one()
    assert status == "sold"


def test_events_may_reference_investors_and_packages_already_stored(engine: Engine, tmp_path: Path) -> None:
    import_market(engine, write_market(tmp_path / "first"))
    events_only = write_market(
        tmp_path / "events", investors="", packages="",
        events="event_id,investor_id,package_id,event_type,occurred_at\ne-9,inv-3,pkg-3,view,2025-02-06\n",
    )
    assert import_market(engine, events_only).events_added == 1


CORRUPTIONS = [
    pytest.param(
        "packages", lambda text: text.replace("bank,credit,consumer_loan", "bank,credit,payday_loan"),
        "packages.csv:2: asset_type:", id="wrong-enum",
    ),
    pytest.param(
        "investors", lambda text: text.replace(",licensed_amc\n", "\n", 1),
        "investors.csv:1: licensed_amc:", id="missing-column",
    ),
    pytest.param(
        "events", lambda text: text.replace("2025-01-12T10:00:00", "2025-13-45"),
        "events.csv:3: occurred_at:", id="bad-date",
    ),
    pytest.param(  # regression: stored as year 0 in UTC, after which no process could read the store
        "events", lambda text: text.replace("2025-01-12T10:00:00", "0001-01-01T00:00:00"),
        "events.csv:3: occurred_at: '0001-01-01T00:00:00' is out of range", id="year-1",
    ),
    pytest.param(  # regression: stored as year 10000 on PostgreSQL
        "events", lambda text: text.replace("2025-01-12T10:00:00", "9999-12-31T23:59:59-14:00"),
        "events.csv:3: occurred_at: '9999-12-31T23:59:59-14:00' is out of range", id="year-10000",
    ),
    pytest.param(
        "packages", lambda text: text.replace("2025-02-01,2025-03-01", "0001-01-01,2025-03-01"),
        "packages.csv:3: listed_at: '0001-01-01' is out of range", id="listed-in-year-1",
    ),
    pytest.param(
        "events", lambda text: text.replace("e-1,inv-1,pkg-1,view,2025-01-11T10:00:00,,120", "e-1,inv-1,pkg-1,view,2025-01-11T10:00:00,,99999999"),
        "events.csv:2: dwell_seconds: must be <= 86400", id="dwell-ceiling",
    ),
    pytest.param(
        "events", lambda text: text.replace("e-5,inv-2", "e-5,inv-404"),
        "events.csv:6: investor_id:", id="unknown-investor",
    ),
    pytest.param(
        "investors", lambda text: text.replace("inv-3,Delta", "inv-2,Delta"),
        "investors.csv:4: investor_id:", id="duplicate-id",
    ),
]


@pytest.mark.parametrize(("file", "corrupt", "expected"), CORRUPTIONS)
def test_a_corrupted_file_is_refused_with_its_line_and_leaves_the_database_unchanged(
    engine: Engine, tmp_path: Path, file: str, corrupt, expected: str  # type: ignore[no-untyped-def]
) -> None:
    import_market(engine, write_market(tmp_path / "good"))
    before = snapshot(engine)
    texts = {"investors": INVESTORS_CSV, "packages": PACKAGES_CSV, "events": EVENTS_CSV}
    texts[file] = corrupt(texts[file])
    # A valid new investor rides along: it must not be imported either.
    texts["investors"] += "inv-new,New Fund,private_fund,Fujian,2025-01-01,100000000,,,,,,false\n"
    with pytest.raises(MarketFileError) as raised:
        import_market(engine, write_market(tmp_path / "bad", **texts))
    assert expected in str(raised.value)
    assert snapshot(engine) == before


def test_a_failure_while_writing_rolls_back_everything(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_insert(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(data.importer, "insert_new_events", failing_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        import_market(engine, write_market(tmp_path / "m"))
    assert snapshot(engine) == {"investors": [], "packages": [], "events": []}


def test_the_committed_sample_market_imports_cleanly(engine: Engine) -> None:
    summary = import_market(engine, SAMPLE_MARKET)
    assert summary.investors_added > 100
    assert summary.packages_added > 500
    assert summary.events_added > 5_000
    assert summary.events_already_stored == 0


def test_the_bulk_path_keeps_foreign_keys_in_force(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large PostgreSQL imports check references once per batch; the constraints must come back."""
    from alembic import command

    import data.bulk_write
    from data.store import alembic_config

    monkeypatch.setattr(data.bulk_write, "BULK_FOREIGN_KEY_CHECK_ROWS", 1)
    assert import_market(engine, write_market(tmp_path / "m")).events_added == 5
    command.check(alembic_config(engine))  # fails if a foreign key went missing
    with pytest.raises(Exception, match="(?i)foreign key"):
        with engine.begin() as connection:
            connection.execute(
                events_table.insert().values(
                    event_id="orphan", investor_id="nobody", package_id="pkg-1",
                    event_type="view", occurred_at=datetime(2025, 1, 1),
                )
            )


def test_reimport_counts_unchanged_rows_apart_from_updated_ones(engine: Engine, tmp_path: Path) -> None:
    """Regression: a re-import of unchanged files reported every investor and package as updated."""
    import_market(engine, write_market(tmp_path / "first"))
    summary = import_market(engine, write_market(tmp_path / "same"))
    assert (summary.investors_updated, summary.investors_unchanged) == (0, 3)
    assert (summary.packages_updated, summary.packages_unchanged) == (0, 3)
    assert "packages:  0 added, 0 updated, 3 unchanged" in summary.lines()
    packages = PACKAGES_CSV.replace("2025-03-01,active", "2025-03-01,sold")
    changed = import_market(engine, write_market(tmp_path / "second", packages=packages))
    assert (changed.packages_updated, changed.packages_unchanged) == (1, 2)


@pytest.mark.parametrize("bulk_rows", [100_000, 1], ids=["per-row", "bulk-path"])
def test_an_event_id_stored_with_other_content_refuses_the_import_naming_its_line(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk_rows: int
) -> None:
    """Regression: an event reusing a stored event_id for other content was skipped as "already stored"."""
    import data.bulk_write

    monkeypatch.setattr(data.bulk_write, "BULK_FOREIGN_KEY_CHECK_ROWS", bulk_rows)
    import_market(engine, write_market(tmp_path / "first"))
    before = snapshot(engine)
    events = EVENTS_CSV.replace("e-2,inv-1,pkg-1,dd_request,", "e-2,inv-2,pkg-1,bid,").replace(
        "2025-01-12T10:00:00,,,", "2025-01-12T10:00:00,900000,,"
    )
    events += "e-7,inv-3,pkg-3,view,2025-02-06,,,\n"
    with pytest.raises(MarketFileError) as refused:
        import_market(engine, write_market(tmp_path / "second", events=events))
    (problem,) = refused.value.problems
    assert (problem.file, problem.line, problem.column) == ("events.csv", 3, "event_id")
    assert "'e-2'" in problem.message
    assert "investor_id 'inv-1'" in problem.message and "event_type 'dd_request'" in problem.message
    assert "amount_cny empty" in problem.message
    assert snapshot(engine) == before  # all or nothing: neither e-7 nor the package upserts
    from alembic import command

    from data.store import alembic_config

    command.check(alembic_config(engine))  # the bulk path's dropped constraints are back


def test_an_event_id_repeated_in_a_file_with_other_content_is_refused(engine: Engine, tmp_path: Path) -> None:
    """A repeated event_id in one file is dropped only when the repeat is identical."""
    same = EVENTS_CSV + "e-1,inv-1,pkg-1,view,2025-01-11T10:00:00,,120,\n"
    assert import_market(engine, write_market(tmp_path / "same", events=same)).events_added == 5
    differing = EVENTS_CSV + "e-8,inv-2,pkg-2,view,2025-02-04,,,\ne-8,inv-2,pkg-2,view,2025-02-05,,,\n"
    with pytest.raises(MarketFileError) as refused:
        import_market(engine, write_market(tmp_path / "differing", events=differing))
    (problem,) = refused.value.problems
    assert (problem.line, problem.column) == (8, "event_id")
    assert "repeats line 7 with different occurred_at" in problem.message
