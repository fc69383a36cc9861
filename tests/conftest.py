"""Shared fixtures: one store suite, two backends (SQLite file and the PostgreSQL server)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from data.store import create_store_engine, upgrade_schema

POSTGRES_URL_ENV = "ASSETMATCH_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_MARKET = REPO_ROOT / "data" / "sample"
SHARED_DIR = REPO_ROOT.parent / "shared"


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def postgres_server_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)


def _postgres_available(url: str) -> str | None:
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure means the server is unusable
        return f"{type(error).__name__}: {error}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL; in CI an unreachable server fails the run instead of skipping."""
    url = postgres_server_url()
    problem = _postgres_available(url)
    if problem:
        if running_in_ci():
            pytest.fail(f"PostgreSQL at {url} is required in CI: {problem}")
        pytest.skip(f"PostgreSQL at {url} unavailable: {problem}")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend: an SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    yield from fresh_postgres_schema(request.getfixturevalue("postgres_url"))


def fresh_postgres_schema(server: str) -> Iterator[str]:
    """A URL whose connections use a new, empty schema of the server; dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in server else "?"
        yield f"{server}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty store on each backend."""
    store = create_store_engine(database_url)
    upgrade_schema(store)
    yield store
    store.dispose()
