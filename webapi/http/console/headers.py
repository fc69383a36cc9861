"""What the console's pages tell the browser: never frame us, load only our own files, keep nothing.

- ``Content-Security-Policy``: the pages are server-rendered with one stylesheet and no
  JavaScript, so the policy allows the console's own styles and images and nothing else (an
  injected ``<script>`` would not run); forms post only to this site; ``frame-ancestors
  'none'`` and ``X-Frame-Options: DENY`` stop a foreign page from framing the console and
  tricking an operator into clicking a one-click form such as **Activate**.
- ``Cache-Control: no-store`` on pages: after **Sign out** the browser's back button must not
  show rules, models or investors from its cache.

The headers common to the API (``nosniff``, ``Referrer-Policy``) come from
``webapi.http.security_headers``.
"""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from webapi.http.console.blueprint import bp

CONSOLE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@bp.after_request
def _console_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONSOLE_CSP
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response
