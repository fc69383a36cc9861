"""Property-based fuzzing of every write route with the input classes that used to break the engine.

The schemathesis test (``test_api_openapi.py``) generates what the OpenAPI document describes;
these properties aim at what it cannot: bodies nested hundreds of levels deep, text with lone
surrogates, instants from year 1 to 9999 with any offset, and numbers from tiny to 1e308, put
into any field of a valid body of every write route, on both backends. Whatever is sent:

- the answer is never a 5xx, and every 4xx is ``application/problem+json``;
- nothing that breaks the data contract reaches the store: afterwards the market reads back
  without leaving a single row out, and a new worker is ready.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.market_frames import load_market
from matching.rule_document import RuleDocumentError, parse_rule_document
from tests.webapi.conftest import Keys, ServedMarket, call
from tests.webapi.test_api_hostile_bodies import EVENT, INVESTOR, PACKAGE

EXAMPLES = 40
PLACEHOLDER = "\x00fuzz"


def _nested(depth: int, leaf: str, kind: str) -> str:
    if kind == "array":
        return "[" * depth + leaf + "]" * depth
    return '{"a":' * depth + leaf + "}" * depth


def _instant(moment: datetime, offset_minutes: int, style: str) -> str:
    if style == "date":
        return moment.date().isoformat()
    if style == "naive":
        return moment.isoformat()
    zone = timezone(timedelta(minutes=offset_minutes))
    return moment.replace(tzinfo=zone).isoformat()


NESTED = st.builds(
    _nested,
    st.integers(min_value=30, max_value=3_000),
    st.sampled_from(["1", '"x"', "{}", "[]"]),
    st.sampled_from(["array", "object"]),
)
SURROGATE_TEXT = st.builds(
    lambda before, surrogate, after: json.dumps(before + surrogate + after),
    st.text(max_size=5),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.text(max_size=5),
)
INSTANTS = st.builds(
    lambda moment, offset, style: json.dumps(_instant(moment, offset, style)),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(min_value=-14 * 60 + 1, max_value=14 * 60 - 1),
    st.sampled_from(["date", "naive", "aware"]),
)
EDGE_INSTANTS = st.sampled_from(
    ['"0001-01-01T00:00:00"', '"0001-01-01"', '"9999-12-31T23:59:59-14:00"', '"9999-12-31"',
     '"2100-12-31T23:59:59-14:00"', '"1999-12-31T23:59:59+14:00"', '"0000-01-01"', '"10000-01-01"']
)  # fmt: skip
NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["1e308", "-1e308", "1e-320", "0", "-0.0", "9" * 400, "1E+16"]),
)
HOSTILE = st.one_of(NESTED, SURROGATE_TEXT, INSTANTS, EDGE_INSTANTS, NUMBERS)


def _routes(keys: Keys) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every write route with a valid body: method, path, key, body."""
    return [
        ("post", "/v1/events", keys.platform, {**EVENT, "event_type": "bid", "amount_cny": 1_000_000}),
        ("post", "/v1/events", keys.platform, {"events": [EVENT]}),
        ("put", "/v1/packages/PKG-FUZZ", keys.platform, PACKAGE),
        ("put", "/v1/investors/INV-FUZZ", keys.platform, INVESTOR),
        ("put", "/v1/rules", keys.operator, {"document": {"top_k": 20}, "why": "fuzzing"}),
        ("post", "/v1/rules/preview", keys.operator, {"document": {"top_k": 20}, "investors": 1, "k": 1}),
        ("post", "/v1/models/A/activate", keys.operator, {}),
    ]


def _paths(body: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in ``body`` a value could be put: each existing value and one new key per object."""
    paths: list[tuple[str | int, ...]] = [prefix] if prefix else []
    if isinstance(body, dict):
        paths.append((*prefix, "extra"))
        for key, value in body.items():
            paths += _paths(value, (*prefix, key))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            paths += _paths(value, (*prefix, index))
    return paths


def _with(body: Any, path: tuple[str | int, ...], fragment: str) -> str:
    """``body`` as JSON text with the value at ``path`` replaced by the raw JSON ``fragment``."""
    copy = json.loads(json.dumps(body))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = PLACEHOLDER
    return json.dumps(copy).replace(json.dumps(PLACEHOLDER), fragment)


def _failures(client: FlaskClient, keys: Keys, examples: int) -> list[str]:
    failures: list[str] = []
    routes = _routes(keys)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data(), route=st.integers(min_value=0, max_value=len(routes) - 1), fragment=HOSTILE)
    def run(data: st.DataObject, route: int, fragment: str) -> None:
        method, path, key, body = routes[route]
        where = data.draw(st.sampled_from(_paths(body)), label="path") if _paths(body) else ()
        text = _with(body, where, fragment) if where else fragment
        headers = {"Content-Type": "application/json"}
        response = call(client, method, path, key, data=text.encode("utf-8"), headers=headers)
        label = f"{method.upper()} {path} {where} = {fragment[:80]!r} -> {response.status_code}"
        if response.status_code >= 500:
            failures.append(f"{label}: {response.get_data(as_text=True)[:300]}")
        elif response.status_code >= 400 and response.mimetype != "application/problem+json":
            failures.append(f"{label} as {response.mimetype}")

    run()
    return failures


def test_no_hostile_value_in_any_field_of_any_write_route_breaks_the_api_or_the_store(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    failures = _failures(client, keys, EXAMPLES * len(_routes(keys)))
    assert not failures, "\n".join(failures[:10])
    assert load_market(served_market.engine).skipped == {}
    app = served_market.app()
    try:
        assert app.test_client().get("/readyz").status_code == 200
    finally:
        app.extensions["assetmatch.engine"].dispose()


@given(fragment=st.one_of(NESTED, SURROGATE_TEXT, EDGE_INSTANTS))
@settings(max_examples=60, deadline=None, database=None, derandomize=True)
def test_yaml_and_json_rule_documents_are_refused_not_crashed_on(fragment: str) -> None:
    """Also without a server: the rule-document parser itself (CLI, console and API share it)."""
    for text in (fragment, f"top_k: {fragment}", f'{{"boosts": {fragment}}}'):
        try:
            parse_rule_document(text)
        except RuleDocumentError:
            pass
