"""Every API error as RFC 9457 problem details, mapped in one place.

A view raises; it never builds an error response itself. Werkzeug's HTTP errors (404 for an
unknown route, 405, 413), the engine's named errors and anything unexpected all leave here as
``application/problem+json`` with ``type``, ``title``, ``status`` and ``detail``; validation
problems add ``errors``, one entry per problem. A 500 is logged (masked, like every log line)
and answered without a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from data.json_records import problem_index
from data.problems import MarketFileError
from matching.errors import UnknownInvestorError, UnknownPackageError
from matching.rule_document import RuleDocumentError
from recommender.errors import ArtifactError
from webapi.services.model_store import NoActiveModelError
from webapi.services.serving import ModelUnavailableError

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:assetmatch:problem:"
logger = logging.getLogger(__name__)

#: The ``type`` slug of each status when nothing more specific applies.
DEFAULT_TYPES: dict[int, str] = {
    400: "invalid-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    500: "internal-error",
    503: "unavailable",
}


class ProblemError(Exception):
    """An error the API answers with a problem document.

    Parameters
    ----------
    status
        The HTTP status.
    detail
        What went wrong in this request, in a sentence a client developer can act on.
    kind
        The ``type`` slug (``urn:assetmatch:problem:<kind>``); defaults by status.
    errors
        For validation: one ``{"field"|"path", "message"}`` entry per problem.
    headers
        Extra response headers (``WWW-Authenticate``, ``Allow``).
    """

    def __init__(
        self,
        status: int,
        detail: str,
        kind: str | None = None,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or DEFAULT_TYPES.get(status, "error")
        self.errors = list(errors) if errors is not None else None
        self.headers = headers or {}


def problem_response(
    status: int,
    detail: str,
    kind: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    title: str | None = None,
) -> Response:
    """A problem-details response (its strings masked by the app's JSON provider)."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + (kind or DEFAULT_TYPES.get(status, "error")),
        "title": title or _title(status),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = list(errors)
    response = current_app.json.response(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def validation_errors(error: MarketFileError, source: str) -> list[dict[str, Any]]:
    """One entry per problem of a refused body: a JSON pointer, the field, the item index."""
    entries = []
    for problem in error.problems:
        index = problem_index(problem)
        entry: dict[str, Any] = {"message": problem.message}
        pointer = f"/{source}/{index}" if source else ""
        if problem.column:
            entry["field"] = problem.column
            pointer += f"/{problem.column}"
        if source:
            entry["index"] = index
        entry["path"] = pointer or "/"
        entries.append(entry)
    return entries


def register_problem_handlers(app: Flask) -> None:
    """Route every error the app can raise to a problem response."""
    app.register_error_handler(ProblemError, _from_problem)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(UnknownInvestorError, _unknown("unknown-investor"))
    app.register_error_handler(UnknownPackageError, _unknown("unknown-package"))
    app.register_error_handler(MarketFileError, _from_market_file)
    app.register_error_handler(RuleDocumentError, _from_rule_document)
    app.register_error_handler(NoActiveModelError, _no_model)
    app.register_error_handler(ModelUnavailableError, _no_model)
    app.register_error_handler(ArtifactError, _artifact_unreadable)
    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(IntegrityError, _conflict)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(Exception, _internal)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _from_problem(error: ProblemError) -> Response:
    return problem_response(error.status, error.detail, error.kind, error.errors, error.headers)


def _from_http(error: HTTPException) -> Response:
    status = error.code or 500
    headers = {}
    valid = getattr(error, "valid_methods", None)
    if status == 405 and valid:
        headers["Allow"] = ", ".join(sorted(valid))
    detail = _http_detail(status, error)
    return problem_response(status, detail, headers=headers)


def _http_detail(status: int, error: HTTPException) -> str:
    if status == 404:
        return f"no resource at {request.path}"
    if status == 405:
        return f"{request.method} is not allowed on {request.path}"
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return (
            f"the request body exceeds the limit of {limit} bytes"
            if limit
            else "the request body is too large"
        )
    return error.description or _title(status)


def _unknown(kind: str):  # type: ignore[no-untyped-def]
    def handle(error: LookupError) -> Response:
        return problem_response(404, str(error), kind)

    return handle


def _from_market_file(error: MarketFileError) -> Response:
    source = error.problems[0].file if error.problems else ""
    noun = "problem" if error.total == 1 else "problems"
    return problem_response(
        422, f"the request body was refused, {error.total} {noun}", errors=validation_errors(error, source)
    )


def _from_rule_document(error: RuleDocumentError) -> Response:
    errors = [_rule_problem(problem) for problem in error.problems]
    noun = "problem" if len(errors) == 1 else "problems"
    return problem_response(
        422, f"the rule-set document was refused, {len(errors)} {noun}", "invalid-rule-set", errors
    )


def _rule_problem(problem: str) -> dict[str, Any]:
    field, _, message = problem.partition(": ")
    if not message or field == "(document)":
        return {"path": "/document", "message": message or problem}
    return {"field": field, "path": "/document/" + field.replace(".", "/"), "message": message}


def _no_model(error: Exception) -> Response:
    return problem_response(503, str(error), "model-unavailable", headers={"Retry-After": "5"})


def _artifact_unreadable(error: ArtifactError) -> Response:
    """A model file that went bad after it was loaded (a preview re-reads it): a state, not its path."""
    logger.error("model artifact unreadable on %s %s: %s", request.method, request.path, error)
    return problem_response(
        503, "model artifact unreadable", "model-unavailable", headers={"Retry-After": "5"}
    )


def _database_down(error: OperationalError) -> Response:
    logger.warning("database unavailable: %s", error.orig if error.orig is not None else error)
    return problem_response(503, "database unreachable", "database-unavailable", headers={"Retry-After": "5"})


def _conflict(error: IntegrityError) -> Response:
    logger.warning("write refused by the store: %s", error.orig if error.orig is not None else error)
    return problem_response(409, "the change conflicts with a concurrent one; send it again")


def _database_error(error: DBAPIError) -> Response:
    if error.connection_invalidated:
        return _database_down(error)  # type: ignore[arg-type]
    return _internal(error)


def _internal(error: Exception) -> Response:
    if isinstance(error, HTTPException):  # pragma: no cover - routed to _from_http first
        return _from_http(error)
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return problem_response(500, "an unexpected error occurred; it has been logged")
