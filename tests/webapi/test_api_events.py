"""Events in: validated, committed before the answer, stored once, folded into the lists at once."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from data.schema import events_table, served_lists_table
from tests.webapi.conftest import (
    INVESTOR_ID,
    OTHER_INVESTOR_ID,
    Keys,
    ServedMarket,
    assert_problem,
    call,
    recommended_ids,
)


def event(package: str, event_type: str = "view", **fields: object) -> dict:
    return {
        "investor_id": INVESTOR_ID,
        "package_id": package,
        "event_type": event_type,
        "occurred_at": "2026-06-19T10:00:00",
        **fields,
    }


def stored(served_market: ServedMarket, **where: str) -> int:
    condition = [events_table.c[name] == value for name, value in where.items()]
    with served_market.engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(events_table).where(*condition)
        ).scalar_one()


@pytest.fixture(scope="module")
def packages(client: FlaskClient, keys: Keys) -> list[str]:
    return recommended_ids(client, keys.platform, k=20)


def test_one_event_is_stored_once_however_often_it_is_sent(
    client: FlaskClient, keys: Keys, packages: list[str], served_market: ServedMarket
) -> None:
    body = event(packages[5], event_id="ev-once", dwell_seconds=30)
    first = call(client, "post", "/v1/events", keys.platform, json=body)
    assert first.status_code == 201
    assert first.get_json() == {"accepted": 1, "duplicates": 0, "event_ids": ["ev-once"]}
    assert stored(served_market, event_id="ev-once") == 1  # committed before the answer
    again = call(client, "post", "/v1/events", keys.platform, json=body)
    assert again.status_code == 200
    assert again.get_json() == {"accepted": 0, "duplicates": 1, "event_ids": ["ev-once"]}
    assert stored(served_market, event_id="ev-once") == 1


def test_an_event_without_an_id_is_recognised_by_its_content(
    client: FlaskClient, keys: Keys, packages: list[str], served_market: ServedMarket
) -> None:
    body = event(packages[6], "favorite", occurred_at="2026-06-19T11:11:11")
    first = call(client, "post", "/v1/events", keys.investor, json=body).get_json()
    second = call(client, "post", "/v1/events", keys.investor, json=body).get_json()
    assert first["accepted"] == 1 and second["duplicates"] == 1
    assert first["event_ids"] == second["event_ids"] and first["event_ids"][0].startswith("h-")
    assert stored(served_market, event_id=first["event_ids"][0]) == 1


def test_a_batch_counts_new_and_repeated_events(client: FlaskClient, keys: Keys, packages: list[str]) -> None:
    batch = [
        event(packages[7], event_id="ev-b1"),
        event(packages[7], event_id="ev-b2"),
        event(packages[7], event_id="ev-b1"),
    ]
    assert (
        call(client, "post", "/v1/events", keys.platform, json={"events": batch}).get_json()["accepted"] == 2
    )
    batch.append(event(packages[7], event_id="ev-b3"))
    body = call(client, "post", "/v1/events", keys.platform, json={"events": batch}).get_json()
    assert (body["accepted"], body["duplicates"]) == (1, 3)


def test_a_refused_batch_names_each_bad_item_and_field_and_stores_nothing(
    client: FlaskClient, keys: Keys, packages: list[str], served_market: ServedMarket
) -> None:
    batch = [
        event(packages[8], event_id="ev-ok"),
        event("PKG-NOWHERE", event_id="ev-bad-1"),
        event(packages[8], "bid", event_id="ev-bad-2"),
        {**event(packages[8], event_id="ev-bad-3"), "investor_id": "INV-NOBODY", "occurred_at": "yesterday"},
    ]
    problem = assert_problem(call(client, "post", "/v1/events", keys.platform, json={"events": batch}), 422)
    where = [(error["index"], error["field"]) for error in problem["errors"]]
    assert where == [(1, "package_id"), (2, "amount_cny"), (3, "investor_id"), (3, "occurred_at")]
    assert problem["errors"][0]["path"] == "/events/1/package_id"
    assert "PKG-NOWHERE" in problem["errors"][0]["message"]
    assert stored(served_market, event_id="ev-ok") == 0


@pytest.mark.parametrize("body", [[], {"events": []}, {"events": "x"}, {"events": [{}], "more": 1}, "text"])
def test_bodies_that_are_neither_an_event_nor_a_batch_are_422(
    client: FlaskClient, keys: Keys, body: object
) -> None:
    assert_problem(call(client, "post", "/v1/events", keys.platform, json=body), 422)


def test_a_batch_over_the_limit_is_413(served_market: ServedMarket, keys: Keys, packages: list[str]) -> None:
    app = served_market.app(MAX_EVENTS_PER_REQUEST=3)
    batch = [event(packages[9], event_id=f"ev-limit-{i}") for i in range(4)]
    body = assert_problem(
        call(app.test_client(), "post", "/v1/events", keys.platform, json={"events": batch}), 413
    )
    assert "at most 3" in body["detail"]
    app.extensions["assetmatch.engine"].dispose()


def test_a_dismissal_removes_the_listing_from_the_investors_list_at_once(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    other = served_market.app()
    other_client = other.test_client()
    top = recommended_ids(client, keys.investor)[0]
    assert top in recommended_ids(other_client, keys.investor)
    assert (
        call(
            client, "post", "/v1/events", keys.investor, json=event(top, "dismiss", event_id="ev-dismiss")
        ).status_code
        == 201
    )
    assert top not in recommended_ids(client, keys.investor, k=100)
    assert top not in recommended_ids(other_client, keys.investor, k=100)  # another process, next request
    other.extensions["assetmatch.engine"].dispose()


def test_served_lists_can_be_written_back_as_impressions(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    served = call(
        client, "get", f"/v1/investors/{OTHER_INVESTOR_ID}/recommendations?k=5", keys.platform
    ).get_json()
    impressions = [
        {
            "event_id": f"imp-{served['request_id']}-{item['id']}",
            "investor_id": OTHER_INVESTOR_ID,
            "package_id": item["id"],
            "event_type": "impression",
            "occurred_at": "2026-06-19T12:00:00Z",
            "request_id": served["request_id"],
        }
        for item in served["items"]
    ]
    assert (
        call(client, "post", "/v1/events", keys.platform, json={"events": impressions}).get_json()["accepted"]
        == 5
    )
    with served_market.engine.connect() as connection:
        attributed = connection.execute(
            select(func.count())
            .select_from(
                events_table.join(
                    served_lists_table, events_table.c.request_id == served_lists_table.c.request_id
                )
            )
            .where(served_lists_table.c.model_version == "A")
        ).scalar_one()
    assert attributed == 5


def test_a_repeated_event_id_with_other_content_is_a_conflict_and_the_batch_stores_nothing(
    client: FlaskClient, keys: Keys, packages: list[str], served_market: ServedMarket
) -> None:
    """Regression: a differing event under a stored event_id was answered 200 "duplicates: 1" and lost."""
    first = event(packages[8], event_id="ev-same-id", dwell_seconds=12)
    assert call(client, "post", "/v1/events", keys.platform, json=first).status_code == 201
    bid = {**first, "investor_id": OTHER_INVESTOR_ID, "event_type": "bid", "amount_cny": 900000}
    bid.pop("dwell_seconds")
    batch = [event(packages[8], event_id="ev-innocent"), bid]
    problem = assert_problem(call(client, "post", "/v1/events", keys.platform, json={"events": batch}), 409)
    (error,) = problem["errors"]
    assert (error["index"], error["path"], error["field"]) == (1, "/events/1/event_id", "event_id")
    assert error["fields"] == ["investor_id", "event_type", "amount_cny", "dwell_seconds"]
    assert error["stored"] == {
        "investor_id": INVESTOR_ID, "event_type": "view", "amount_cny": None, "dwell_seconds": 12.0,
    }
    assert stored(served_market, event_id="ev-innocent") == 0  # all or nothing
    assert stored(served_market, event_id="ev-same-id", event_type="view") == 1
    single = assert_problem(call(client, "post", "/v1/events", keys.platform, json=bid), 409)
    assert single["errors"][0]["path"] == "/event_id"
    # The same content again is still a harmless repeat.
    assert call(client, "post", "/v1/events", keys.platform, json=first).get_json()["duplicates"] == 1


def test_a_batch_repeating_an_event_id_with_other_content_is_refused(
    client: FlaskClient, keys: Keys, packages: list[str], served_market: ServedMarket
) -> None:
    batch = [event(packages[8], event_id="ev-twice"), event(packages[9], event_id="ev-twice")]
    problem = assert_problem(call(client, "post", "/v1/events", keys.platform, json={"events": batch}), 422)
    assert problem["errors"][0]["path"] == "/events/1/event_id"
    assert "different package_id" in problem["errors"][0]["message"]
    assert stored(served_market, event_id="ev-twice") == 0


def test_investor_key_event_ids_are_scoped_to_the_investor(
    client: FlaskClient, keys: Keys, packages: list[str], served_market: ServedMarket
) -> None:
    """Regression: an investor key could squat an event_id the platform later used for another investor."""
    mine = call(client, "post", "/v1/events", keys.investor, json=event(packages[3], event_id="imp-squat-0"))
    assert mine.status_code == 201
    assert mine.get_json()["event_ids"] == [f"{INVESTOR_ID}/imp-squat-0"]
    platform_bid = event(packages[3], "bid", event_id="imp-squat-0", amount_cny=500000)
    platform_bid["investor_id"] = OTHER_INVESTOR_ID
    assert call(client, "post", "/v1/events", keys.platform, json=platform_bid).status_code == 201
    assert stored(served_market, event_id="imp-squat-0", event_type="bid") == 1
    # The investor's own retry is a repeat; other content under its own id is a conflict,
    # answered without the stored values.
    again = call(client, "post", "/v1/events", keys.investor, json=event(packages[3], event_id="imp-squat-0"))
    assert again.get_json()["duplicates"] == 1
    changed = event(packages[3], "favorite", event_id="imp-squat-0")
    problem = assert_problem(call(client, "post", "/v1/events", keys.investor, json=changed), 409)
    assert problem["errors"][0]["fields"] == ["event_type"] and "stored" not in problem["errors"][0]
    # No way to write into another investor's scope.
    slash = event(packages[3], event_id="x/imp-squat-0")
    problem = assert_problem(call(client, "post", "/v1/events", keys.investor, json={"events": [slash]}), 422)
    assert problem["errors"][0]["path"] == "/events/0/event_id"
    long_id = event(packages[3], event_id="e" * 60)
    assert assert_problem(call(client, "post", "/v1/events", keys.investor, json=long_id), 422)["errors"][0][
        "path"
    ] == "/event_id"


def test_an_investor_key_may_quote_only_request_ids_of_lists_that_served_it(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    """Regression: an investor key could attribute its actions to another investor's list."""
    others = call(client, "get", f"/v1/investors/{OTHER_INVESTOR_ID}/recommendations?k=3", keys.platform)
    other_request = others.get_json()["request_id"]
    own = call(client, "get", f"/v1/investors/{INVESTOR_ID}/recommendations?k=3", keys.investor).get_json()
    package = own["items"][0]["id"]
    polluting = event(package, event_id="ev-borrowed-request", request_id=other_request)
    problem = assert_problem(
        call(client, "post", "/v1/events", keys.investor, json={"events": [polluting]}), 422
    )
    (error,) = problem["errors"]
    assert (error["path"], error["field"]) == ("/events/0/request_id", "request_id")
    assert stored(served_market, request_id=other_request) == 0
    honest = event(package, event_id="ev-own-request", request_id=own["request_id"])
    assert call(client, "post", "/v1/events", keys.investor, json=honest).status_code == 201
    assert stored(served_market, request_id=own["request_id"]) == 1
    # The platform, which writes every investor's feedback, is not limited.
    for_other = {**polluting, "investor_id": OTHER_INVESTOR_ID, "event_id": "ev-platform-request"}
    assert call(client, "post", "/v1/events", keys.platform, json=for_other).status_code == 201


def test_an_event_dated_after_the_clock_is_refused_and_the_lists_keep_their_clock(
    client: FlaskClient, keys: Keys, packages: list[str], served_market: ServedMarket
) -> None:
    """One event dated years ahead would move the serving clock and close every listing."""
    before = recommended_ids(client, keys.platform)
    ahead = event(packages[7], event_id="ev-ahead", occurred_at="2099-01-01T00:00:00")
    body = assert_problem(
        call(client, "post", "/v1/events", keys.platform, json={"events": [event(packages[6]), ahead]}), 422
    )
    assert [(e["path"], e["field"]) for e in body["errors"]] == [("/events/1/occurred_at", "occurred_at")]
    assert stored(served_market, event_id="ev-ahead") == 0
    assert recommended_ids(client, keys.platform) == before
    # A client clock a few minutes fast is not an attack.
    slightly = event(packages[7], event_id="ev-skew", occurred_at="2026-06-20T00:05:00+00:00")
    assert call(client, "post", "/v1/events", keys.platform, json=slightly).status_code == 201
