"""The operator console: server-rendered pages for the rules, the models and package exposure.

Plain Flask templates and one stylesheet; no JavaScript is needed, so there is nothing to
build. The pages sit beside the JSON API on the same app and share its serving state, key
store and activation code; only the way an operator proves who they are differs (a signed
session cookie instead of a bearer key, see ``webapi.http.console.signin``).

Every value a template writes passes the personal-data mask (``data.masking``), the way every
JSON string does in the API, so a page cannot show a debtor's ID, mobile or card number that a
seller put in a listing's title or description.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import Flask, render_template
from markupsafe import Markup
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from data.masking import mask_personal_data
from recommender.errors import ArtifactError
from webapi.http.api.problems import ProblemError
from webapi.http.console import exposure, headers, models, rules, signin  # noqa: F401 - each adds its views to bp
from webapi.http.console.blueprint import bp
from webapi.http.console.secret import install_secret_key
from webapi.http.console.session_cookie import ConsoleSessionInterface

logger = logging.getLogger(__name__)


def register_console(app: Flask) -> None:
    """Install the session key, the masking of every rendered value, and the console's routes."""
    install_secret_key(app)
    app.session_interface = ConsoleSessionInterface()
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:  # Flask's default sets no SameSite at all
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.jinja_env.finalize = masked
    app.register_blueprint(bp)


def masked(value: Any) -> Any:
    """Jinja's last step before a ``{{ value }}`` is written: mask personal data in text."""
    if isinstance(value, Markup):
        return Markup(mask_personal_data(str(value)))
    if isinstance(value, str):
        return mask_personal_data(value)
    return value


@bp.app_template_filter("when")
def when(value: datetime | str | None) -> str:
    """A stored (naive UTC) timestamp or its ISO text as ``2026-06-20 14:05 UTC``; ``–`` for none."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return f"{value:%Y-%m-%d %H:%M} UTC"


def _error_page(status: int, message: str) -> tuple[str, int]:
    return render_template("console/error.html", status=status, message=message), status


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    if status == 404:
        return _error_page(
            404, "There is nothing here. It may have been removed, or the address is mistyped."
        )
    return _error_page(status, error.description or "The request could not be handled.")


@bp.errorhandler(ProblemError)
def _problem(error: ProblemError) -> tuple[str, int]:
    return _error_page(error.status, error.detail)


@bp.errorhandler(OperationalError)
def _database_down(error: OperationalError) -> tuple[str, int]:
    logger.warning("console: database unavailable: %s", error.orig if error.orig is not None else error)
    return _error_page(503, "The database is unavailable. Try again in a moment.")


@bp.errorhandler(ArtifactError)
def _artifact_unreadable(error: ArtifactError) -> tuple[str, int]:
    logger.error("console: model artifact unreadable: %s", error)
    return _error_page(503, "The model artifact is unreadable; the server log says why.")


@bp.errorhandler(Exception)
def _internal(error: Exception) -> tuple[str, int]:
    logger.exception("console: unhandled error")
    return _error_page(500, "An unexpected error occurred; it has been logged.")
