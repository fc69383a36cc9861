"""Make a registered model version the one serving uses: promote, roll forward or roll back.

Activation is one transaction that flips the active row, taken only after the version's
artifact has been loaded successfully, so a missing or corrupt file can never become the
active model: serving processes (which poll the active version) would otherwise swap to a
model they cannot load.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

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


class ActivationRefusedError(RuntimeError):
    """A version that cannot serve (unknown, or its artifact does not load); nothing changed."""

    def __init__(self, version: str, problem: str, active: str | None) -> None:
        still = f"version {active} is still active" if active else "no version is active"
        super().__init__(f"refusing to activate {version}: {problem}; {still}")
        self.version = version
        self.active = active


def activate_model_version(engine: Engine, version: str) -> tuple[ModelVersion, ModelVersion | None]:
    """Activate ``version`` after checking its artifact loads; returns (it, the version it replaced).

    Raises ``ActivationRefusedError`` for an unknown version or an unloadable artifact, leaving
    the active version as it was. Activating the active version changes nothing.
    """
    with engine.connect() as connection:
        target = get_version(connection, version)
        current = active_version(connection)
    current_name = current.version if current else None
    if target is None:
        raise ActivationRefusedError(version, "no such model version", current_name)
    try:
        HybridRecommender.load(Path(target.artifact_path))
    except ArtifactError as error:
        raise ActivationRefusedError(version, str(error), current_name) from error
    with engine.begin() as connection:
        previous = active_version(connection)
        try:
            activate_version(connection, version)
        except UnknownModelVersionError as error:  # removed since we looked
            raise ActivationRefusedError(version, "no such model version", current_name) from error
    return replace(target, status=ACTIVE), previous
