"""Model versions: list them with their metrics, and activate one (hot-swapped, no restart)."""

from __future__ import annotations

from flask import Blueprint

from data.api_keys import OPERATOR
from data.model_registry import list_versions
from webapi.http.api.auth import READERS, require
from webapi.http.api.problems import ProblemError
from webapi.http.context import engine, serving_state
from webapi.services.activation import ActivationRefusedError, activate_and_serve

bp = Blueprint("models", __name__)


@bp.get("/v1/models")
@require(*READERS)
def list_models() -> dict:
    """Every version, newest first, and the one this process serves."""
    with engine().connect() as connection:
        versions = list_versions(connection)
    state = serving_state()
    state.refresh()
    snapshot = state.snapshot
    return {
        "serving_version": snapshot.model_version.version if snapshot else None,
        "models": [version.to_json() for version in versions],
    }


@bp.post("/v1/models/<version>/activate")
@require(OPERATOR)
def activate(version: str) -> dict:
    """Make ``version`` the active model, after checking that its artifact loads and serves.

    The console's Activate button runs the same service (``webapi.services.activation``), with
    the CLI's checks: an unknown version is 404, a missing artifact is 409, one that fails its
    checksum, is not a model or whose arrays do not fit together is 422, and a matcher is built
    over it before anything is written; a refusal leaves the active version
    and what every process serves unchanged. This process serves the new version before
    responding; the others swap on their next poll.
    """
    try:
        activated = activate_and_serve(serving_state(), version)
    except ActivationRefusedError as error:
        raise ProblemError(error.status, error.detail, error.kind) from None
    return {"model": activated.to_json(), "serving_version": version}
