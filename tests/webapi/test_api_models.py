"""Model versions over the API: list, activate, refuse a broken artifact, hot swap in every process."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from data.api_keys import create_key
from data.model_registry import CANDIDATE, ModelVersion, active_version, register_version
from tests.webapi.conftest import (
    AS_OF,
    INVESTOR_ID,
    TINY,
    Keys,
    ServedMarket,
    app_config,
    assert_problem,
    call,
)
from webapi.http.app import create_app

RECOMMENDATIONS = f"/v1/investors/{INVESTOR_ID}/recommendations?k=5"


def serving_version(client: FlaskClient, key: str) -> str:
    response = call(client, "get", RECOMMENDATIONS, key)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["model_version"]


def register(served_market: ServedMarket, name: str, path: Path) -> None:
    with served_market.engine.begin() as connection:
        register_version(
            connection, ModelVersion(name, AS_OF, CANDIDATE, str(path), AS_OF, 0, TINY.to_dict(), {})
        )


def active(engine: Engine) -> str | None:
    with engine.connect() as connection:
        version = active_version(connection)
    return version.version if version else None


def test_models_are_listed_with_their_metrics(client: FlaskClient, keys: Keys) -> None:
    body = call(client, "get", "/v1/models", keys.platform).get_json()
    assert body["serving_version"] == "A"
    by_name = {model["version"]: model for model in body["models"]}
    assert by_name["A"]["active"] and not by_name["B"]["active"]
    assert by_name["B"]["metrics"] == {"ndcg_at_20": 0.1}


def test_activating_a_version_serves_it_from_the_next_request(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    assert serving_version(client, keys.platform) == "A"
    response = call(client, "post", "/v1/models/B/activate", keys.operator)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["model"]["active"] is True
    assert serving_version(client, keys.platform) == "B"
    assert active(served_market.engine) == "B"
    assert call(client, "post", "/v1/models/B/activate", keys.operator).status_code == 200  # idempotent
    assert call(client, "post", "/v1/models/A/activate", keys.operator).status_code == 200
    assert serving_version(client, keys.platform) == "A"


def test_a_missing_artifact_is_409_and_the_old_model_keeps_serving(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    register(served_market, "gone", served_market.folder / "gone.npz")
    body = assert_problem(call(client, "post", "/v1/models/gone/activate", keys.operator), 409)
    assert body["type"].endswith("artifact-missing")
    assert active(served_market.engine) == "A"
    assert serving_version(client, keys.platform) == "A"


def test_a_corrupt_artifact_is_422_and_the_old_model_keeps_serving(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    corrupt = served_market.folder / "corrupt.npz"
    corrupt.write_bytes(b"not really a model")
    register(served_market, "corrupt", corrupt)
    body = assert_problem(call(client, "post", "/v1/models/corrupt/activate", keys.operator), 422)
    assert body["type"].endswith("artifact-corrupt")
    assert active(served_market.engine) == "A"
    assert serving_version(client, keys.platform) == "A"


def test_an_activation_reaches_another_process_without_a_restart_or_a_failed_request(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    other = served_market.app(BACKGROUND_SWAPS=True, POLL_SECONDS=0.05)
    other_client = other.test_client()
    assert serving_version(other_client, keys.platform) == "A"
    assert call(client, "post", "/v1/models/B/activate", keys.operator).status_code == 200
    seen = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        seen.append(serving_version(other_client, keys.platform))  # every request succeeds meanwhile
        if seen[-1] == "B":
            break
        time.sleep(0.02)
    assert seen[-1] == "B"
    assert call(client, "post", "/v1/models/A/activate", keys.operator).status_code == 200
    other.extensions["assetmatch.engine"].dispose()


def test_a_process_whose_new_model_fails_to_load_keeps_serving_the_old_one(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    other = served_market.app()
    other_client = other.test_client()
    assert serving_version(other_client, keys.platform) == "A"
    assert call(client, "post", "/v1/models/B/activate", keys.operator).status_code == 200
    served_market.artifacts["B"].rename(served_market.folder / "B.moved")  # lost after activation
    try:
        assert serving_version(other_client, keys.platform) == "A"
        assert other_client.get("/readyz").status_code == 200
    finally:
        (served_market.folder / "B.moved").rename(served_market.artifacts["B"])
        assert call(client, "post", "/v1/models/A/activate", keys.operator).status_code == 200
        other.extensions["assetmatch.engine"].dispose()


def test_before_any_model_recommendations_are_503_and_the_process_is_not_ready(
    engine: Engine, tmp_path: Path
) -> None:
    with engine.begin() as connection:
        key = create_key(connection, "platform", AS_OF)[1]
    app = create_app(app_config(engine.url.render_as_string(hide_password=False), tmp_path))
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["model"] == "no active model"
    body = assert_problem(call(client, "get", RECOMMENDATIONS, key), 503)
    assert body["type"].endswith("model-unavailable")
    assert call(client, "get", "/v1/models", key).get_json() == {"serving_version": None, "models": []}
    app.extensions["assetmatch.engine"].dispose()


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_answers_without_a_key(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/json"


def test_readiness_names_the_versions_served(client: FlaskClient) -> None:
    body = client.get("/readyz").get_json()
    assert body == {
        "status": "ready",
        "ready": True,
        "database": "ok",
        "model": "loaded",
        "model_version": "A",
        "active_model_version": "A",
        "rule_version": body["rule_version"],
        "skipped_rows": {},
    }


def test_metrics_count_requests_by_route_and_status_and_name_the_served_model(
    client: FlaskClient, keys: Keys
) -> None:
    call(client, "get", RECOMMENDATIONS, keys.platform)
    call(client, "get", "/v1/investors/INV999999/recommendations", keys.platform)
    text = client.get("/metrics").get_data(as_text=True)
    route = 'route="/v1/investors/<investor_id>/recommendations"'
    assert f'assetmatch_http_requests_total{{method="GET",{route},status="200"}}' in text
    assert f'assetmatch_http_requests_total{{method="GET",{route},status="404"}}' in text
    assert f'assetmatch_http_request_duration_seconds_bucket{{le="0.05",{route},status="200"}}' in text
    assert 'assetmatch_active_model_info{version="A"} 1.0' in text
    assert "assetmatch_events_ingested_total" in text
