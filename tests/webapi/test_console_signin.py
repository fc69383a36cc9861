"""Signing in to the console: operator keys only, a session that holds no secret, CSRF on every form."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from data.api_keys import create_key, revoke_key
from data.rule_store import active_rule_set
from data.schema import console_sessions_table
from tests.webapi.conftest import AS_OF, Keys, ServedMarket
from tests.webapi.console_support import page_text, post_form, sign_in, signed_in_client

PAGES = ("/console/rules", "/console/models", "/console/exposure", "/console/exposure/PKG0000001")
FORMS = (
    "/console/rules/validate",
    "/console/rules/preview",
    "/console/rules/apply",
    "/console/models/B/activate",
)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_visitor_who_has_not_signed_in_to_the_login_page(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/console/login?next={path}"


@pytest.mark.parametrize("path", FORMS)
def test_every_form_refuses_a_visitor_who_has_not_signed_in(app: Flask, path: str) -> None:
    response = post_form(app.test_client(), path, document="{}", why="no")
    assert response.status_code == 302 and response.headers["Location"].startswith("/console/login")


def test_an_operator_key_signs_in_and_lands_where_it_was_going(app: Flask, keys: Keys) -> None:
    client = app.test_client()
    assert "Operator API key" in page_text(client.get("/console/login"))
    response = sign_in(client, keys.operator, next_path="/console/models")
    assert (response.status_code, response.headers["Location"]) == (303, "/console/models")
    page = client.get("/console/models")
    assert page.status_code == 200 and "ops (key " in page_text(page)
    assert sign_in(app.test_client(), keys.operator).headers["Location"] == "/console/rules"


@pytest.mark.parametrize("target", ["https://elsewhere.example/", "//elsewhere.example/x", "/v1/models"])
def test_after_sign_in_only_console_pages_are_redirected_to(app: Flask, keys: Keys, target: str) -> None:
    assert sign_in(app.test_client(), keys.operator, next_path=target).headers["Location"] == "/console/rules"


@pytest.mark.parametrize(
    ("which", "status", "message"),
    [
        (
            "platform",
            403,
            "A platform key cannot sign in to the operator console: sign in with an operator key.",
        ),
        (
            "investor",
            403,
            "An investor key cannot sign in to the operator console: sign in with an operator key.",
        ),
        ("revoked", 401, "was revoked."),
    ],
)
def test_keys_of_other_roles_and_revoked_keys_are_refused_with_a_clear_message(
    app: Flask, keys: Keys, which: str, status: int, message: str
) -> None:
    client = app.test_client()
    response = sign_in(client, getattr(keys, which))
    assert response.status_code == status
    assert message in page_text(response)
    assert client.get("/console/rules").status_code == 302


@pytest.mark.parametrize(
    ("presented", "message"),
    [
        ("not a key", "That is not an AssetMatch API key"),
        ("am_nosuchkey_secret", "The API key is not valid."),
    ],
)
def test_a_wrong_key_is_refused(app: Flask, presented: str, message: str) -> None:
    response = sign_in(app.test_client(), presented)
    assert response.status_code == 401 and message in page_text(response)


def test_a_forged_secret_of_a_real_operator_key_is_refused(app: Flask, keys: Keys) -> None:
    forged = keys.operator.rsplit("_", 1)[0] + "_forged"
    assert sign_in(app.test_client(), forged).status_code == 401


def test_the_session_holds_a_random_session_id_but_never_the_key(app: Flask, keys: Keys) -> None:
    client = signed_in_client(app.test_client, keys.operator)
    key_id, secret = keys.operator.split("_")[1], keys.operator.split("_", 2)[2]
    with client.session_transaction() as session:
        assert set(session) == {"sid", "csrf_token"}
        assert key_id not in repr(dict(session)) and secret not in repr(dict(session))
    cookie = client.get_cookie("session")
    assert cookie is not None and secret not in cookie.value and cookie.http_only
    assert cookie.same_site == "Lax"


def test_a_post_without_the_session_token_is_refused_and_changes_nothing(
    app: Flask, keys: Keys, served_market: ServedMarket
) -> None:
    client = signed_in_client(app.test_client, keys.operator)
    for fields in ({"csrf": False}, {"csrf_token": "guessed"}):
        response = post_form(client, "/console/rules/apply", document="top_k: 7", why="sneaky", **fields)
        assert response.status_code == 400
        assert "did not come from the console" in page_text(response)
    with served_market.engine.connect() as connection:
        assert active_rule_set(connection) is None
    assert post_form(client, "/console/models/B/activate", csrf=False).status_code == 400
    assert post_form(client, "/console/logout", csrf=False).status_code == 400
    assert client.get("/console/rules").status_code == 200  # still signed in


def test_the_login_form_needs_the_token_too(app: Flask, keys: Keys) -> None:
    response = post_form(app.test_client(), "/console/login", csrf=False, api_key=keys.operator)
    assert response.status_code == 400


def test_each_sign_in_gets_a_new_token(app: Flask, keys: Keys) -> None:
    client = app.test_client()
    client.get("/console/login")
    with client.session_transaction() as session:
        before = session["csrf_token"]
    sign_in(client, keys.operator)
    with client.session_transaction() as session:
        assert session["csrf_token"] != before


def test_signing_out_ends_the_session(app: Flask, keys: Keys) -> None:
    client = signed_in_client(app.test_client, keys.operator)
    response = post_form(client, "/console/logout")
    assert (response.status_code, response.headers["Location"]) == (303, "/console/login")
    assert "Signed out." in page_text(client.get("/console/login"))
    assert client.get("/console/rules").status_code == 302


def _sessions_of(served_market: ServedMarket, key_id: str) -> int:
    with served_market.engine.connect() as connection:
        return connection.execute(
            select(func.count()).where(console_sessions_table.c.key_id == key_id)
        ).scalar_one()


def test_a_copy_of_the_cookie_is_worthless_after_sign_out_on_every_process(
    served_market: ServedMarket, keys: Keys
) -> None:
    """Regression: the signed cookie stayed valid for 12 h after Sign out; replaying it got the pages."""
    first, second = served_market.app(), served_market.app()
    client = signed_in_client(first.test_client, keys.operator)
    copied = client.get_cookie("session").value
    thief = second.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/console/rules").status_code == 200  # the copy works while signed in
    assert post_form(client, "/console/logout").status_code == 303
    for app in (first, second):
        replay = app.test_client()
        replay.set_cookie("session", copied)
        response = replay.get("/console/rules")
        assert response.status_code == 302 and response.headers["Location"].startswith("/console/login")
        assert post_form(replay, "/console/models/B/activate").status_code in (302, 400)
    for app in (first, second):
        app.extensions["assetmatch.engine"].dispose()


def test_revoking_the_key_ends_its_sessions_at_once_even_with_a_key_cache(
    served_market: ServedMarket,
) -> None:
    app = served_market.app(API_KEY_CACHE_SECONDS=300)  # the key itself is trusted from the cache
    with served_market.engine.begin() as connection:
        key, text = create_key(connection, "operator", AS_OF, label="leaving")
    clients = [signed_in_client(app.test_client, text) for _ in range(2)]
    assert all(client.get("/console/models").status_code == 200 for client in clients)
    assert _sessions_of(served_market, key.key_id) == 2
    with served_market.engine.begin() as connection:
        revoke_key(connection, key.key_id, AS_OF)
    assert _sessions_of(served_market, key.key_id) == 0
    assert all(client.get("/console/models").status_code == 302 for client in clients)
    app.extensions["assetmatch.engine"].dispose()


def test_an_old_sign_in_expires(served_market: ServedMarket, keys: Keys) -> None:
    app = served_market.app(CONSOLE_SESSION_HOURS=0)
    client = signed_in_client(app.test_client, keys.operator)
    assert client.get("/console/rules").status_code == 302
    assert "expired" in page_text(client.get("/console/login"))
    app.extensions["assetmatch.engine"].dispose()


def test_every_process_of_an_instance_accepts_the_same_session(
    served_market: ServedMarket, keys: Keys
) -> None:
    first, second = served_market.app(), served_market.app()
    assert first.secret_key and first.secret_key == second.secret_key
    client = signed_in_client(first.test_client, keys.operator)
    cookie = client.get_cookie("session")
    other = second.test_client()
    other.set_cookie("session", cookie.value)
    assert other.get("/console/rules").status_code == 200
    for app in (first, second):
        app.extensions["assetmatch.engine"].dispose()


def test_the_cookie_is_secure_over_https_or_when_configured(served_market: ServedMarket, keys: Keys) -> None:
    plain = served_market.app()
    assert not signed_in_client(plain.test_client, keys.operator).get_cookie("session").secure
    https = plain.test_client()
    https.get("/console/login", base_url="https://console.example")
    with https.session_transaction(base_url="https://console.example") as session:
        token = session["csrf_token"]
    response = https.post(
        "/console/login",
        base_url="https://console.example",
        data={"api_key": keys.operator, "csrf_token": token},
    )
    assert response.status_code == 303
    assert "Secure" in response.headers["Set-Cookie"]
    assert https.get_cookie("session", domain="console.example").secure
    behind_proxy = served_market.app(SESSION_COOKIE_SECURE="true")  # TLS ends at a proxy: plain HTTP here
    client = behind_proxy.test_client()
    response = sign_in(client, keys.operator)
    assert response.status_code == 303 and "Secure" in response.headers["Set-Cookie"]
    for app in (plain, behind_proxy):
        app.extensions["assetmatch.engine"].dispose()


@pytest.mark.parametrize("path", ["/console/login", "/console/models", "/console/rules"])
def test_console_pages_cannot_be_framed_or_cached(app: Flask, keys: Keys, path: str) -> None:
    client = signed_in_client(app.test_client, keys.operator)
    response = client.get(path)
    assert response.status_code == 200
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy  # no script may run
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


def test_the_api_sends_nosniff_and_no_framing_too(app: Flask, keys: Keys) -> None:
    client = app.test_client()
    for response in (
        client.get("/healthz"),
        client.get("/v1/models", headers={"Authorization": f"Bearer {keys.operator}"}),
        client.get("/v1/models"),  # a 401 problem
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert response.headers["Referrer-Policy"] == "no-referrer"
