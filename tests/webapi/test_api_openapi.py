"""The OpenAPI document matches the routes, and no generated request makes the API fail (no 5xx)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from tests.webapi.conftest import Keys, bearer
from webapi.http.api.openapi import OPERATIONS, documented_rules

FUZZ_EXAMPLES = 20
SLOW_OPERATIONS = {("POST", "/v1/rules/preview"): 2, ("POST", "/v1/models/{version}/activate"): 4}


def test_every_route_is_documented_with_its_methods_and_nothing_else(app: Flask) -> None:
    document = app.test_client().get("/v1/openapi.json").get_json()
    described = {path: set(item) for path, item in document["paths"].items()}
    assert described == documented_rules(app)
    assert {(path, method) for path, methods in described.items() for method in methods} == set(OPERATIONS)


def test_every_operation_says_who_may_call_it_and_how_it_fails(app: Flask) -> None:
    document = app.test_client().get("/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["summary"], (method, path)
            if path.startswith("/v1/") and path != "/v1/openapi.json":
                assert operation["x-roles"], (method, path)
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
            else:
                assert operation["security"] == [], (method, path)


def key_for(operation: dict[str, Any], keys: Keys) -> str | None:
    roles = operation.get("x-roles") or []
    for role in ("platform", "operator", "investor"):
        if role in roles:
            return getattr(keys, role)
    return None


def fuzz(
    operation: Any, mode: schemathesis.GenerationMode, headers: dict[str, str], failures: list[str]
) -> None:
    """Send generated requests to one operation; record any 5xx and any error that is not problem JSON."""
    examples = SLOW_OPERATIONS.get((operation.method.upper(), operation.path), FUZZ_EXAMPLES)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(case=operation.as_strategy(mode))
    def run(case: schemathesis.Case) -> None:
        case.headers = {**(case.headers or {}), **headers}  # the role matrix is tested elsewhere
        response = case.call()
        where = f"{case.method} {case.formatted_path} -> {response.status_code}"
        if response.status_code >= 500 and response.status_code != 503:
            failures.append(f"{where}: {response.text[:300]}")
        content_type = (response.headers.get("content-type") or [""])[0]
        if response.status_code >= 400 and not content_type.startswith("application/problem+json"):
            failures.append(f"{where} as {content_type!r}")

    try:
        run()
    except Unsatisfiable:
        assert mode is schemathesis.GenerationMode.NEGATIVE  # nothing to get wrong (no parameters)


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_server_error(
    app: Flask, keys: Keys, mode: schemathesis.GenerationMode
) -> None:
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", app)
    document = app.test_client().get("/v1/openapi.json").get_json()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        spec = document["paths"][operation.path][operation.method.lower()]
        fuzz(operation, mode, bearer(key_for(spec, keys)), failures)
    assert not failures, "\n".join(failures[:10])
