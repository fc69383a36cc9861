"""Attribution on both backends: events joined with the lists they came from, and the traffic report."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from data.attribution import (
    UnknownGroupingError,
    attributed_events,
    served_items,
    served_lists,
    traffic_report,
)
from data.importer import import_market
from data.schema import events_table, served_lists_table
from data.store import create_store_engine, upgrade_schema
from tests.market_files import write_market
from webapi.cli import main

SERVED_AT = datetime(2025, 2, 10, 9)


def served(request_id: str, kind: str, subject: str, model: str | None, rule: int | None, items: list) -> dict:  # type: ignore[type-arg]
    return {"request_id": request_id, "served_at": SERVED_AT, "kind": kind, "subject_id": subject,
            "model_version": model, "rule_version": rule, "items": json.dumps(items)}


def event(event_id: str, investor: str, package: str, event_type: str, request_id: str | None) -> dict:
    return {"event_id": event_id, "investor_id": investor, "package_id": package, "event_type": event_type,
            "occurred_at": datetime(2025, 2, 10, 10), "request_id": request_id}


def fill(engine: Engine, folder: Path) -> Engine:
    import_market(engine, write_market(folder))
    with engine.begin() as connection:
        connection.execute(served_lists_table.insert(), [
            served("r1", "recommendations", "inv-1", "A", 1, [
                {"id": "pkg-2", "rank": 1, "score": 0.9}, {"id": "pkg-1", "rank": 2, "score": 0.8},
                {"id": "pkg-3", "rank": 3, "score": 0.1},
            ]),
            served("r2", "recommendations", "inv-2", "B", 1, ["pkg-3", "pkg-2"]),
            served("r3", "buyers", "pkg-3", "B", 2, [{"id": "inv-3"}, {"id": "inv-1"}]),
            served("r4", "recommendations", "inv-3", "A", 2, [{"id": "pkg-1"}]),
        ])
        connection.execute(events_table.insert(), [
            event("a1", "inv-1", "pkg-1", "view", "r1"),
            event("a2", "inv-1", "pkg-1", "favorite", "r1"),
            event("a3", "inv-1", "pkg-3", "bid", "r1"),
            event("a4", "inv-2", "pkg-2", "favorite", "r2"),
            event("a5", "inv-2", "pkg-3", "dismiss", "r2"),
            event("a6", "inv-2", "pkg-1", "dd_request", "r2"),  # not in r2: off-list
            event("a7", "inv-1", "pkg-3", "dd_request", "r3"),  # a buyer list: ranked by investor
            event("a8", "inv-3", "pkg-1", "view", "no-such-request"),
        ])
    return engine


def test_events_are_joined_with_their_list_and_ranked(engine: Engine, tmp_path: Path) -> None:
    fill(engine, tmp_path / "market")
    with engine.connect() as connection:
        joined = attributed_events(connection)
    ranks = dict(zip(joined["event_row_id"].map(_event_id_of(engine)), joined["rank"], strict=True))
    assert set(ranks) == {"a1", "a2", "a3", "a4", "a5", "a6", "a7"}  # a8 names no served list, e-5 neither
    assert (ranks["a1"], ranks["a2"], ranks["a3"], ranks["a4"], ranks["a5"], ranks["a7"]) == (2, 2, 3, 2, 1, 2)
    assert ranks["a6"] != ranks["a6"]  # NaN: acted on an item the list did not hold
    by_event = joined.set_index(joined["event_row_id"].map(_event_id_of(engine)))
    assert by_event.loc["a7", "model_version"] == "B" and by_event.loc["a7", "rule_version"] == 2
    assert by_event.loc["a7", "kind"] == "buyers"


def test_the_report_compares_versions_on_their_own_traffic(engine: Engine, tmp_path: Path) -> None:
    fill(engine, tmp_path / "market")
    with engine.connect() as connection:
        report = traffic_report(served_lists(connection), attributed_events(connection))
    a, b = report
    assert a["model_version"] == "A" and b["model_version"] == "B"
    assert (a["lists"], a["impressions"], a["attributed_events"]) == (2, 4, 3)
    assert a["actions"] == {"view": 1, "favorite": 1, "dd_request": 0, "bid": 1, "win": 0, "dismiss": 0}
    assert a["acted_items"] == 2 and a["off_list_actions"] == 0
    assert a["view_rate"] == pytest.approx(1 / 4) and a["action_rate"] == pytest.approx(2 / 4)
    assert a["list_action_rate"] == pytest.approx(1 / 2)
    assert a["mean_reciprocal_rank"] == pytest.approx((1 / 2 + 1 / 3) / 2)
    assert a["list_mrr"] == pytest.approx((1 / 2) / 2)  # r1's best acted rank is 2; r4 had no action
    assert (b["lists"], b["impressions"], b["acted_items"], b["off_list_actions"]) == (2, 4, 3, 1)
    assert b["mean_reciprocal_rank"] == pytest.approx((1 / 2 + 1 / 2) / 2)

    with engine.connect() as connection:
        by_rule = traffic_report(served_lists(connection), attributed_events(connection), ("rule_version",))
    assert [row["rule_version"] for row in by_rule] == [1, 2]
    assert [row["lists"] for row in by_rule] == [2, 2]


def test_a_report_window_and_grouping_are_checked(engine: Engine, tmp_path: Path) -> None:
    fill(engine, tmp_path / "market")
    with engine.connect() as connection:
        assert served_lists(connection, since=datetime(2025, 3, 1)).empty
        assert attributed_events(connection, until=SERVED_AT).empty
        with pytest.raises(UnknownGroupingError, match="investor_id"):
            traffic_report(served_lists(connection), attributed_events(connection), ("investor_id",))


def test_served_items_take_ids_and_ranks_from_any_recorded_shape() -> None:
    assert served_items('["p1", "p2"]') == [("p1", 1), ("p2", 2)]
    assert served_items('[{"id": "p1", "rank": 4}, {"package_id": "p2"}]') == [("p1", 4), ("p2", 2)]
    with pytest.raises(ValueError, match="JSON array"):
        served_items('{"id": "p1"}')
    with pytest.raises(ValueError, match="served item"):
        served_items("[3]")


def test_models_compare_prints_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = create_store_engine(url)
    upgrade_schema(engine)
    fill(engine, tmp_path / "market")
    engine.dispose()
    monkeypatch.setenv("ASSETMATCH_DATABASE_URL", url)
    runner = CliRunner()
    as_json = runner.invoke(main, ["models", "compare", "--json"], catch_exceptions=False)
    assert as_json.exit_code == 0, as_json.output
    assert [row["model_version"] for row in json.loads(as_json.output)] == ["A", "B"]
    text = runner.invoke(main, ["models", "compare", "--by", "both"], catch_exceptions=False).output
    assert "model version A, rule version 1: 1 list, 3 impressions" in text
    assert "MRR of acted items" in text
    empty = runner.invoke(main, ["models", "compare", "--since", "2030-01-01"], catch_exceptions=False).output
    assert "no served lists" in empty


def _event_id_of(engine: Engine):  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        rows = connection.execute(events_table.select().with_only_columns(events_table.c.id, events_table.c.event_id))
        mapping = {row.id: row.event_id for row in rows}
    return mapping.get


def test_events_quoting_another_investors_recommendations_are_not_attributed(
    engine: Engine, tmp_path: Path
) -> None:
    """Regression: inv-3's events quoting inv-1's list were counted as traffic of that list."""
    fill(engine, tmp_path / "market")
    with engine.begin() as connection:
        connection.execute(events_table.insert(), [event("x1", "inv-3", "pkg-2", "bid", "r1")])
    with engine.connect() as connection:
        joined = attributed_events(connection)
    attributed = set(joined["event_row_id"].map(_event_id_of(engine)))
    assert "x1" not in attributed and {"a1", "a7"} <= attributed
