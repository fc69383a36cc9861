"""Model versions: list them with their metrics, and activate one (hot-swapped, no restart)."""

from __future__ import annotations

from flask import Blueprint

from data.api_keys import OPERATOR
from data.model_registry import ACTIVE, activate_version, get_version, list_versions
from recommender.errors import ArtifactError
from webapi.api.auth import READERS, require
from webapi.api.context import engine, serving_state
from webapi.api.problems import ProblemError
from webapi.serving import ArtifactMissingError, load_artifact

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

    The artifact is loaded and a matcher built before anything is written, so a missing (409)
    or corrupt (422) artifact leaves the active version and what every process serves unchanged.
    This process serves the new version before responding; the others swap on their next poll.
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
            model = load_artifact(found)
        except ArtifactMissingError as error:
            raise ProblemError(409, f"{error}; the active model is unchanged", "artifact-missing") from None
        except ArtifactError as error:
            raise ProblemError(422, f"{error}; the active model is unchanged", "artifact-corrupt") from None
        snapshot = state.build_snapshot(found, model)
        with store.begin() as connection:
            activate_version(connection, version)
            activated = get_version(connection, version)
        state.install(snapshot)
    return {"model": activated.to_json() if activated else found.to_json(), "serving_version": version}
