"""The schema comes from migrations alone, identically on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, inspect

from data.store import (
    SchemaOutOfDateError,
    alembic_config,
    create_store_engine,
    current_revision,
    downgrade_schema,
    head_revision,
    require_current_schema,
    resolve_database_url,
    upgrade_schema,
)


def test_upgrade_creates_every_table_and_matches_the_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert {"investors", "packages", "events"} <= set(inspect(engine).get_table_names())
    # `alembic check` fails if the models and the migrations disagree.
    command.check(alembic_config(engine))


def test_downgrade_to_base_removes_the_schema_and_upgrade_restores_it(engine: Engine) -> None:
    downgrade_schema(engine, "base")
    assert current_revision(engine) is None
    assert "events" not in inspect(engine).get_table_names()
    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()


def test_an_unmigrated_database_is_refused_with_the_command_to_run(database_url: str) -> None:
    store = create_store_engine(database_url)
    with pytest.raises(SchemaOutOfDateError, match="assetmatch db upgrade"):
        require_current_schema(store)
    store.dispose()


def test_database_url_prefers_config_then_environment_then_instance_sqlite(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("ASSETMATCH_DATABASE_URL", raising=False)
    assert resolve_database_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / 'assetmatch.sqlite'}"
    monkeypatch.setenv("ASSETMATCH_DATABASE_URL", "postgresql://u@h/db")
    assert resolve_database_url(tmp_path) == "postgresql+psycopg://u@h/db"
    assert resolve_database_url(tmp_path, "sqlite:///x.db") == "sqlite:///x.db"
