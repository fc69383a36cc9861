"""The OpenAPI 3 document of the API, served at ``/v1/openapi.json``.

Record schemas are generated from the contract's ``Field`` specs, so the document cannot drift
from what the validator accepts; each operation's summary comes from its view's docstring and
its ``x-roles`` from the view's ``require`` decorator. A test checks that every route under
``/v1`` (and the health routes) is documented with its methods, and nothing else is.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app

from data.contract import EVENT_FIELDS, INVESTOR_FIELDS, PACKAGE_FIELDS, Field
from data.json_records import ID_FIELDS
from data.schema import ID_LENGTH
from webapi.http.api.lists import BUYERS_K, RECOMMENDATIONS_K, SIMILAR_K

bp = Blueprint("openapi", __name__)

API_VERSION = "1.0.0"
JSON = "application/json"
PROBLEM = "application/problem+json"
DOCUMENTED_PREFIXES = ("/v1/",)
DOCUMENTED_EXTRAS = ("/healthz", "/readyz", "/metrics")


@bp.get("/v1/openapi.json")
def openapi_json() -> dict:
    """This document."""
    return openapi_document(current_app)


def documented_rules(app: Flask) -> dict[str, set[str]]:
    """The app's routes the document must describe, as OpenAPI paths with their methods."""
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(DOCUMENTED_PREFIXES) or rule.rule in DOCUMENTED_EXTRAS:
            path = rule.rule.replace("<", "{").replace(">", "}")
            methods = {method.lower() for method in rule.methods or ()} - {"head", "options"}
            routes.setdefault(path, set()).update(methods)
    return routes


def openapi_document(app: Flask) -> dict[str, Any]:
    """The whole document, with summaries and roles read from the registered views."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = OPERATIONS.get((path, method.lower()))
            if operation is None:
                continue
            view = app.view_functions[rule.endpoint]
            paths.setdefault(path, {})[method.lower()] = _operation(operation, view)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "AssetMatch API",
            "version": API_VERSION,
            "description": "Investor-asset recommendations for distressed-asset marketplaces. "
            "Every error is application/problem+json. See docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"securitySchemes": SECURITY_SCHEMES, "schemas": SCHEMAS, "responses": RESPONSES},
    }


def _operation(spec: dict[str, Any], view: Any) -> dict[str, Any]:
    operation = dict(spec)
    doc = (view.__doc__ or "").strip().splitlines()
    if doc:
        operation.setdefault("summary", doc[0].strip())
    roles = getattr(view, "roles", None)
    if roles is not None:
        operation["x-roles"] = list(roles)
    else:
        operation["security"] = []
    return operation


# ------------------------------------------------------------------------- schemas
def _field_schema(spec: Field) -> dict[str, Any]:
    schema: dict[str, Any]
    if spec.kind == "enum":
        schema = {"type": "string", "enum": list(spec.choices)}
    elif spec.kind == "list":
        schema = {"type": "array", "items": {"type": "string", "enum": list(spec.choices)}}
    elif spec.kind in ("decimal", "int"):
        schema = {"type": "number" if spec.kind == "decimal" else "integer"}
        if spec.minimum is not None:
            schema["minimum"] = spec.minimum
            if spec.minimum_exclusive:
                schema["exclusiveMinimum"] = True
        if spec.maximum is not None:
            schema["maximum"] = spec.maximum
    elif spec.kind == "bool":
        schema = {"type": "boolean"}
    elif spec.kind == "date":
        schema = {"type": "string", "format": "date", "example": "2025-03-14"}
    elif spec.kind == "timestamp":
        schema = {
            "type": "string",
            "example": "2025-03-14T09:30:00+08:00",
            "description": "ISO 8601 date or date-time; naive means Asia/Shanghai",
        }
    else:
        schema = {"type": "string", "minLength": 1}
        if spec.name in ID_FIELDS:
            schema["maxLength"] = ID_LENGTH
    if not spec.required or spec.default is not None:
        schema["nullable"] = True
    return schema


def _record_schema(fields: tuple[Field, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    required = [
        spec.name for spec in fields if spec.required and spec.default is None and spec.name not in optional
    ]
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": {spec.name: _field_schema(spec) for spec in fields},
    }


def _output(fields: tuple[Field, ...], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    properties = {spec.name: {**_field_schema(spec), "nullable": True} for spec in fields}
    for spec in fields:
        if spec.kind == "date":
            properties[spec.name] = {"type": "string", "format": "date"}
    return {"type": "object", "properties": {**properties, **(extra or {})}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "am_<key_id>_<secret>",
        "description": "An API key made with `assetmatch keys create`; the role decides what it may do.",
    }
}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "example": "urn:assetmatch:problem:validation-failed"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "path": {"type": "string", "description": "JSON pointer into the body, or ?param"},
                        "field": {"type": "string"},
                        "index": {"type": "integer", "description": "the item of a batch"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    },
    "Investor": _record_schema(INVESTOR_FIELDS, optional=("investor_id",)),
    "Package": _record_schema(PACKAGE_FIELDS, optional=("package_id",)),
    "InvestorRecord": _output(INVESTOR_FIELDS),
    "PackageRecord": _output(PACKAGE_FIELDS),
    "PackageView": _output(PACKAGE_FIELDS, {"live": {"type": "boolean"}}),
    "PackageUpserted": _output(
        PACKAGE_FIELDS,
        {
            "live": {
                "type": "boolean",
                "description": "on sale now: a live status, listed, not yet closed",
            },
            "warnings": {
                "type": "array",
                "items": {"type": "string"},
                "description": "why a stored listing is served to no one"
                " (closed, not yet listed, not on sale)",
            },
        },
    ),
    "Event": _record_schema(EVENT_FIELDS),
    "EventBatch": {
        "type": "object",
        "additionalProperties": False,
        "required": ["events"],
        "properties": {"events": {"type": "array", "minItems": 1, "maxItems": 1000, "items": _ref("Event")}},
    },
    "EventResult": {
        "type": "object",
        "properties": {
            "accepted": {"type": "integer", "description": "events stored by this request"},
            "duplicates": {
                "type": "integer",
                "description": "identical events already stored (or repeated in the batch)",
            },
            "event_ids": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the ids stored"
                " (an investor key's own ids prefixed with its investor id and '/')",
            },
        },
    },
    "Reason": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "text": {"type": "string"},
            "effect": {"type": "number"},
            "informative": {
                "type": "boolean",
                "description": "true when the reason did not move the score (effect 0)",
            },
        },
    },
    "RankedItem": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "rank": {"type": "integer"},
            "score": {"type": "number"},
            "model_score": {"type": "number"},
            "reasons": {"type": "array", "items": _ref("Reason")},
        },
    },
    "RankedList": {
        "type": "object",
        "required": ["request_id", "k", "model_version", "rule_version", "served_at", "items"],
        "properties": {
            "request_id": {
                "type": "string",
                "description": "quote it in events (request_id) to attribute feedback",
            },
            "investor_id": {"type": "string"},
            "package_id": {"type": "string"},
            "k": {"type": "integer"},
            "model_version": {"type": "string"},
            "rule_version": {"type": "integer"},
            "served_at": {"type": "string", "format": "date-time"},
            "items": {"type": "array", "items": _ref("RankedItem")},
            "removed": {
                "type": "array",
                "items": _ref("RankedItem"),
                "description": "operators with include_removed=true: what a rule removed, and why",
            },
            "warnings": {
                "type": "array",
                "items": {"type": "string"},
                "description": "present when a rule alone left the list empty (e.g. cross_border_only)",
            },
        },
    },
    "ModelVersion": {
        "type": "object",
        "properties": {
            "version": {"type": "string"},
            "active": {"type": "boolean"},
            "status": {"type": "string", "enum": ["active", "retired", "candidate", "rejected"]},
            "created_at": {"type": "string"},
            "trained_until": {"type": "string"},
            "event_high_water": {"type": "integer"},
            "artifact_path": {"type": "string"},
            "artifact_sha256": {"type": "string", "nullable": True},
            "params": {"type": "object"},
            "metrics": {"type": "object"},
            "note": {"type": "string", "nullable": True},
        },
    },
    "ModelList": {
        "type": "object",
        "properties": {
            "serving_version": {"type": "string", "nullable": True},
            "models": {"type": "array", "items": _ref("ModelVersion")},
        },
    },
    "Activation": {
        "type": "object",
        "properties": {"model": _ref("ModelVersion"), "serving_version": {"type": "string"}},
    },
    "RuleSetVersion": {
        "type": "object",
        "properties": {
            "version": {"type": "integer"},
            "status": {"type": "string"},
            "created_at": {"type": "string", "nullable": True},
            "author": {"type": "string", "nullable": True},
            "reason": {"type": "string"},
            "document": {"type": "object"},
            "serving_version": {"type": "integer", "nullable": True},
            "changes": {"type": "array", "items": {"type": "string"}},
            "rule_changes": _ref("RuleChanges"),
        },
    },
    "RuleChanges": {
        "type": "object",
        "description": "what a full rule document changes from the active version; reset: rules it "
        "leaves out that go back to their defaults",
        "properties": {
            "changed": {"type": "array", "items": {"type": "string"}},
            "reset": {"type": "array", "items": {"type": "string"}},
            "summary": {"type": "string"},
        },
    },
    "RuleHistory": {
        "type": "object",
        "properties": {"versions": {"type": "array", "items": _ref("RuleSetVersion")}},
    },
    "RuleChange": {
        "type": "object",
        "additionalProperties": False,
        "required": ["document", "why"],
        "properties": {
            "document": {
                "oneOf": [{"type": "object"}, {"type": "string"}],
                "description": "the rule-set document, or its YAML/JSON text",
            },
            "why": {"type": "string", "minLength": 1},
        },
    },
    "RulePreview": {"type": "object", "description": "the what-if comparison of matching.preview"},
    "Readiness": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["ready", "not ready"]},
            "ready": {"type": "boolean"},
            "database": {"type": "string"},
            "model": {
                "type": "string",
                "description": "loaded; no active model; model <v>: model artifact missing/unreadable; "
                "serving fallback version <N>; active version <M> artifact invalid",
            },
            "model_version": {"type": "string", "nullable": True},
            "active_model_version": {"type": "string", "nullable": True},
            "rule_version": {"type": "integer", "nullable": True},
            "skipped_rows": {
                "type": "object",
                "description": "stored rows left out because they break the data contract, by table",
                "additionalProperties": {"type": "integer"},
            },
        },
    },
}

_PROBLEM_CONTENT = {PROBLEM: {"schema": _ref("Problem")}}
RESPONSES: dict[str, Any] = {
    name: {"description": description, "content": _PROBLEM_CONTENT}
    for name, description in {
        "BadRequest": "a query parameter is out of range, or the body is not valid JSON",
        "Unauthorized": "no API key, or an invalid or revoked one",
        "Forbidden": "the key's role may not do this, or an investor key named another investor",
        "NotFound": "no such investor, package or model version",
        "Conflict": "the change conflicts with the store (e.g. a model artifact is missing)",
        "PayloadTooLarge": "the body exceeds the size limit, or a batch holds too many events",
        "UnsupportedMediaType": "the body is not sent as JSON (or YAML, for rules)",
        "Unprocessable": "the body was refused: errors lists every problem",
        "Unavailable": "the database is unreachable or no model is loaded",
    }.items()
}


def _errors(*statuses: int) -> dict[str, Any]:
    names = {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
        413: "PayloadTooLarge",
        415: "UnsupportedMediaType",
        422: "Unprocessable",
        503: "Unavailable",
    }
    return {str(status): {"$ref": f"#/components/responses/{names[status]}"} for status in statuses}


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1, "maxLength": ID_LENGTH},
    }


def _k(bounds: tuple[int, int, int]) -> dict[str, Any]:
    default, low, high = bounds
    return {
        "name": "k",
        "in": "query",
        "required": False,
        "description": "list length",
        "schema": {"type": "integer", "minimum": low, "maximum": high, "default": default},
    }


def _flag(name: str, default: bool, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "boolean", "default": default},
    }


_EXPLAIN = _flag("explain", True, "include each item's reasons")
_REMOVED = _flag("include_removed", False, "operators only: also list what the rules removed, and why")
_LIST_ERRORS = _errors(400, 401, 403, 404, 503)

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/healthz", "get"): {
        "tags": ["health"],
        "responses": {"200": _json({"type": "object"}, "the process is up")},
    },
    ("/readyz", "get"): {
        "tags": ["health"],
        "responses": {
            "200": _json(_ref("Readiness"), "the database answers and a model is loaded"),
            "503": _json(_ref("Readiness"), "not ready: the body says what is missing"),
        },
    },
    ("/metrics", "get"): {
        "tags": ["health"],
        "responses": {
            "200": {
                "description": "Prometheus text format",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
        },
    },
    ("/v1/openapi.json", "get"): {
        "tags": ["meta"],
        "responses": {"200": _json({"type": "object"}, "this document")},
    },
    ("/v1/investors/{investor_id}/recommendations", "get"): {
        "tags": ["lists"],
        "parameters": [_path_id("investor_id", "the investor"), _k(RECOMMENDATIONS_K), _EXPLAIN, _REMOVED],
        "responses": {"200": _json(_ref("RankedList"), "ranked live packages"), **_LIST_ERRORS},
    },
    ("/v1/packages/{package_id}/buyers", "get"): {
        "tags": ["lists"],
        "parameters": [_path_id("package_id", "the listing"), _k(BUYERS_K), _EXPLAIN, _REMOVED],
        "responses": {"200": _json(_ref("RankedList"), "ranked eligible investors"), **_LIST_ERRORS},
    },
    ("/v1/packages/{package_id}/similar", "get"): {
        "tags": ["lists"],
        "parameters": [_path_id("package_id", "the listing"), _k(SIMILAR_K), _EXPLAIN, _REMOVED],
        "responses": {"200": _json(_ref("RankedList"), "similar live packages"), **_LIST_ERRORS},
    },
    ("/v1/packages/{package_id}", "get"): {
        "tags": ["market"],
        "parameters": [_path_id("package_id", "the listing")],
        "responses": {
            "200": _json(_ref("PackageView"), "the listing, personal data masked"),
            **_errors(401, 403, 404, 503),
        },
    },
    ("/v1/packages/{package_id}", "put"): {
        "tags": ["market"],
        "parameters": [_path_id("package_id", "the listing")],
        "requestBody": {"required": True, "content": {JSON: {"schema": _ref("Package")}}},
        "responses": {
            "200": _json(_ref("PackageUpserted"), "updated"),
            "201": _json(_ref("PackageUpserted"), "created"),
            **_errors(400, 401, 403, 404, 413, 415, 422, 503),
        },
    },
    ("/v1/investors/{investor_id}", "put"): {
        "tags": ["market"],
        "parameters": [_path_id("investor_id", "the investor")],
        "requestBody": {"required": True, "content": {JSON: {"schema": _ref("Investor")}}},
        "responses": {
            "200": _json(_ref("InvestorRecord"), "updated"),
            "201": _json(_ref("InvestorRecord"), "created"),
            **_errors(400, 401, 403, 404, 413, 415, 422, 503),
        },
    },
    ("/v1/events", "post"): {
        "tags": ["events"],
        "requestBody": {
            "required": True,
            "content": {JSON: {"schema": {"oneOf": [_ref("Event"), _ref("EventBatch")]}}},
        },
        "responses": {
            "201": _json(_ref("EventResult"), "stored (some or all were new)"),
            "200": _json(_ref("EventResult"), "every event was already stored"),
            **_errors(400, 401, 403, 409, 413, 415, 422, 503),
        },
    },
    ("/v1/rules", "get"): {
        "tags": ["rules"],
        "responses": {"200": _json(_ref("RuleSetVersion"), "the active rule set"), **_errors(401, 403, 503)},
    },
    ("/v1/rules", "put"): {
        "tags": ["rules"],
        "parameters": [
            {
                "name": "why",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "the reason, when the body is YAML text",
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                JSON: {"schema": _ref("RuleChange")},
                "application/yaml": {"schema": {"type": "string"}},
            },
        },
        "responses": {
            "200": _json(_ref("RuleSetVersion"), "the new active version"),
            **_errors(400, 401, 403, 409, 413, 415, 422, 503),
        },
    },
    ("/v1/rules/history", "get"): {
        "tags": ["rules"],
        "responses": {
            "200": _json(_ref("RuleHistory"), "every version, newest first"),
            **_errors(401, 403, 503),
        },
    },
    ("/v1/rules/preview", "post"): {
        "tags": ["rules"],
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": {
                        "type": "object",
                        "required": ["document"],
                        "properties": {
                            "document": {"oneOf": [{"type": "object"}, {"type": "string"}]},
                            "investors": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
                            "k": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                            "offline": {
                                "type": "boolean",
                                "default": False,
                                "description": "also replay the evaluation split (refits the model: slow)",
                            },
                        },
                        "additionalProperties": False,
                    }
                },
            },
        },
        "responses": {
            "200": _json(_ref("RulePreview"), "what the change would do"),
            **_errors(400, 401, 403, 413, 415, 422, 503),
        },
    },
    ("/v1/models", "get"): {
        "tags": ["models"],
        "responses": {
            "200": _json(_ref("ModelList"), "every version, newest first"),
            **_errors(401, 403, 503),
        },
    },
    ("/v1/models/{version}/activate", "post"): {
        "tags": ["models"],
        "parameters": [{"name": "version", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {
            "200": _json(_ref("Activation"), "active and served"),
            **_errors(401, 403, 404, 409, 422, 503),
        },
    },
}
