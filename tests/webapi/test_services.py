"""The web layer's services stand alone: the API, the console and the CLI call them, no app needed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from data.rule_store import RuleSetAuditError
from data.store import create_store_engine, upgrade_schema
from webapi.services.activation import ActivationRefusedError, activate_and_serve
from webapi.services.rule_sets import active_rule_set_json, apply_rule_set, rule_versions_json
from webapi.services.serving import ServingState

NOW = datetime(2026, 7, 1, 9)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    store = create_store_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade_schema(store)
    yield store
    store.dispose()


def test_an_unknown_version_is_refused_with_the_api_status_and_nothing_changes(engine: Engine) -> None:
    state = ServingState(engine, lambda: NOW)
    with pytest.raises(ActivationRefusedError) as refused:
        activate_and_serve(state, "nonesuch")
    assert (refused.value.status, refused.value.kind) == (404, "unknown-model")
    assert refused.value.detail == "unknown model version 'nonesuch'"
    assert state.snapshot is None


def test_an_applied_rule_set_is_in_force_and_heads_the_history_above_the_defaults(engine: Engine) -> None:
    state = ServingState(engine, lambda: NOW)
    assert active_rule_set_json(engine)["version"] == 0
    document = {"diversity": {"max_per_asset_type": 1}}
    applied = apply_rule_set(state, document, "ops", "one per asset type", NOW)
    assert applied.version.version == 1
    assert "diversity.max_per_asset_type" in applied.changes.changed
    assert active_rule_set_json(engine)["document"]["diversity"]["max_per_asset_type"] == 1
    history = rule_versions_json(engine)
    assert [(v["version"], v["status"]) for v in history] == [(1, "active"), (0, "retired")]


def test_a_rule_set_without_a_reason_stores_nothing(engine: Engine) -> None:
    state = ServingState(engine, lambda: NOW)
    with pytest.raises(RuleSetAuditError):
        apply_rule_set(state, {"diversity": {"max_per_asset_type": 1}}, "ops", "  ", NOW)
    assert [v["version"] for v in rule_versions_json(engine)] == [0]
