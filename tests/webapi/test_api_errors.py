"""Every error is problem JSON: bad parameters, unknown ids and routes, bodies, and 500s and 503s."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine

from tests.webapi.conftest import INVESTOR_ID, Keys, ServedMarket, app_config, assert_problem, call
from webapi.http.app import create_app

RECOMMENDATIONS = f"/v1/investors/{INVESTOR_ID}/recommendations"


@pytest.mark.parametrize("query", ["k=0", "k=101", "k=abc", "k=2.5", "explain=maybe", "include_removed=2"])
def test_query_parameters_out_of_range_are_400_naming_the_parameter(
    client: FlaskClient, keys: Keys, query: str
) -> None:
    body = assert_problem(call(client, "get", f"{RECOMMENDATIONS}?{query}", keys.platform), 400)
    name = query.split("=")[0]
    assert body["errors"][0]["field"] == name
    assert name in body["detail"]


def test_k_bounds_differ_by_list(client: FlaskClient, keys: Keys) -> None:
    package = call(client, "get", RECOMMENDATIONS, keys.platform).get_json()["items"][0]["id"]
    assert call(client, "get", f"/v1/packages/{package}/buyers?k=500", keys.platform).status_code == 200
    assert_problem(call(client, "get", f"/v1/packages/{package}/buyers?k=501", keys.platform), 400)
    assert call(client, "get", f"{RECOMMENDATIONS}?k=100", keys.platform).status_code == 200


def test_unknown_ids_are_404_naming_the_id(client: FlaskClient, keys: Keys) -> None:
    body = assert_problem(call(client, "get", "/v1/investors/INV999999/recommendations", keys.platform), 404)
    assert "INV999999" in body["detail"] and body["type"].endswith("unknown-investor")
    for path in (
        "/v1/packages/PKG9999999",
        "/v1/packages/PKG9999999/buyers",
        "/v1/packages/PKG9999999/similar",
    ):
        body = assert_problem(call(client, "get", path, keys.operator), 404)
        assert "PKG9999999" in body["detail"]
    assert_problem(call(client, "get", "/v1/packages/" + "x" * 65, keys.operator), 404)
    assert_problem(call(client, "get", "/v1/packages/a%00b", keys.operator), 404)
    assert_problem(call(client, "get", "/v1/packages/%1Fpkg", keys.operator), 404)
    assert_problem(call(client, "post", "/v1/models/nope/activate", keys.operator), 404)


def test_unknown_routes_and_methods_are_problems_not_html(client: FlaskClient, keys: Keys) -> None:
    assert_problem(call(client, "get", "/v1/nothing-here", keys.platform), 404)
    assert_problem(call(client, "get", "/", keys.platform), 404)
    response = call(client, "delete", "/v1/events", keys.platform)
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_bodies_must_be_json_and_parse(client: FlaskClient, keys: Keys) -> None:
    assert_problem(
        call(
            client,
            "post",
            "/v1/events",
            keys.platform,
            data="a=b",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        415,
    )
    assert_problem(
        call(
            client,
            "post",
            "/v1/events",
            keys.platform,
            data="{not json",
            headers={"Content-Type": "application/json"},
        ),
        400,
    )
    assert_problem(
        call(
            client,
            "post",
            "/v1/events",
            keys.platform,
            data='{"dwell_seconds": NaN}',
            headers={"Content-Type": "application/json"},
        ),
        400,
    )
    assert_problem(
        call(client, "put", "/v1/rules", keys.operator, data="x", headers={"Content-Type": "image/png"}), 415
    )


def test_a_body_over_the_size_limit_is_413(client: FlaskClient, keys: Keys) -> None:
    huge = '{"events": [' + ",".join(['{"investor_id": "INV000001"}'] * 60_000) + "]}"
    assert len(huge) > 1 << 20
    assert_problem(
        call(
            client,
            "post",
            "/v1/events",
            keys.platform,
            data=huge,
            headers={"Content-Type": "application/json"},
        ),
        413,
    )


def test_an_unexpected_error_is_a_logged_500_without_traceback_or_personal_data(
    served_market: ServedMarket, keys: Keys, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = served_market.app()
    client = app.test_client()

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("debtor 110105198603150027 broke it")

    state = app.extensions["assetmatch.serving"]
    state.refresh(force=True)
    monkeypatch.setattr(state.snapshot.matcher, "recommend", explode)
    with caplog.at_level(logging.ERROR):
        response = call(client, "get", RECOMMENDATIONS, keys.platform)
    body = assert_problem(response, 500)
    assert "110105198603150027" not in response.get_data(as_text=True)
    assert "RuntimeError" not in body["detail"]
    assert "110105198603150027" not in caplog.text
    assert "unhandled error" in caplog.text
    app.extensions["assetmatch.engine"].dispose()


def test_an_unreachable_database_is_503_and_not_ready(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    app = create_app(app_config(url, tmp_path))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    body = assert_problem(call(client, "get", "/v1/models", "am_0123456789ab_secret"), 503)
    assert body["type"].endswith("database-unavailable")
    for answer in (response.get_data(as_text=True), json.dumps(body)):  # states, not the driver's text
        assert "nobody" not in answer and "127.0.0.1" not in answer and "psycopg" not in answer


def test_lists_are_served_from_memory_while_polling_the_store_fails(
    served_market: ServedMarket, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    app = served_market.app()
    client = app.test_client()
    assert call(client, "get", RECOMMENDATIONS, keys.platform).status_code == 200
    state = app.extensions["assetmatch.serving"]
    state._engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with caplog.at_level(logging.WARNING):
        assert call(client, "get", RECOMMENDATIONS, keys.platform).status_code == 200
    assert "polling the store failed" in caplog.text
    assert client.get("/readyz").get_json()["database"] == "unreachable"
    state._engine.dispose()
    app.extensions["assetmatch.engine"].dispose()
