"""Market data through the API: upsert an investor or a listing, read a listing.

An upsert is validated by the contract exactly as an import row is, committed together with
its journal row (``market_changes``), and folded into this process's matcher before the
response, so the new listing or investor is recommendable at once, without retraining; every
other process folds it in on its next poll, or at once when a list asks for an id it does not
know yet (``ServingState.catch_up``). A listing's answer says whether it is live now, by the
eligibility rule itself, and warns when it is stored but will not be served (closed already,
not yet listed, or a status that is not on sale).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, current_app

from data.api_keys import PLATFORM
from data.contract import INVESTOR_FIELDS, LIVE_STATUSES, PACKAGE_FIELDS, Field
from data.json_records import read_json_records, storable_id
from data.liveness import listing_live
from data.market_journal import INVESTOR, PACKAGE
from matching.errors import UnknownInvestorError, UnknownPackageError
from webapi.http.api.auth import EVERY_ROLE, require
from webapi.http.api.params import json_body
from webapi.http.api.problems import ProblemError
from webapi.http.api.records import record_json, utc_text
from webapi.http.context import engine, fold_in_now, serving_state
from webapi.services.market_records import stored_package, upsert_record
from webapi.services.model_store import utc_now

bp = Blueprint("market", __name__)


@bp.put("/v1/investors/<investor_id>")
@require(PLATFORM)
def put_investor(investor_id: str) -> Response:
    """Create or replace an investor; 201 when new, 200 when updated."""
    if not storable_id(investor_id):
        raise UnknownInvestorError(investor_id)
    return _upsert(investor_id, "investor_id", INVESTOR_FIELDS, INVESTOR)


@bp.put("/v1/packages/<package_id>")
@require(PLATFORM)
def put_package(package_id: str) -> Response:
    """Create or replace a listing; 201 when new, 200 when updated; says whether it is live now."""
    if not storable_id(package_id):
        raise UnknownPackageError(package_id)
    return _upsert(package_id, "package_id", PACKAGE_FIELDS, PACKAGE)


@bp.get("/v1/packages/<package_id>")
@require(*EVERY_ROLE)
def get_package(package_id: str) -> dict:
    """The listing as an investor sees it: the contract's fields, personal data masked, and ``live``."""
    if not storable_id(package_id):
        raise UnknownPackageError(package_id)
    row = stored_package(engine(), package_id)
    if row is None:
        raise UnknownPackageError(package_id)
    record = record_json(row, PACKAGE_FIELDS)
    record["live"] = listing_live(row["status"], row["listed_at"], row["closes_at"], serving_state().clock())
    return record


def liveness(row: dict, now: datetime) -> tuple[bool, list[str]]:
    """Whether a stored listing is live at ``now``, and why not, in words an integrator can act on."""
    warnings = []
    if row["status"] not in LIVE_STATUSES:
        warnings.append(
            f"status {row['status']!r} is not on sale (live statuses: {', '.join(sorted(LIVE_STATUSES))});"
            " the listing is stored but served to no one"
        )
    if row["closes_at"] <= now:
        warnings.append(
            f"the listing closed at {utc_text(row['closes_at'])}, before now ({utc_text(now)});"
            " it is stored but served to no one"
        )
    elif row["listed_at"] > now:
        warnings.append(
            f"the listing is not listed yet: it goes live at {utc_text(row['listed_at'])}"
            f" (now {utc_text(now)})"
        )
    return listing_live(row["status"], row["listed_at"], row["closes_at"], now), warnings


def _upsert(entity_id: str, key: str, fields: tuple[Field, ...], kind: str) -> Response:
    body = json_body()
    if not isinstance(body, dict):
        raise ProblemError(
            422, f"send the {kind} as a JSON object", errors=[{"path": "/", "message": "must be an object"}]
        )
    if key in body and body[key] != entity_id:
        message = f"must be absent or equal to the id in the path ({entity_id!r})"
        raise ProblemError(
            422,
            f"{key} in the body does not match the path",
            errors=[{"field": key, "path": f"/{key}", "message": message}],
        )
    frame = read_json_records([{**body, key: entity_id}], fields, "")
    upserted = upsert_record(engine(), kind, frame, utc_now())
    fold_in_now("an upsert")
    row = upserted.row
    body = record_json(row, fields)
    if kind == PACKAGE:
        body["live"], body["warnings"] = liveness(row, serving_state().clock())
    response = current_app.json.response(body)
    response.status_code = 200 if upserted.existed else 201
    return response
