"""The matching rule set: read it and its history, change it (with a reason), preview a change.

Rules are the operators' alone. A change is validated in full before anything is stored (422
listing every problem), stored as a new version with who made it and why, served by this
process before the response and by every other process within its poll interval.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from data.api_keys import OPERATOR
from data.rule_store import AUTHOR_MAX_LENGTH, RuleSetAuditError
from matching.rule_document import RuleDocumentError, parse_rule_document
from webapi.http.api.auth import current_caller, require
from webapi.http.api.heavy_calls import heavy_call
from webapi.http.api.params import is_json_request, json_body
from webapi.http.api.problems import ProblemError
from webapi.http.context import engine, serving_state
from webapi.services.model_store import utc_now
from webapi.services.rule_sets import (
    active_rule_set_json,
    apply_rule_set,
    preview_rule_set,
    rule_versions_json,
)

bp = Blueprint("rules", __name__)

YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"})


@bp.get("/v1/rules")
@require(OPERATOR)
def get_rules() -> dict:
    """The rule set in force: its version, full document and audit (who, when, why)."""
    active = active_rule_set_json(engine())
    state = serving_state()
    state.refresh()
    snapshot = state.snapshot
    return {**active, "serving_version": snapshot.rule_version if snapshot else None}


@bp.get("/v1/rules/history")
@require(OPERATOR)
def get_history() -> dict:
    """Every version, newest first, each with the rules it changed; the built-in defaults last."""
    return {"versions": rule_versions_json(engine())}


@bp.put("/v1/rules")
@require(OPERATOR)
def put_rules() -> dict:
    """Apply a new rule set: ``{"document": ..., "why": ...}`` as JSON, or YAML text with ``?why=``.

    The document is a full rule set (a rule left out takes its default), so the answer says which
    rules changed and which of them went back to their defaults (``rule_changes``).
    """
    document, why = _document_and_why()
    author = current_caller().author[:AUTHOR_MAX_LENGTH]
    try:
        applied = apply_rule_set(serving_state(), document, author, why, utc_now())
    except RuleSetAuditError as error:
        raise ProblemError(
            422, str(error), errors=[{"field": "why", "path": "/why", "message": str(error)}]
        ) from None
    return {**applied.version.to_json(), "rule_changes": applied.changes.to_json()}


def _document_and_why() -> tuple[Any, str]:
    """The document (data or text) and the reason, from a JSON envelope or a YAML body."""
    if is_json_request():
        body = json_body()
        if not isinstance(body, dict) or "document" not in body:
            raise ProblemError(
                422,
                'send {"document": <rules as an object or YAML/JSON text>, "why": "..."}',
                errors=[{"field": "document", "path": "/document", "message": "missing"}],
            )
        extra = sorted(set(body) - {"document", "why"})
        if extra:
            raise ProblemError(
                422,
                "unknown fields in the request body",
                errors=[{"field": name, "path": f"/{name}", "message": "unknown field"} for name in extra],
            )
        document, why = body["document"], body.get("why")
        if not isinstance(document, dict | str):
            raise RuleDocumentError(["(document): must be a mapping of rules or its YAML/JSON text"])
    elif (request.mimetype or "") in YAML_TYPES:
        try:
            document = request.get_data(as_text=False).decode("utf-8")
        except UnicodeDecodeError:
            raise ProblemError(400, "the YAML body is not UTF-8", "malformed-yaml") from None
        why = request.args.get("why")
    else:
        raise ProblemError(
            415, "send the rule set as application/json ({document, why}) or application/yaml (?why=)"
        )
    if not isinstance(why, str) or not why.strip() or "\x00" in why:
        message = "say why the rules change (a non-empty text)"
        raise ProblemError(422, message, errors=[{"field": "why", "path": "/why", "message": message}])
    return document, why


@bp.post("/v1/rules/preview")
@require(OPERATOR)
def preview() -> dict:
    """What a candidate rule set would change, before it is applied (nothing is stored).

    Body: ``{"document": ..., "investors": 50, "k": 20, "offline": false}``. The sampled lists
    are ranked under the active and the candidate rules by a private copy of the serving model;
    ``offline: true`` also replays the evaluation split (it refits the model at the split's
    cutoff: seconds on a small market, minutes on a large one). A preview holds its worker for
    that long, so one runs at a time per server (``webapi.http.api.heavy_calls``): another is
    answered 503 with Retry-After rather than taking a second worker from serving.
    """
    body = json_body()
    if not isinstance(body, dict) or "document" not in body:
        raise ProblemError(
            422,
            'send {"document": <rules as an object or YAML/JSON text>}',
            errors=[{"field": "document", "path": "/document", "message": "missing"}],
        )
    extra = sorted(set(body) - PREVIEW_FIELDS)
    if extra:
        raise ProblemError(
            422,
            "unknown fields in the request body",
            errors=[{"field": name, "path": f"/{name}", "message": "unknown field"} for name in extra],
        )
    sample = _bounded(body, "investors", *PREVIEW_BOUNDS["investors"])
    k = _bounded(body, "k", *PREVIEW_BOUNDS["k"])
    offline = body.get("offline", False)
    if not isinstance(offline, bool):
        raise ProblemError(
            422,
            "offline must be true or false",
            errors=[{"field": "offline", "path": "/offline", "message": "must be true or false"}],
        )
    document = body["document"]
    if not isinstance(document, dict | str):
        raise RuleDocumentError(["(document): must be a mapping of rules or its YAML/JSON text"])
    parse_rule_document(document)
    state = serving_state()
    with state.serving() as snapshot:
        version = snapshot.model_version
    previewed = preview_rule_set(
        engine(), version, document, state.clock(), sample=sample, k=k, offline=offline,
        gate=lambda: heavy_call("this preview"),
    )
    return {**previewed.to_json(), "skipped_rows": dict(previewed.market.skipped)}


PREVIEW_FIELDS = frozenset({"document", "investors", "k", "offline"})
#: (default, low, high) of the preview's numbers.
PREVIEW_BOUNDS: dict[str, tuple[int, int, int]] = {"investors": (50, 1, 500), "k": (20, 1, 100)}


def _bounded(body: dict, name: str, default: int, low: int, high: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        message = f"must be an integer from {low} to {high}"
        raise ProblemError(
            422, f"{name} {message}", errors=[{"field": name, "path": f"/{name}", "message": message}]
        )
    return value
