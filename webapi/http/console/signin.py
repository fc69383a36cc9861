"""Signing operators in and out, and the two checks every console request passes.

An operator signs in with an operator API key, the same key the JSON API takes. A sign-in is a
row in the store (``data.console_sessions``); the session cookie (signed with the app's
``SECRET_KEY``, see ``webapi.http.console.secret``) carries only that row's random id, never the key's
secret: a copied cookie does not reveal a key that works on the API. On every request the row
and the key are looked up again, so **Sign out** (the row is deleted), revoking the key (every
row of the key is deleted) or a sign-in older than ``CONSOLE_SESSION_HOURS`` (default 12) ends
the session on every process at once; a copy of the cookie replayed afterwards signs no one in.

Every POST must carry the session's CSRF token in its ``csrf_token`` field. The cookie is sent
with any request the browser makes to this site, including one a foreign page triggers; the
token is only in the console's own forms, so such a request is refused.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from data.api_keys import OPERATOR, ApiKey, secret_matches, split_key
from data.console_sessions import end_session, session_key_id, start_session
from data.wording import article
from webapi.http.api.auth import AUTH_EXTENSION, Caller
from webapi.http.console.blueprint import bp
from webapi.http.context import store_engine
from webapi.services.model_store import utc_now

CSRF_FIELD = "csrf_token"
#: The cookie's field with the sign-in's random id (``data.console_sessions``).
SESSION_ID = "sid"
DEFAULT_SESSION_HOURS = 12.0
#: Pages reachable without signing in.
PUBLIC_ENDPOINTS = frozenset({"console.login", "console.static"})
NO_SECRET_KEY = (
    "The console cannot sign anyone in: set ASSETMATCH_SECRET_KEY, or make the instance folder writable "
    "so a key can be kept there."
)


class SignInRefused(Exception):
    """Why a key may not sign in, and the HTTP status of the page that says so."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def csrf_token() -> str:
    """This session's token, made on first use (the login form needs one before any sign-in)."""
    token = session.get(CSRF_FIELD)
    if not token:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def operator() -> Caller:
    """The signed-in operator of this request (set by the guard)."""
    return g.console_operator


@bp.app_template_global("csrf_token")
def _csrf_token_global() -> str:
    return csrf_token()


@bp.before_request
def guard() -> Response | tuple[str, int] | None:
    """CSRF on every POST, then a signed-in operator on every page but the login page."""
    if not current_app.secret_key and request.endpoint != "console.static":
        return render_template("console/error.html", status=503, message=NO_SECRET_KEY), 503
    if request.method == "POST" and not _csrf_ok():
        return render_template(
            "console/error.html",
            status=400,
            message="This form has expired or did not come from the console. Reload the page and try again.",
        ), 400
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    caller = _signed_in()
    if caller is None:
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
    g.console_operator = caller
    return None


def _csrf_ok() -> bool:
    expected = session.get(CSRF_FIELD)
    presented = request.form.get(CSRF_FIELD, "")
    return bool(expected) and hmac.compare_digest(str(expected), presented)


def _signed_in() -> Caller | None:
    """The operator of the session, or None (the cookie is cleared when its sign-in has ended)."""
    session_id = session.get(SESSION_ID)
    if not session_id:
        return None
    with store_engine().connect() as connection:
        key_id = session_key_id(connection, str(session_id), utc_now())
    if key_id is None:
        _sign_out("Your sign-in has ended (signed out, expired or revoked). Sign in again.")
        return None
    key = current_app.extensions[AUTH_EXTENSION].get(key_id)
    if key is None or not key.active or key.role != OPERATOR:
        _sign_out("Your API key was revoked or is no longer an operator key. Sign in with an operator key.")
        return None
    return Caller(key.key_id, key.role, key.investor_id, key.label)


def _sign_out(message: str) -> None:
    session.clear()
    flash(message, "error")


def session_lifetime() -> timedelta:
    """How long a sign-in lasts (``CONSOLE_SESSION_HOURS``)."""
    return timedelta(hours=float(current_app.config.get("CONSOLE_SESSION_HOURS", DEFAULT_SESSION_HOURS)))


def check_key(presented: str) -> ApiKey:
    """The stored operator key ``presented`` is, or ``SignInRefused`` saying why not."""
    parts = split_key(presented.strip())
    if parts is None:
        raise SignInRefused("That is not an AssetMatch API key: keys read am_<key id>_<secret>.", 401)
    key_id, secret = parts
    key = current_app.extensions[AUTH_EXTENSION].get(key_id)
    if key is None or not secret_matches(key, secret):
        raise SignInRefused("The API key is not valid.", 401)
    if not key.active:
        raise SignInRefused(f"API key {key_id} was revoked.", 401)
    if key.role != OPERATOR:
        raise SignInRefused(
            f"{article(key.role + ' key').capitalize()} cannot sign in to the operator console: "
            "sign in with an operator key.",
            403,
        )
    return key


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """The sign-in form; a valid operator key starts a fresh session."""
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("console/login.html", next=target)
    try:
        key = check_key(request.form.get("api_key", ""))
    except SignInRefused as refused:
        return render_template("console/login.html", next=target, error=refused.message), refused.status
    with store_engine().begin() as connection:
        session_id = start_session(connection, key.key_id, utc_now(), session_lifetime())
    session.clear()  # a new session id, and a new CSRF token, for the signed-in operator
    session[SESSION_ID] = session_id
    csrf_token()
    return redirect(target or url_for("console.rules_page"), 303)


@bp.post("/logout")
def logout() -> Response:
    """End the sign-in in the store, so a copy of the cookie no longer works anywhere."""
    session_id = session.get(SESSION_ID)
    if session_id:
        with store_engine().begin() as connection:
            end_session(connection, str(session_id))
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("console.login"), 303)


@bp.get("/")
def home() -> Response:
    return redirect(url_for("console.rules_page"))


def _safe_next(value: str | None) -> str | None:
    """Only a console path on this site: never another host (an open redirect)."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/console/") or value.startswith("//"):
        return None
    if value.startswith(url_for("console.login")):
        return None
    return value
