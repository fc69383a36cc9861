"""The rule set over HTTP: read it, change it with a reason, preview a change, reach every process."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.webapi.conftest import INVESTOR_ID, Keys, ServedMarket, assert_problem, call

RECOMMENDATIONS = f"/v1/investors/{INVESTOR_ID}/recommendations?k=10"


def rule_version(client: FlaskClient, key: str) -> int:
    return call(client, "get", RECOMMENDATIONS, key).get_json()["rule_version"]


def test_the_built_in_defaults_are_version_0(client: FlaskClient, keys: Keys) -> None:
    body = call(client, "get", "/v1/rules", keys.operator).get_json()
    assert body["version"] == 0 and body["reason"] == "built-in defaults"
    assert body["document"]["blend"] == {"model": 1.0, "stated": 0.0, "rules": 1.0}
    assert body["serving_version"] == 0


def test_a_change_is_stored_with_who_and_why_and_served_at_once_by_every_process(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    other = served_market.app()
    other_client = other.test_client()
    assert rule_version(other_client, keys.platform) == 0
    change = {"document": {"diversity": {"max_per_asset_type": 1}}, "why": "one listing per asset type"}
    response = call(client, "put", "/v1/rules", keys.operator, json=change)
    assert response.status_code == 200, response.get_data(as_text=True)
    version = response.get_json()
    assert version["version"] == 1 and version["reason"] == "one listing per asset type"
    assert version["author"].startswith("ops (key ")
    active = call(client, "get", "/v1/rules", keys.operator).get_json()
    assert active["version"] == 1 and active["document"]["diversity"]["max_per_asset_type"] == 1
    assert rule_version(client, keys.platform) == 1
    assert rule_version(other_client, keys.platform) == 1
    items = call(client, "get", RECOMMENDATIONS, keys.platform).get_json()["items"]
    types = [
        call(client, "get", f"/v1/packages/{item['id']}", keys.platform).get_json()["asset_type"]
        for item in items
    ]
    assert len(types) == len(set(types))
    other.extensions["assetmatch.engine"].dispose()


def test_a_yaml_document_is_accepted_with_the_reason_in_the_query(client: FlaskClient, keys: Keys) -> None:
    yaml_text = "blend:\n  model: 1.0\n  stated: 0.5\n"
    response = call(
        client,
        "put",
        "/v1/rules?why=weigh+stated+preferences",
        keys.operator,
        data=yaml_text,
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["document"]["blend"]["stated"] == 0.5
    assert (
        response.get_json()["document"]["diversity"]["max_per_asset_type"] is None
    )  # a full document, not a patch


def test_an_invalid_document_is_422_listing_every_problem_and_changes_nothing(
    client: FlaskClient, keys: Keys
) -> None:
    before = call(client, "get", "/v1/rules", keys.operator).get_json()["version"]
    change = {"document": {"blend": {"model": -1, "colour": "red"}, "top_k": "many"}, "why": "typo"}
    problem = assert_problem(call(client, "put", "/v1/rules", keys.operator, json=change), 422)
    assert {error["field"] for error in problem["errors"]} == {"blend.model", "blend.colour", "top_k"}
    assert all(error["path"].startswith("/document/") for error in problem["errors"])
    broken = call(
        client,
        "put",
        "/v1/rules?why=x",
        keys.operator,
        data="blend: [",
        headers={"Content-Type": "text/yaml"},
    )
    assert "YAML" in assert_problem(broken, 422)["errors"][0]["message"]
    assert call(client, "get", "/v1/rules", keys.operator).get_json()["version"] == before


def test_a_change_without_a_reason_is_refused(client: FlaskClient, keys: Keys) -> None:
    for body in (
        {"document": {}},
        {"document": {}, "why": "  "},
        {"why": "no document"},
        {"document": 5, "why": "x"},
    ):
        assert_problem(call(client, "put", "/v1/rules", keys.operator, json=body), 422)
    assert_problem(
        call(client, "put", "/v1/rules", keys.operator, data="{}", headers={"Content-Type": "text/yaml"}), 422
    )


def test_history_lists_every_version_newest_first_with_what_it_changed(
    client: FlaskClient, keys: Keys
) -> None:
    versions = call(client, "get", "/v1/rules/history", keys.operator).get_json()["versions"]
    numbers = [version["version"] for version in versions]
    assert numbers == sorted(numbers, reverse=True) and numbers[-1] == 0
    assert [v["status"] for v in versions].count("active") == 1
    first = next(version for version in versions if version["version"] == 1)
    assert first["changes"] == ["diversity.max_per_asset_type"]


def test_a_preview_shows_what_a_change_would_do_without_storing_it(client: FlaskClient, keys: Keys) -> None:
    before = call(client, "get", "/v1/rules", keys.operator).get_json()["version"]
    body = {"document": {"blend": {"model": 0.0, "stated": 1.0}}, "investors": 10, "k": 5}
    response = call(client, "post", "/v1/rules/preview", keys.operator, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    preview = response.get_json()
    assert preview["k"] == 5 and preview["sample"]["investors"] == 10
    assert preview["sample"]["changed"] > 0 and preview["model_version"] == "A"
    assert call(client, "get", "/v1/rules", keys.operator).get_json()["version"] == before
    assert_problem(
        call(client, "post", "/v1/rules/preview", keys.operator, json={"document": {"top_k": -3}}), 422
    )
    assert_problem(
        call(client, "post", "/v1/rules/preview", keys.operator, json={"document": {}, "k": 0}), 422
    )
    assert_problem(
        call(client, "post", "/v1/rules/preview", keys.operator, json={"document": {}, "extra": 1}), 422
    )


def test_a_put_and_a_preview_say_which_rules_a_document_resets_to_defaults(
    client: FlaskClient, keys: Keys
) -> None:
    """A PUT is a full document: rules it leaves out go back to their defaults, and the answer
    (and the preview before it) names them, where before they were reset silently."""
    tuned = {"document": {"blend": {"stated": 0.3}, "diversity": {"max_per_asset_type": 3}}, "why": "tuned"}
    assert call(client, "put", "/v1/rules", keys.operator, json=tuned).status_code == 200
    partial = {"top_k": 30}
    preview = call(
        client, "post", "/v1/rules/preview", keys.operator, json={"document": partial, "investors": 3, "k": 5}
    ).get_json()
    expected = {
        "changed": ["blend.stated", "diversity.max_per_asset_type", "top_k"],
        "reset": ["blend.stated", "diversity.max_per_asset_type"],
        "summary": "3 rules change, of which 2 reset to defaults",
    }
    assert preview["rule_changes"] == expected
    applied = call(client, "put", "/v1/rules", keys.operator, json={"document": partial, "why": "longer lists"})
    assert applied.status_code == 200
    assert applied.get_json()["rule_changes"] == expected
    assert applied.get_json()["document"]["blend"]["stated"] == 0.0
