"""The web room: the Flask application factory and everything that speaks HTTP.

``create_app`` builds the app; ``api/`` holds the JSON API's blueprints, ``console/`` the
operators' pages, ``context`` the per-process objects views share (engine, serving state,
served-list writer), ``metrics`` the request metrics and ``/metrics``, ``process_heartbeat``
each process's report of what it serves, ``security_headers`` the response headers.
Views are thin: parse, authorise, call ``webapi.services`` (or the lower layers), render.
"""

from __future__ import annotations

from webapi.http.app import create_app

__all__ = ["create_app"]
