"""Ids through the API: never masked, and refused (422, field named) when they look like personal data."""

from __future__ import annotations

from flask.testing import FlaskClient

from data.identifiers import PERSONAL_DATA_ID_MESSAGE
from tests.webapi.conftest import INVESTOR_ID, Keys, assert_problem, call, recommended_ids
from webapi.http.api.json_masking import masked

INVESTOR = {
    "name": "Pearl River Capital",
    "investor_type": "private_fund",
    "province": "Guangdong",
    "registered_at": "2026-06-01",
    "capital_cny": 500_000_000,
    "licensed_amc": False,
}


def test_a_personal_data_id_in_the_path_is_a_422_naming_the_field(client: FlaskClient, keys: Keys) -> None:
    response = call(client, "put", "/v1/investors/110101199003070027", keys.platform, json=INVESTOR)
    problem = assert_problem(response, 422)
    errors = [(e["field"], e["message"]) for e in problem["errors"]]
    assert errors == [("investor_id", PERSONAL_DATA_ID_MESSAGE)]
    assert "110101199003070027" not in response.get_data(as_text=True)
    assert_problem(call(client, "get", "/v1/packages/13812345678", keys.platform), 404)


def test_personal_data_ids_in_an_event_batch_are_named_per_event(client: FlaskClient, keys: Keys) -> None:
    package = recommended_ids(client, keys.platform)[0]
    good = {"investor_id": INVESTOR_ID, "package_id": package, "event_type": "view",
            "occurred_at": "2026-06-19T10:00:00"}  # fmt: skip
    batch = [good, {**good, "event_id": "13812345678"}, {**good, "request_id": "6222021234567890128"}]
    problem = assert_problem(call(client, "post", "/v1/events", keys.platform, json={"events": batch}), 422)
    assert [(e["index"], e["field"]) for e in problem["errors"]] == [(1, "event_id"), (2, "request_id")]


def test_id_fields_are_written_as_they_are_and_free_text_is_masked() -> None:
    # A derived event id is hex, and hex can hold a run of digits the mask would rewrite.
    body = {"event_ids": ["h-13812345678abcdef"], "request_id": "a13812345678", "title": "tel 13812345678"}
    assert masked(body) == {**body, "title": "tel 138****5678"}
    assert masked({"package_id": {"note": "13812345678"}}) == {"package_id": {"note": "138****5678"}}
