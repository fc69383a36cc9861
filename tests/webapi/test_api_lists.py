"""Ranked lists over HTTP: shape, versions, reasons, and the served-list record behind each."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from data.schema import served_lists_table
from tests.webapi.conftest import INVESTOR_ID, Keys, ServedMarket, call, recommended_ids

RECOMMENDATIONS = f"/v1/investors/{INVESTOR_ID}/recommendations"


@pytest.fixture(scope="module")
def package(client: FlaskClient, keys: Keys) -> str:
    return recommended_ids(client, keys.platform)[0]


def served_row(served_market: ServedMarket, request_id: str) -> dict:
    with served_market.engine.connect() as connection:
        row = connection.execute(
            select(served_lists_table).where(served_lists_table.c.request_id == request_id)
        ).one()
    return dict(row._mapping)


def test_recommendations_name_their_request_model_and_rules_and_explain_each_item(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    response = call(client, "get", f"{RECOMMENDATIONS}?k=7", keys.investor)
    assert response.status_code == 200
    body = response.get_json()
    assert body["investor_id"] == INVESTOR_ID and body["k"] == 7
    assert body["model_version"] == "A" and body["rule_version"] == 0
    assert response.headers["X-Request-ID"] == body["request_id"]
    assert [item["rank"] for item in body["items"]] == list(range(1, 8))
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert all(
        item["reasons"] and {"code", "text", "effect"} <= set(item["reasons"][0]) for item in body["items"]
    )
    assert "removed" not in body
    row = served_row(served_market, body["request_id"])
    assert (row["kind"], row["subject_id"], row["model_version"], row["rule_version"]) == (
        "recommendations",
        INVESTOR_ID,
        "A",
        0,
    )
    assert [item["id"] for item in json.loads(row["items"])] == [item["id"] for item in body["items"]]


def test_explain_false_leaves_out_the_reasons(client: FlaskClient, keys: Keys) -> None:
    items = call(client, "get", f"{RECOMMENDATIONS}?explain=false", keys.platform).get_json()["items"]
    assert len(items) == 20 and all("reasons" not in item for item in items)


def test_operators_can_see_what_the_rules_removed_and_why(client: FlaskClient, keys: Keys) -> None:
    body = call(client, "get", f"{RECOMMENDATIONS}?include_removed=true", keys.operator).get_json()
    assert isinstance(body["removed"], list)
    assert all(item["reasons"] for item in body["removed"])
    assert not {item["id"] for item in body["removed"]} & {item["id"] for item in body["items"]}


def test_buyers_are_ranked_investors_and_are_recorded(
    client: FlaskClient, keys: Keys, package: str, served_market: ServedMarket
) -> None:
    body = call(client, "get", f"/v1/packages/{package}/buyers?k=30", keys.platform).get_json()
    assert body["package_id"] == package and len(body["items"]) == 30
    assert all(item["id"].startswith("INV") for item in body["items"])
    assert served_row(served_market, body["request_id"])["kind"] == "buyers"


def test_similar_listings_are_live_listings_other_than_the_one_asked_about(
    client: FlaskClient, keys: Keys, package: str
) -> None:
    body = call(client, "get", f"/v1/packages/{package}/similar?k=5", keys.investor).get_json()
    ids = [item["id"] for item in body["items"]]
    assert len(ids) == 5 and package not in ids
    assert all(
        call(client, "get", f"/v1/packages/{other}", keys.investor).get_json()["live"] for other in ids
    )


def test_each_response_has_its_own_request_id(client: FlaskClient, keys: Keys) -> None:
    first = call(client, "get", RECOMMENDATIONS, keys.platform).get_json()
    second = call(client, "get", RECOMMENDATIONS, keys.platform).get_json()
    assert first["request_id"] != second["request_id"]
    assert first["items"] == second["items"]


def test_a_version_with_a_second_stage_explains_with_learned_reasons(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    from data.csv_reader import read_market
    from data.model_registry import CANDIDATE, ModelVersion, register_version
    from recommender.hybrid import HybridRecommender
    from recommender.pipeline import fit_second_stage
    from tests.conftest import SAMPLE_MARKET
    from tests.webapi.conftest import AS_OF, TINY

    path = served_market.folder / "with-second-stage.npz"
    model = HybridRecommender.load(served_market.artifacts["A"])
    market = read_market(SAMPLE_MARKET)
    model.second_stage, note = fit_second_stage(
        market.investors, market.packages, market.events, AS_OF, folds=1, config=TINY
    )
    assert note is None
    model.save(path)
    with served_market.engine.begin() as connection:
        version = ModelVersion("S", AS_OF, CANDIDATE, str(path), AS_OF, 0, TINY.to_dict(), {})
        register_version(connection, version)

    def reasons(explain: str) -> list[list[dict]]:
        url = f"/v1/investors/{INVESTOR_ID}/recommendations?k=10&explain={explain}"
        response = call(client, "get", url, keys.platform)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [item.get("reasons", []) for item in response.get_json()["items"]]

    # Version A has no second stage: the rules' reasons only.
    assert not any(r["code"].startswith("learned:") for item in reasons("true") for r in item)
    assert call(client, "post", "/v1/models/S/activate", keys.operator).status_code == 200
    try:
        explained = reasons("true")
        learned = [r for item in explained for r in item if r["code"].startswith("learned:")]
        assert learned, explained
        assert all(r["text"] and r["informative"] for r in learned)
        assert reasons("false") == [[] for _ in explained]
    finally:
        assert call(client, "post", "/v1/models/A/activate", keys.operator).status_code == 200
