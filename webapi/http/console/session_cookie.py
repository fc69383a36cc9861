"""The console's session cookie: ``Secure`` whenever the browser reached the service over HTTPS.

A cookie marked ``Secure`` is never sent over plain HTTP, so a sign-in made over HTTPS cannot be
read off the network by a downgraded request. Flask marks the cookie only when
``SESSION_COOKIE_SECURE`` is set; here it is also marked whenever the request that sets it came
over HTTPS, so a service reached directly over TLS needs no setting. Behind a proxy that ends TLS
and forwards plain HTTP the service cannot tell, so set ``ASSETMATCH_SESSION_COOKIE_SECURE=true``
there (docs/operator-guide.md, "Signing in").
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

_TRUE = frozenset({"1", "true", "yes", "on", "always"})


def always_secure(value: Any) -> bool:
    """Whether ``SESSION_COOKIE_SECURE`` (a bool, or its text from the environment) says always."""
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with ``Secure`` set by configuration or by the request's scheme."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if always_secure(app.config.get("SESSION_COOKIE_SECURE")):
            return True
        return has_request_context() and request.is_secure
