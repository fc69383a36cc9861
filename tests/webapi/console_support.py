"""Shared steps of the console tests: signing in and posting forms the way the console's pages do."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

CSRF_FIELD = "csrf_token"


def csrf_token(client: FlaskClient) -> str:
    """The session's CSRF token (the login page makes one for a new session)."""
    with client.session_transaction() as session:
        token = session.get(CSRF_FIELD)
    if token is None:
        client.get("/console/login")
        with client.session_transaction() as session:
            token = session[CSRF_FIELD]
    return token


def post_form(client: FlaskClient, path: str, csrf: bool = True, **fields: Any) -> TestResponse:
    """POST a console form, with the session's CSRF token unless ``csrf`` is false."""
    data = {name: value for name, value in fields.items() if value is not None}
    if csrf and CSRF_FIELD not in data:
        data[CSRF_FIELD] = csrf_token(client)
    return client.post(path, data=data)


def sign_in(client: FlaskClient, key: str, next_path: str | None = None) -> TestResponse:
    return post_form(client, "/console/login", api_key=key, next=next_path)


def signed_in_client(client_factory: Any, key: str) -> FlaskClient:
    """A fresh test client of the app, signed in with ``key``."""
    client = client_factory()
    response = sign_in(client, key)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def page_text(response: TestResponse) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded, whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def list_items(response: TestResponse, element_id: str) -> list[str]:
    """The text of each ``<li>`` of the list with ``element_id``."""
    html = response.get_data(as_text=True)
    match = re.search(rf'<ul id="{element_id}"[^>]*>(.*?)</ul>', html, flags=re.S)
    assert match, f"no list {element_id} on the page"
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split())
        for item in re.findall(r"<li>(.*?)</li>", match.group(1), flags=re.S)
    ]
