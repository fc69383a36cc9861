"""Model versions: list them with their metrics, and activate one (hot-swapped, no restart)."""

from __future__ import annotations

from flask import Blueprint

from data.api_keys import OPERATOR
from data.model_registry import ACTIVE, get_version, list_versions
from webapi.activation import ActivationRefusedError, activate_model_version
from webapi.api.auth import READERS, require
from webapi.api.context import engine, serving_state
from webapi.api.problems import ProblemError

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

    The same checks as the CLI's (``webapi.activation``): a missing artifact is 409, one that
    fails its checksum, is not a model or whose arrays do not fit together is 422, and a
    matcher is built over it before anything is written; a refusal leaves the active version
    and what every process serves unchanged. This process serves the new version before
    responding; the others swap on their next poll.
    """
    store = engine()
    with store.connect() as connection:
        found = get_version(connection, version)
    if found is None:
        raise ProblemError(404, f"unknown model version {version!r}", "unknown-model")
    state = serving_state()
    serving = state.snapshot
    if found.status == ACTIVE and serving is not None and serving.model_version.version == version:
        return {"model": found.to_json(), "serving_version": version}
    with state.swap_lock():
        try:
            activation = activate_model_version(store, version, prepare=state.build_snapshot)
        except ActivationRefusedError as error:
            raise ProblemError(
                error.status, f"{error.problem}; the active model is unchanged", error.kind
            ) from None
        if activation.prepared is not None:
            state.install(activation.prepared)
    return {"model": activation.version.to_json(), "serving_version": version}
