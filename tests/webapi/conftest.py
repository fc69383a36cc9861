"""Fixtures of the HTTP API tests: a served market on each backend, keys of every role, clients.

Training is the slow part, so two tiny models are trained once per test run on the sample
market; each test module gets its own store per backend (SQLite file, PostgreSQL schema) with
the sample market imported, both models registered (``A`` active, ``B`` a candidate) and one key
per role, and an app over it with a pinned clock, polling on every request and writing served
lists synchronously, so each request sees what the one before it wrote.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from data.api_keys import create_key, revoke_key
from data.csv_reader import read_market
from data.importer import import_market
from data.model_registry import CANDIDATE, ModelVersion, activate_version, register_version
from data.store import create_store_engine, upgrade_schema
from recommender.hybrid import ALSParams, HybridConfig, LightFMParams
from recommender.pipeline import train_recommender
from tests.conftest import SAMPLE_MARKET, fresh_postgres_schema
from webapi.http.app import create_app

AS_OF = datetime(2026, 6, 20)
TINY = HybridConfig(lightfm=LightFMParams(components=8, epochs=3), als=ALSParams(factors=8, iterations=3))
INVESTOR_ID = "INV000001"
OTHER_INVESTOR_ID = "INV000002"


@dataclass(frozen=True)
class Keys:
    platform: str
    operator: str
    investor: str
    revoked: str


@dataclass
class ServedMarket:
    """A migrated store holding the sample market, two registered models and keys."""

    url: str
    engine: Engine
    folder: Path
    keys: Keys
    artifacts: dict[str, Path]

    def app(self, **config: Any) -> Flask:
        return create_app(app_config(self.url, self.folder, **config))


def app_config(url: str, folder: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(folder),
        "NOW": AS_OF.isoformat(),
        "POLL_SECONDS": 0,
        "BACKGROUND_SWAPS": False,
        "SERVED_LISTS_FLUSH_SECONDS": 0,
        "API_KEY_CACHE_SECONDS": 0,
        "TESTING": True,
        **overrides,
    }


@pytest.fixture(scope="session")
def model_artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two tiny models of the sample market (different seeds), saved once per test run."""
    folder = tmp_path_factory.mktemp("artifacts")
    market = read_market(SAMPLE_MARKET)
    paths = {}
    for name, seed in (("A", 0), ("B", 1)):
        model, _ = train_recommender(
            market.investors, market.packages, market.events, AS_OF, config=replace(TINY, random_state=seed)
        )
        paths[name] = folder / f"{name}.npz"
        model.save(paths[name])
    return paths


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database per test module and backend (the module-scoped twin of ``database_url``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.sqlite'}"
        return
    yield from fresh_postgres_schema(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="module")
def served_market(
    module_database_url: str, model_artifacts: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedMarket]:
    folder = tmp_path_factory.mktemp("served")
    engine = create_store_engine(module_database_url)
    upgrade_schema(engine)
    import_market(engine, SAMPLE_MARKET)
    artifacts = {}
    with engine.begin() as connection:
        for name, source in model_artifacts.items():
            artifacts[name] = folder / source.name
            shutil.copyfile(source, artifacts[name])
            register_version(
                connection,
                ModelVersion(
                    version=name,
                    created_at=AS_OF,
                    status=CANDIDATE,
                    artifact_path=str(artifacts[name]),
                    trained_until=AS_OF,
                    event_high_water=0,
                    params=TINY.to_dict(),
                    metrics={"ndcg_at_20": 0.1},
                ),
            )
        activate_version(connection, "A")
        keys = Keys(
            platform=create_key(connection, "platform", AS_OF, label="marketplace backend")[1],
            operator=create_key(connection, "operator", AS_OF, label="ops")[1],
            investor=create_key(connection, "investor", AS_OF, investor_id=INVESTOR_ID)[1],
            revoked=create_key(connection, "platform", AS_OF)[1],
        )
        revoke_key(connection, keys.revoked.split("_")[1], AS_OF)
    yield ServedMarket(module_database_url, engine, folder, keys, artifacts)
    engine.dispose()


@pytest.fixture(scope="module")
def app(served_market: ServedMarket) -> Iterator[Flask]:
    application = served_market.app()
    yield application
    application.extensions["assetmatch.engine"].dispose()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def keys(served_market: ServedMarket) -> Keys:
    return served_market.keys


def bearer(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def call(client: FlaskClient, method: str, path: str, key: str | None = None, **kwargs: Any) -> TestResponse:
    """One request with an optional API key (``json=``, ``data=``, ``headers=`` as for the client)."""
    headers = {**bearer(key), **kwargs.pop("headers", {})}
    return client.open(path, method=method.upper(), headers=headers, **kwargs)


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    """The response is a problem document with ``status``; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def recommended_ids(client: FlaskClient, key: str, investor_id: str = INVESTOR_ID, k: int = 20) -> list[str]:
    response = call(client, "get", f"/v1/investors/{investor_id}/recommendations?k={k}", key)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]
