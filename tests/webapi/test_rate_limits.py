"""Made-up keys and heavy operator calls cannot take serving's resources.

Regressions: every request with an unknown key cost a database lookup (and a flood of made-up
ids cleared the whole key cache, valid keys included); an offline rule preview held a sync
worker for seconds, and two at once left a two-worker server nothing to serve lists with.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import webapi.http.api.auth as auth
from data.api_keys import create_key
from tests.webapi.conftest import AS_OF, Keys, ServedMarket, assert_problem, call
from tests.webapi.console_support import page_text, post_form, signed_in_client
from webapi.http.api.auth import KeyCache
from webapi.http.api.heavy_calls import LOCK_FILE, HeavyCallGate
from webapi.http.api.problems import ProblemError

MODELS = "/v1/models"
UNKNOWN_KEY = "am_0123456789ab_not-a-secret"


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The key ids looked up in the store, in order."""
    seen: list[str] = []
    real = auth.get_key

    def counting(connection, key_id):  # type: ignore[no-untyped-def]
        seen.append(key_id)
        return real(connection, key_id)

    monkeypatch.setattr(auth, "get_key", counting)
    return seen


@pytest.fixture
def caching_app(served_market: ServedMarket) -> Iterator[Flask]:
    """An app with the production key cache (5 s for keys, 1 s for unknown ids)."""
    app = served_market.app(API_KEY_CACHE_SECONDS=5)
    yield app
    app.extensions["assetmatch.engine"].dispose()


def test_a_repeated_unknown_key_costs_one_lookup_not_one_per_request(
    caching_app: Flask, lookups: list[str]
) -> None:
    client = caching_app.test_client()
    for _ in range(30):
        assert_problem(call(client, "get", MODELS, UNKNOWN_KEY), 401)
    assert lookups == ["0123456789ab"]


@pytest.mark.parametrize("key", ["am_nope_nope", "am_0123456789AB_x", f"am_{'f' * 4000}_x", "am_0123456789a_x"])
def test_a_key_id_no_key_could_have_is_refused_without_a_lookup(
    caching_app: Flask, lookups: list[str], key: str
) -> None:
    client = caching_app.test_client()
    for _ in range(5):
        assert_problem(call(client, "get", MODELS, key), 401)
    assert lookups == []


def test_a_key_created_during_a_flood_of_unknown_keys_works_at_once(
    caching_app: Flask, served_market: ServedMarket
) -> None:
    client = caching_app.test_client()
    for n in range(20):
        assert_problem(call(client, "get", MODELS, f"am_{n:012x}_guess"), 401)
    with served_market.engine.begin() as connection:
        _, key = create_key(connection, "platform", AS_OF, label="created just now")
    assert call(client, "get", MODELS, key).status_code == 200


def test_a_flood_of_made_up_ids_does_not_push_out_the_keys_in_use(
    served_market: ServedMarket, keys: Keys, lookups: list[str]
) -> None:
    cache = KeyCache(served_market.engine, seconds=60, negative_seconds=60, max_entries=5)
    key_id = keys.platform.split("_")[1]
    assert cache.get(key_id) is not None
    for n in range(50):
        assert cache.get(f"{n:012x}") is None
    assert cache.get(key_id) is not None
    assert lookups.count(key_id) == 1  # still cached after 50 unknown ids through a 5-entry cache


def test_with_caching_off_every_request_is_checked_against_the_store(
    served_market: ServedMarket, lookups: list[str]
) -> None:
    cache = KeyCache(served_market.engine, seconds=0)
    cache.get("0123456789ab")
    cache.get("0123456789ab")
    assert len(lookups) == 2


@pytest.fixture
def other_worker(served_market: ServedMarket) -> HeavyCallGate:
    """The gate as another gunicorn worker of the same instance sees it."""
    return HeavyCallGate(served_market.folder / LOCK_FILE)


PREVIEW = {"document": {"blend": {"model": 0.0, "stated": 1.0}}, "investors": 5, "k": 5}


def test_a_preview_while_another_heavy_call_runs_is_503_with_retry_after(
    client: FlaskClient, keys: Keys, other_worker: HeavyCallGate
) -> None:
    with other_worker.admit("an offline preview"):
        response = call(client, "post", "/v1/rules/preview", keys.operator, json=PREVIEW)
        body = assert_problem(response, 503)
        assert body["type"].endswith("busy") and response.headers["Retry-After"] == "10"
        assert call(client, "get", "/v1/investors/INV000001/recommendations", keys.platform).status_code == 200
    assert call(client, "post", "/v1/rules/preview", keys.operator, json=PREVIEW).status_code == 200


def test_the_gate_admits_one_call_at_a_time_and_reopens_after_it(tmp_path: Path) -> None:
    first, second = HeavyCallGate(tmp_path / LOCK_FILE), HeavyCallGate(tmp_path / LOCK_FILE)
    with first.admit("a preview"):
        with pytest.raises(ProblemError) as busy:
            with second.admit("a second preview"):
                pass
        assert busy.value.status == 503 and "a second preview waits its turn" in busy.value.detail
        with pytest.raises(ProblemError):  # the same process, another thread's request
            with first.admit("a third preview"):
                pass
    with second.admit("a preview after the first finished"):
        pass


def test_a_failed_heavy_call_releases_the_gate(tmp_path: Path) -> None:
    gate = HeavyCallGate(tmp_path / LOCK_FILE)
    with pytest.raises(RuntimeError):
        with gate.admit("a preview"):
            raise RuntimeError("the preview failed")
    with HeavyCallGate(tmp_path / LOCK_FILE).admit("the next preview"):
        pass


def test_a_preview_may_not_sample_more_than_500_investors(client: FlaskClient, keys: Keys) -> None:
    body = assert_problem(
        call(client, "post", "/v1/rules/preview", keys.operator, json={**PREVIEW, "investors": 501}), 422
    )
    assert body["errors"][0]["field"] == "investors"


def test_the_console_preview_is_gated_too(served_market: ServedMarket, other_worker: HeavyCallGate) -> None:
    app = served_market.app()
    operator = signed_in_client(app.test_client, served_market.keys.operator)
    try:
        with other_worker.admit("an offline preview"):
            page = post_form(operator, "/console/rules/preview", document="top_k: 10\n", sample="5", k="5")
        assert page.status_code == 503
        assert "waits its turn" in page_text(page)
    finally:
        app.extensions["assetmatch.engine"].dispose()
