"""Bodies that used to crash a write route (500) or poison the store, on both backends.

Regressions: JSON nested 1,000 levels deep raised ``RecursionError`` on every write route; a lone
surrogate (``"\\ud800"``) in an id, a description or ``why`` raised ``UnicodeEncodeError`` in the
database driver; deeply nested YAML rules overflowed PyYAML; ``listed_at: 0001-01-01`` and event
timestamps that land in year 0 or 10000 after time-zone conversion were stored and then broke
every read of the market. Each is now a 4xx problem naming where the body is wrong, and nothing
is stored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from data.market_frames import load_market
from data.schema import events_table, packages_table, rule_sets_table
from tests.webapi.conftest import INVESTOR_ID, Keys, ServedMarket, assert_problem, call

PACKAGE = {
    "title": "Flat in Nanjing",
    "seller_type": "court",
    "asset_class": "real_estate",
    "asset_type": "residential",
    "province": "Jiangsu",
    "principal_cny": 2_500_000,
    "reserve_price_cny": 2_100_000,
    "loan_count": 1,
    "collateral": "secured",
    "litigation_status": "enforcement",
    "dd_completeness": 0.9,
    "listed_at": "2026-06-01T09:00:00",
    "closes_at": "2026-07-30T15:00:00",
    "status": "active",
}
INVESTOR = {
    "name": "Pearl River Capital",
    "investor_type": "private_fund",
    "province": "Guangdong",
    "registered_at": "2026-06-01",
    "capital_cny": 500_000_000,
    "licensed_amc": False,
}
EVENT = {
    "investor_id": INVESTOR_ID,
    "package_id": "PKG0000001",
    "event_type": "view",
    "occurred_at": "2026-06-19T10:00:00",
}
DEPTH = 1_000


def nested(depth: int, leaf: str = "1") -> str:
    """JSON text of arrays nested ``depth`` levels deep (built as text: json.dumps would recurse)."""
    return "[" * depth + leaf + "]" * depth


def with_value(body: dict[str, Any], field: str, fragment: str) -> str:
    """``body`` as JSON text with ``field`` set to the raw JSON ``fragment``."""
    return json.dumps({**body, field: "\x00placeholder"}).replace('"\\u0000placeholder"', fragment)


def send(client: FlaskClient, method: str, path: str, key: str, text: str, mimetype: str = "application/json") -> Any:
    return call(client, method, path, key, data=text.encode("utf-8"), headers={"Content-Type": mimetype})


def counts(served_market: ServedMarket) -> tuple[int, int, int]:
    with served_market.engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (events_table, packages_table, rule_sets_table)
        )


def write_routes(keys: Keys) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every route that takes a body: method, path, key and a valid body."""
    return [
        ("post", "/v1/events", keys.platform, EVENT),
        ("put", "/v1/packages/PKG-HOSTILE", keys.platform, PACKAGE),
        ("put", "/v1/investors/INV-HOSTILE", keys.platform, INVESTOR),
        ("put", "/v1/rules", keys.operator, {"document": {}, "why": "hostile input test"}),
        ("post", "/v1/rules/preview", keys.operator, {"document": {}, "investors": 2, "k": 2}),
    ]


@pytest.mark.parametrize("route", range(5))
@pytest.mark.parametrize("depth", [DEPTH, 100_000])
def test_a_deeply_nested_body_is_a_400_on_every_write_route(
    client: FlaskClient, keys: Keys, served_market: ServedMarket, route: int, depth: int
) -> None:
    method, path, key, body = write_routes(keys)[route]
    before = counts(served_market)
    field = next(iter(body))
    problem = assert_problem(send(client, method, path, key, with_value(body, field, nested(depth))), 400)
    assert "nests deeper than 32 levels" in problem["detail"]
    assert counts(served_market) == before


def test_a_body_just_deep_enough_is_judged_on_its_content(client: FlaskClient, keys: Keys) -> None:
    # 32 levels in all: the event object and 31 arrays; refused for its type, not its depth
    body = with_value(EVENT, "event_id", nested(31, '"x"'))
    problem = assert_problem(send(client, "post", "/v1/events", keys.platform, body), 422)
    assert problem["errors"][0]["field"] == "event_id"


@pytest.mark.parametrize(
    ("method", "path", "role", "body", "pointer"),
    [
        ("post", "/v1/events", "platform", {**EVENT, "event_id": "ev-\ud800"}, "/event_id"),
        ("post", "/v1/events", "platform", {**EVENT, "request_id": "\ud800"}, "/request_id"),
        ("post", "/v1/events", "platform", {"events": [EVENT, {**EVENT, "event_id": "\udfff"}]}, "/events/1/event_id"),
        ("put", "/v1/packages/PKG-HOSTILE", "platform", {**PACKAGE, "description": "debtor \ud800"}, "/description"),
        ("put", "/v1/investors/INV-HOSTILE", "platform", {**INVESTOR, "name": "\udbff"}, "/name"),
        ("put", "/v1/rules", "operator", {"document": {}, "why": "because \ud800"}, "/why"),
        ("put", "/v1/rules", "operator", {"document": {"\ud800": 1}, "why": "keys too"}, "/document/\\ud800"),
        ("post", "/v1/rules/preview", "operator", {"document": "top_k: \"\\ud800\""}, "/document/top_k"),
    ],
)
def test_a_lone_surrogate_is_a_422_naming_where_it_is(
    client: FlaskClient,
    keys: Keys,
    served_market: ServedMarket,
    method: str,
    path: str,
    role: str,
    body: dict[str, Any],
    pointer: str,
) -> None:
    before = counts(served_market)
    problem = assert_problem(send(client, method, path, getattr(keys, role), json.dumps(body)), 422)
    assert pointer in [error["path"] for error in problem["errors"]], problem
    assert counts(served_market) == before


@pytest.mark.parametrize(
    "text",
    [
        nested(5_000),  # flow style
        "top_k:\n" + "".join("  " * depth + "a:\n" for depth in range(1, 700)),  # block style
        "top_k: &a [" + ", ".join(["*a"] * 3) + "]",  # a recursive alias
        'boosts: {"\\ud800": 1}',  # a YAML escape that decodes to a lone surrogate
    ],
    ids=["flow", "block", "recursive-alias", "surrogate"],
)
def test_a_hostile_yaml_rule_document_is_a_422(
    client: FlaskClient, keys: Keys, served_market: ServedMarket, text: str
) -> None:
    before = counts(served_market)
    put = send(client, "put", "/v1/rules?why=hostile", keys.operator, text, "application/yaml")
    assert_problem(put, 422)
    preview = send(client, "post", "/v1/rules/preview", keys.operator, json.dumps({"document": text}))
    assert_problem(preview, 422)
    assert counts(served_market) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("put", "/v1/packages/PKG-HOSTILE", {**PACKAGE, "listed_at": "0001-01-01"}, "listed_at"),
        ("put", "/v1/packages/PKG-HOSTILE", {**PACKAGE, "closes_at": "9999-12-31T23:59:59-14:00"}, "closes_at"),
        ("put", "/v1/packages/PKG-HOSTILE", {**PACKAGE, "reserve_price_cny": 1e300}, "reserve_price_cny"),
        ("put", "/v1/packages/PKG-HOSTILE", {**PACKAGE, "loan_count": 2**40}, "loan_count"),
        ("put", "/v1/investors/INV-HOSTILE", {**INVESTOR, "registered_at": "0001-01-01"}, "registered_at"),
        ("put", "/v1/investors/INV-HOSTILE", {**INVESTOR, "capital_cny": 10**30}, "capital_cny"),
        ("post", "/v1/events", {**EVENT, "occurred_at": "0001-01-01T00:00:00"}, "occurred_at"),
        ("post", "/v1/events", {**EVENT, "occurred_at": "9999-12-31T23:59:59-14:00"}, "occurred_at"),
        ("post", "/v1/events", {**EVENT, "event_type": "bid", "amount_cny": 1e16}, "amount_cny"),
        ("post", "/v1/events", {**EVENT, "dwell_seconds": 1e12}, "dwell_seconds"),
    ],
)
def test_out_of_range_instants_and_amounts_are_a_422_naming_the_field(
    client: FlaskClient, keys: Keys, served_market: ServedMarket, method: str, path: str, body: dict, field: str
) -> None:
    before = counts(served_market)
    problem = assert_problem(call(client, method, path, keys.platform, json=body), 422)
    assert [error["field"] for error in problem["errors"]] == [field]
    assert counts(served_market) == before


def test_after_all_of_it_the_store_reads_whole_and_a_new_worker_is_ready(served_market: ServedMarket) -> None:
    assert load_market(served_market.engine).skipped == {}
    app = served_market.app()
    try:
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 200, ready.get_data(as_text=True)
    finally:
        app.extensions["assetmatch.engine"].dispose()
