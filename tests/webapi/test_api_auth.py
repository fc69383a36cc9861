"""Who may call what: the role matrix over every route, and 401 for missing, bad or revoked keys."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.webapi.conftest import INVESTOR_ID, OTHER_INVESTOR_ID, Keys, assert_problem, call, recommended_ids
from webapi.http.api.openapi import documented_rules

PACKAGE = "{package}"
# (method, path template, concrete path, body, roles allowed); bodies are refused by validation
# where a success would change the shared market, since only the status class matters here.
ROUTES = [
    (
        "get",
        "/v1/investors/{investor_id}/recommendations",
        f"/v1/investors/{INVESTOR_ID}/recommendations",
        None,
        {"platform", "operator", "investor"},
    ),
    (
        "get",
        "/v1/packages/{package_id}/buyers",
        f"/v1/packages/{PACKAGE}/buyers",
        None,
        {"platform", "operator"},
    ),
    (
        "get",
        "/v1/packages/{package_id}/similar",
        f"/v1/packages/{PACKAGE}/similar",
        None,
        {"platform", "operator", "investor"},
    ),
    (
        "get",
        "/v1/packages/{package_id}",
        f"/v1/packages/{PACKAGE}",
        None,
        {"platform", "operator", "investor"},
    ),
    ("put", "/v1/packages/{package_id}", f"/v1/packages/{PACKAGE}", {"title": 5}, {"platform"}),
    ("put", "/v1/investors/{investor_id}", f"/v1/investors/{INVESTOR_ID}", {"name": 5}, {"platform"}),
    ("post", "/v1/events", "/v1/events", {"investor_id": INVESTOR_ID}, {"platform", "investor"}),
    ("get", "/v1/rules", "/v1/rules", None, {"operator"}),
    ("put", "/v1/rules", "/v1/rules", {"document": {"blend": {"model": -1}}, "why": "matrix"}, {"operator"}),
    ("get", "/v1/rules/history", "/v1/rules/history", None, {"operator"}),
    ("post", "/v1/rules/preview", "/v1/rules/preview", {"document": {"blend": {"model": -1}}}, {"operator"}),
    ("get", "/v1/models", "/v1/models", None, {"platform", "operator"}),
    ("post", "/v1/models/{version}/activate", "/v1/models/A/activate", None, {"operator"}),
]
OPEN_ROUTES = [("/healthz", "get"), ("/readyz", "get"), ("/metrics", "get"), ("/v1/openapi.json", "get")]
ROLES = ("platform", "operator", "investor")


@pytest.fixture(scope="module")
def package(client: FlaskClient, keys: Keys) -> str:
    return recommended_ids(client, keys.platform)[0]


def test_the_matrix_covers_every_documented_route(app: Flask) -> None:
    covered = {(template, method) for method, template, *_ in ROUTES} | set(OPEN_ROUTES)
    documented = {(path, method) for path, methods in documented_rules(app).items() for method in methods}
    assert covered == documented


@pytest.mark.parametrize(
    ("method", "template", "path", "body", "allowed"), ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES]
)
def test_every_route_answers_each_role_as_the_matrix_says(
    client: FlaskClient,
    keys: Keys,
    package: str,
    method: str,
    template: str,
    path: str,
    body: object,
    allowed: set[str],
) -> None:
    path = path.replace(PACKAGE, package)
    kwargs = {"json": body} if body is not None else {}
    assert_problem(call(client, method, path, None, **kwargs), 401)
    assert_problem(call(client, method, path, "am_nope_nope", **kwargs), 401)
    assert_problem(call(client, method, path, keys.revoked, **kwargs), 401)
    for role in ROLES:
        response = call(client, method, path, getattr(keys, role), **kwargs)
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.get_data(as_text=True))
        else:
            detail = assert_problem(response, 403)["detail"]
            assert detail.startswith(f"{A_ROLE_KEY[role]} may not "), detail  # not "a investor key"


A_ROLE_KEY = {"platform": "a platform key", "operator": "an operator key", "investor": "an investor key"}


@pytest.mark.parametrize(("path", "method"), OPEN_ROUTES)
def test_health_metrics_and_the_document_need_no_key(client: FlaskClient, path: str, method: str) -> None:
    assert call(client, method, path).status_code == 200


def test_a_401_says_how_to_authenticate(client: FlaskClient, keys: Keys) -> None:
    response = call(client, "get", "/v1/models", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in body["detail"]
    wrong_secret = keys.platform.rsplit("_", 1)[0] + "_" + "x" * 43
    assert_problem(call(client, "get", "/v1/models", wrong_secret), 401)


def test_an_investor_key_reads_only_its_own_recommendations_and_posts_only_its_own_events(
    client: FlaskClient, keys: Keys, package: str
) -> None:
    assert (
        call(client, "get", f"/v1/investors/{INVESTOR_ID}/recommendations", keys.investor).status_code == 200
    )
    assert_problem(
        call(client, "get", f"/v1/investors/{OTHER_INVESTOR_ID}/recommendations", keys.investor), 403
    )
    event = {
        "investor_id": OTHER_INVESTOR_ID,
        "package_id": package,
        "event_type": "view",
        "occurred_at": "2026-06-19T09:00:00",
        "event_id": "auth-other",
    }
    assert_problem(call(client, "post", "/v1/events", keys.investor, json=event), 403)
    assert_problem(
        call(
            client,
            "post",
            "/v1/events",
            keys.investor,
            json={"events": [{**event, "investor_id": INVESTOR_ID, "event_id": "auth-own"}, event]},
        ),
        403,
    )
    own = {**event, "investor_id": INVESTOR_ID, "event_id": "auth-own"}
    assert call(client, "post", "/v1/events", keys.investor, json=own).status_code == 201


def test_only_operators_see_what_the_rules_removed(client: FlaskClient, keys: Keys) -> None:
    path = f"/v1/investors/{INVESTOR_ID}/recommendations?include_removed=true"
    assert "removed" in call(client, "get", path, keys.operator).get_json()
    assert_problem(call(client, "get", path, keys.platform), 403)
    assert_problem(call(client, "get", path, keys.investor), 403)
