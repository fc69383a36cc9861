"""Rule-set versions in the store, on SQLite and PostgreSQL: numbering, audit fields, one active."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

import data.rule_store as rule_store
from data.rule_store import (
    ACTIVE,
    RETIRED,
    RuleSetAuditError,
    active_rule_set,
    get_rule_set,
    rule_set_history,
    save_rule_set,
)
from data.schema import rule_sets_table

T0 = datetime(2025, 3, 1, 9, 30)
FIRST = {"boosts": {"closing_soon": {"enabled": True, "weight": 0.2}}}
SECOND = {"diversity": {"max_per_seller": 3}, "note": "ünïcode kept"}


def row_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(rule_sets_table)).scalar_one())


def test_an_empty_store_has_no_active_version_and_no_history(engine: Engine) -> None:
    with engine.connect() as connection:
        assert active_rule_set(connection) is None
        assert rule_set_history(connection) == []
        assert get_rule_set(connection, 1) is None


def test_each_save_is_the_next_version_and_the_only_active_one(engine: Engine) -> None:
    with engine.connect() as connection:
        first = save_rule_set(connection, FIRST, "alice", "closing-soon push", T0)
        second = save_rule_set(connection, SECOND, " bob ", "  cap sellers at 3  ", T0 + timedelta(hours=1))
        third = save_rule_set(connection, FIRST, "alice", "back to the push", T0 + timedelta(hours=2))
    assert (first.version, second.version, third.version) == (1, 2, 3)
    with engine.connect() as connection:
        history = rule_set_history(connection)
        active = active_rule_set(connection)
        stored_second = get_rule_set(connection, 2)
    assert [v.version for v in history] == [3, 2, 1]
    assert [v.status for v in history] == [ACTIVE, RETIRED, RETIRED]
    assert active == third
    assert stored_second is not None
    assert (stored_second.author, stored_second.reason) == ("bob", "cap sellers at 3")
    assert stored_second.created_at == T0 + timedelta(hours=1)
    assert stored_second.document == SECOND
    assert stored_second.to_json() == {
        "version": 2,
        "status": RETIRED,
        "created_at": "2025-03-01T10:30:00",
        "author": "bob",
        "reason": "cap sellers at 3",
        "document": SECOND,
    }


@pytest.mark.parametrize(
    ("author", "reason", "message"),
    [
        ("alice", "", "needs a reason"),
        ("alice", "   ", "needs a reason"),
        ("", "why", "needs an author"),
        ("a" * 129, "why", "at most 128 characters, got 129"),
    ],
)
def test_a_change_without_who_and_why_is_refused_and_nothing_is_written(
    engine: Engine, author: str, reason: str, message: str
) -> None:
    with engine.connect() as connection, pytest.raises(RuleSetAuditError, match=message):
        save_rule_set(connection, FIRST, author, reason, T0)
    assert row_count(engine) == 0


def test_a_save_that_fails_half_way_leaves_the_previous_version_active(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retire and the insert are one transaction: a clash on the insert undoes the retire."""
    with engine.connect() as connection:
        save_rule_set(connection, FIRST, "alice", "first", T0)
    monkeypatch.setattr(rule_store, "next_version", lambda connection: 1)  # as if a concurrent save won
    with engine.connect() as connection, pytest.raises(IntegrityError):
        save_rule_set(connection, SECOND, "bob", "second", T0)
    with pytest.raises(IntegrityError), engine.begin() as connection:  # inside the caller's transaction
        save_rule_set(connection, SECOND, "bob", "second", T0)
    with engine.connect() as connection:
        history = rule_set_history(connection)
    assert [(v.version, v.status, v.document) for v in history] == [(1, ACTIVE, FIRST)]


def test_inside_a_caller_transaction_the_caller_decides(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.begin()
        save_rule_set(connection, FIRST, "alice", "first", T0)
        connection.rollback()
    assert row_count(engine) == 0
    with engine.begin() as connection:
        save_rule_set(connection, FIRST, "alice", "first", T0)
    assert row_count(engine) == 1
