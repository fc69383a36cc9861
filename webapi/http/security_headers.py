"""Response headers every answer of the service carries, API and console alike.

The API answers JSON and text only, so nothing it sends should be rendered as a page, sniffed
as another type, framed, or leak its URL to another site:

- ``X-Content-Type-Options: nosniff``: a browser takes the declared type, so a JSON body with
  markup in a field is never run as HTML or script.
- ``Referrer-Policy: no-referrer``: console addresses and query strings stay on this site.
- ``X-Frame-Options: DENY`` and ``Content-Security-Policy: frame-ancestors 'none'``: no page of
  another site can frame a response (clickjacking); the console sets a fuller policy of its
  own (``webapi.http.console.headers``), which is kept.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

#: The policy of a response that did not set one: load nothing, be framed by nothing.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": DEFAULT_CSP,
}


def register_security_headers(app: Flask) -> None:
    """Add the headers to every response that does not set them itself."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
