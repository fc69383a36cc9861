"""Upserts through the API: contract validation, masking, and fold-in without retraining."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from data.schema import market_changes_table
from tests.webapi.conftest import INVESTOR_ID, Keys, ServedMarket, assert_problem, call, recommended_ids

DEBTOR = "Debtor ID 110105198603150027, mobile 13812345678, card 6222021234567890128"
NEW_INVESTOR = {
    "name": "Pearl River Capital",
    "investor_type": "private_fund",
    "province": "Guangdong",
    "registered_at": "2026-06-01",
    "capital_cny": 500_000_000,
    "min_ticket_cny": 1_000_000,
    "max_ticket_cny": 200_000_000,
    "preferred_asset_types": ["residential", "commercial_property"],
    "preferred_provinces": ["Guangdong"],
    "risk_appetite": "balanced",
    "licensed_amc": False,
}


@pytest.fixture(scope="module")
def top_package(client: FlaskClient, keys: Keys) -> dict:
    """The record of the investor's top listing, as the API shows it."""
    package_id = recommended_ids(client, keys.platform)[0]
    return call(client, "get", f"/v1/packages/{package_id}", keys.platform).get_json()


def twin(record: dict, **changes: object) -> dict:
    body = {key: value for key, value in record.items() if key not in ("package_id", "live")}
    return {**body, **changes}


def test_a_listing_reads_as_an_investor_sees_it_with_personal_data_masked(
    client: FlaskClient, keys: Keys, top_package: dict
) -> None:
    body = twin(top_package, description=DEBTOR, title="Loans of debtor 13812345678")
    assert call(client, "put", "/v1/packages/MASK-1", keys.platform, json=body).status_code == 201
    for response in (
        call(client, "get", "/v1/packages/MASK-1", keys.investor),
        call(client, "put", "/v1/packages/MASK-1", keys.platform, json=body),
    ):
        text = response.get_data(as_text=True)
        for secret in ("110105198603150027", "13812345678", "6222021234567890128"):
            assert secret not in text
        assert "110***********0027" in text
    record = call(client, "get", "/v1/packages/MASK-1", keys.investor).get_json()
    assert record["live"] is True and record["reserve_price_cny"] == top_package["reserve_price_cny"]
    assert record["listed_at"] == top_package["listed_at"]  # instants round-trip (UTC offset written out)


def test_a_new_listing_is_recommendable_at_once_without_retraining(
    client: FlaskClient, keys: Keys, top_package: dict, served_market: ServedMarket
) -> None:
    assert_problem(call(client, "get", "/v1/packages/NEW-1/buyers", keys.platform), 404)
    response = call(
        client, "put", "/v1/packages/NEW-1", keys.platform, json=twin(top_package, title="A twin listing")
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["package_id"] == "NEW-1"
    assert "NEW-1" in recommended_ids(client, keys.platform, k=100)
    assert len(call(client, "get", "/v1/packages/NEW-1/buyers?k=5", keys.platform).get_json()["items"]) == 5
    with served_market.engine.connect() as connection:
        journal = connection.execute(
            select(func.count())
            .select_from(market_changes_table)
            .where(market_changes_table.c.entity_id == "NEW-1")
        ).scalar_one()
    assert journal == 1


def test_an_edit_takes_effect_at_once_and_a_withdrawn_listing_leaves_every_list(
    client: FlaskClient, keys: Keys, top_package: dict
) -> None:
    body = twin(top_package, title="Edited twin")
    assert call(client, "put", "/v1/packages/EDIT-1", keys.platform, json=body).status_code == 201
    assert "EDIT-1" in recommended_ids(client, keys.platform, k=100)
    response = call(client, "put", "/v1/packages/EDIT-1", keys.platform, json={**body, "status": "withdrawn"})
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert "EDIT-1" not in recommended_ids(client, keys.platform, k=100)
    assert call(client, "get", "/v1/packages/EDIT-1", keys.investor).get_json()["live"] is False


def test_a_new_investor_gets_recommendations_at_once(client: FlaskClient, keys: Keys) -> None:
    assert_problem(call(client, "get", "/v1/investors/NEW-INV/recommendations", keys.platform), 404)
    response = call(client, "put", "/v1/investors/NEW-INV", keys.platform, json=NEW_INVESTOR)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["registered_at"] == "2026-06-01"
    assert response.get_json()["preferred_asset_types"] == ["residential", "commercial_property"]
    assert len(recommended_ids(client, keys.platform, "NEW-INV", k=10)) == 10
    assert (
        call(
            client,
            "put",
            "/v1/investors/NEW-INV",
            keys.platform,
            json={**NEW_INVESTOR, "investor_id": "NEW-INV", "capital_cny": 6e8},
        ).status_code
        == 200
    )


def test_another_process_folds_in_an_upsert_on_its_next_request(
    client: FlaskClient, keys: Keys, top_package: dict, served_market: ServedMarket
) -> None:
    other = served_market.app()
    other_client = other.test_client()
    assert recommended_ids(other_client, keys.platform)
    assert call(client, "put", "/v1/packages/FAR-1", keys.platform, json=twin(top_package)).status_code == 201
    assert "FAR-1" in recommended_ids(other_client, keys.platform, k=100)
    other.extensions["assetmatch.engine"].dispose()


def test_an_invalid_record_is_422_listing_every_problem_by_field(
    client: FlaskClient, keys: Keys, top_package: dict
) -> None:
    body = twin(top_package, status="gone", loan_count=0, asset_type="land", closes_at="2020-01-01", extra=1)
    del body["title"]
    problem = assert_problem(call(client, "put", "/v1/packages/BAD-1", keys.platform, json=body), 422)
    fields = [error["field"] for error in problem["errors"]]
    assert set(fields) == {"title", "asset_type", "loan_count", "closes_at", "status", "extra"}
    assert all(error["path"] == "/" + error["field"] for error in problem["errors"])
    assert_problem(call(client, "get", "/v1/packages/BAD-1", keys.platform), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_INVESTOR, "investor_id": "SOMEONE-ELSE"}, "investor_id"),
        ({**NEW_INVESTOR, "capital_cny": "lots"}, "capital_cny"),
        ({**NEW_INVESTOR, "licensed_amc": "maybe"}, "licensed_amc"),
        ({**NEW_INVESTOR, "preferred_provinces": ["Atlantis"]}, "preferred_provinces"),
        ({**NEW_INVESTOR, "name": "nul\x00byte"}, "name"),
        ({**NEW_INVESTOR, "capital_cny": True}, "capital_cny"),
    ],
)
def test_investor_bodies_are_checked_by_the_contract(
    client: FlaskClient, keys: Keys, body: dict, field: str
) -> None:
    problem = assert_problem(call(client, "put", "/v1/investors/CHECKED", keys.platform, json=body), 422)
    assert [error["field"] for error in problem["errors"]] == [field]


def test_a_body_that_is_not_an_object_is_422(client: FlaskClient, keys: Keys) -> None:
    assert_problem(call(client, "put", "/v1/investors/LIST", keys.platform, json=[NEW_INVESTOR]), 422)
    assert_problem(call(client, "put", "/v1/investors/" + "x" * 65, keys.platform, json=NEW_INVESTOR), 404)
    assert_problem(call(client, "put", "/v1/investors/%20x", keys.platform, json=NEW_INVESTOR), 404)
    assert (
        call(client, "get", f"/v1/investors/{INVESTOR_ID}/recommendations", keys.platform).status_code == 200
    )


def test_a_write_answered_by_one_process_is_never_a_404_on_another_within_its_poll_interval(
    client: FlaskClient, keys: Keys, top_package: dict, served_market: ServedMarket
) -> None:
    """Regression: a PUT on one worker, then a list on the other before its next poll, was a 404."""
    other = served_market.app(POLL_SECONDS=3600)  # the other worker will not poll on its own
    other_client = other.test_client()
    assert recommended_ids(other_client, keys.platform)  # loaded, polled once
    response = call(client, "put", "/v1/packages/RYW-1", keys.platform, json=twin(top_package))
    assert response.status_code == 201
    buyers = call(other_client, "get", "/v1/packages/RYW-1/buyers?k=5", keys.platform)
    assert len(buyers.get_json()["items"]) == 5
    assert call(other_client, "get", "/v1/packages/RYW-1/similar?k=3", keys.platform).status_code == 200
    assert call(client, "put", "/v1/investors/RYW-INV", keys.platform, json=NEW_INVESTOR).status_code == 201
    assert len(recommended_ids(other_client, keys.platform, "RYW-INV", k=10)) == 10
    # An id that is stored nowhere is still a 404 (and costs no poll).
    assert_problem(call(other_client, "get", "/v1/packages/NOWHERE-1/buyers", keys.platform), 404)
    assert_problem(call(other_client, "get", "/v1/investors/NOWHERE/recommendations", keys.platform), 404)
    other.extensions["assetmatch.engine"].dispose()


def test_a_listing_upsert_says_whether_it_is_live_and_warns_when_it_is_not(
    client: FlaskClient, keys: Keys, top_package: dict
) -> None:
    """Regression: a listing that closed months ago was stored silently, as if it would be served."""
    live = call(client, "put", "/v1/packages/LIVE-1", keys.platform, json=twin(top_package)).get_json()
    assert live["live"] is True and live["warnings"] == []
    closed = twin(top_package, listed_at="2026-01-05T09:00:00", closes_at="2026-02-20T15:00:00")
    answer = call(client, "put", "/v1/packages/CLOSED-1", keys.platform, json=closed)
    assert answer.status_code == 201  # stored all the same: a platform may record history
    body = answer.get_json()
    assert body["live"] is False
    (warning,) = body["warnings"]
    assert "closed at 2026-02-20T07:00:00+00:00" in warning and "served to no one" in warning
    assert "CLOSED-1" not in recommended_ids(client, keys.platform, k=100)
    upcoming = twin(
        top_package, listed_at="2026-07-01T09:00:00", closes_at="2026-09-01T15:00:00", status="upcoming"
    )
    body = call(client, "put", "/v1/packages/SOON-1", keys.platform, json=upcoming).get_json()
    assert body["live"] is False and "not listed yet" in body["warnings"][0]
    sold_body = twin(top_package, status="sold")
    sold = call(client, "put", "/v1/packages/SOLD-1", keys.platform, json=sold_body).get_json()
    assert sold["live"] is False and "status 'sold' is not on sale" in sold["warnings"][0]
    assert call(client, "get", "/v1/packages/SOLD-1", keys.platform).get_json()["live"] is False


def test_the_documented_listing_example_is_live_when_it_is_put(client: FlaskClient, keys: Keys) -> None:
    """The PUT example in docs/api.md stores a live listing (it used to have closed months before)."""
    body = _documented_package_example()
    answer = call(client, "put", "/v1/packages/PKG0100001", keys.platform, json=body).get_json()
    listed, closes = body["listed_at"], body["closes_at"]
    assert listed <= "2026-06-20" < closes <= "2028"  # live at the test market's now and for months after
    assert answer["live"] is True and answer["warnings"] == []


def _documented_package_example() -> dict:
    import json
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    match = re.search(r"/v1/packages/PKG0100001 -d '(\{.*?\})'", text, re.S)
    assert match, "the PUT example is missing from docs/api.md"
    return json.loads(match.group(1))
