"""Make a registered model version the one serving uses: promote, roll forward or roll back.

One function, :func:`activate_model_version`, for every way an operator activates: the CLI
(``assetmatch models activate``), the API (``POST /v1/models/<version>/activate``) and the
console's Activate button; a serving process (the API and the console) goes through
:func:`activate_and_serve`, which also installs the new version in that process before returning.
Activation is one transaction that flips the active row, taken only
after the version's artifact has passed :func:`webapi.services.model_store.load_verified` (file present,
checksum, arrays, registered shape), so a missing, corrupt or foreign file can never become the
active model: serving processes (which poll the active version) would otherwise swap to a model
they cannot load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Generic, TypeVar

from sqlalchemy import Engine

from data.model_registry import (
    ACTIVE,
    ModelVersion,
    UnknownModelVersionError,
    activate_version,
    active_version,
    get_version,
)
from recommender.errors import ArtifactError
from recommender.hybrid import HybridRecommender
from webapi.services.model_store import ArtifactMissingError, load_verified
from webapi.services.serving import ServingState

Prepared = TypeVar("Prepared")

UNKNOWN = "unknown-model"
ARTIFACT_MISSING = "artifact-missing"
ARTIFACT_CORRUPT = "artifact-corrupt"
#: The HTTP status of each refusal: no such version, no file, a file that cannot serve.
REFUSAL_STATUS = {UNKNOWN: 404, ARTIFACT_MISSING: 409, ARTIFACT_CORRUPT: 422}


class ActivationRefusedError(RuntimeError):
    """A version that cannot serve (unknown, or its artifact fails the checks); nothing changed.

    ``problem`` says what is wrong without the artifact's path (for HTTP answers); ``str()``
    adds which version stays active, and ``path`` is where the file was looked for.
    """

    def __init__(
        self, version: str, problem: str, active: str | None, kind: str, path: object = None
    ) -> None:
        still = f"version {active} is still active" if active else "no version is active"
        super().__init__(f"refusing to activate {version}: {problem}; {still}")
        self.version = version
        self.problem = problem
        self.active = active
        self.kind = kind
        self.path = path

    @property
    def status(self) -> int:
        return REFUSAL_STATUS[self.kind]

    @property
    def detail(self) -> str:
        """What an operator is told: the problem and, for a version that exists, that nothing changed."""
        return self.problem if self.kind == UNKNOWN else f"{self.problem}; the active model is unchanged"


@dataclass(frozen=True)
class Activation(Generic[Prepared]):
    """What an activation did: the version now active, the one it replaced, what was prepared."""

    version: ModelVersion
    previous: ModelVersion | None
    prepared: Prepared | None = None

    @property
    def changed(self) -> bool:
        return self.previous is None or self.previous.version != self.version.version


def activate_model_version(
    engine: Engine,
    version: str,
    prepare: Callable[[ModelVersion, HybridRecommender], Prepared] | None = None,
    cache_dir: Path | None = None,
) -> Activation[Prepared]:
    """Activate ``version`` after its artifact passes every check; returns what changed.

    ``prepare`` (a serving process's snapshot builder) runs on the verified model before the
    store is written, so a failure there also leaves the active version as it was. Raises
    ``ActivationRefusedError`` for an unknown version or an artifact that fails a check.
    Activating the active version changes nothing.
    """
    with engine.connect() as connection:
        target = get_version(connection, version)
        current = active_version(connection)
    current_name = current.version if current else None
    if target is None:
        raise ActivationRefusedError(version, f"unknown model version {version!r}", current_name, UNKNOWN)
    try:
        model = load_verified(target, engine, cache_dir)
    except ArtifactMissingError as error:
        problem = f"the artifact of model {version} {error.reason}"
        raise ActivationRefusedError(version, problem, current_name, ARTIFACT_MISSING, error.path) from error
    except ArtifactError as error:
        problem = f"the artifact of model {version} {error.reason}"
        raise ActivationRefusedError(version, problem, current_name, ARTIFACT_CORRUPT, error.path) from error
    prepared = prepare(target, model) if prepare is not None else None
    with engine.begin() as connection:
        previous = active_version(connection)
        try:
            activate_version(connection, version)
        except UnknownModelVersionError as error:  # removed since we looked
            raise ActivationRefusedError(
                version, f"unknown model version {version!r}", current_name, UNKNOWN
            ) from error
    return Activation(replace(target, status=ACTIVE), previous, prepared)


def activate_and_serve(state: ServingState, version: str) -> ModelVersion:
    """Activate ``version`` and have this process serve it before returning; the others swap on their poll.

    The one path of the API's ``POST /v1/models/<version>/activate`` and the console's Activate
    button. Activating the version this process already serves changes nothing. The serving
    snapshot is built from the verified model before the store is written, under the process's
    swap lock, so a refusal (``ActivationRefusedError``) leaves both the active version and what
    this process serves as they were.
    """
    with state.engine.connect() as connection:
        found = get_version(connection, version)
    if found is None:
        raise ActivationRefusedError(version, f"unknown model version {version!r}", None, UNKNOWN)
    serving = state.snapshot
    if found.status == ACTIVE and serving is not None and serving.model_version.version == version:
        return found
    with state.swap_lock():
        activation = activate_model_version(
            state.engine, version, prepare=state.build_snapshot, cache_dir=state.artifact_cache
        )
        if activation.prepared is not None:
            state.install(activation.prepared)
    return activation.version
