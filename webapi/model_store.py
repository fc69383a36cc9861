"""Where trained models live: artifacts under the instance folder, versions in the store."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine

from data.model_registry import ACTIVE, CANDIDATE, ModelVersion, active_version, activate_version, register_version
from recommender.hybrid import HybridRecommender


class NoActiveModelError(LookupError):
    """Serving or ranking was asked for before any model was trained."""

    def __init__(self) -> None:
        super().__init__("no active model: run `assetmatch train` first")


def utc_now() -> datetime:
    """The store's clock: naive UTC, like every stored timestamp."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_version_name(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def save_and_activate(
    engine: Engine,
    model: HybridRecommender,
    models_dir: Path,
    trained_until: datetime,
    event_high_water: int,
    metrics: dict,
) -> ModelVersion:
    """Write the artifact, then register and activate it in one transaction."""
    created = utc_now()
    name = new_version_name(created)
    path = models_dir / f"{name}.npz"
    model.save(path)
    version = ModelVersion(
        version=name,
        created_at=created,
        status=ACTIVE,
        artifact_path=str(path.resolve()),
        trained_until=trained_until,
        event_high_water=event_high_water,
        params=model.config.to_dict(),
        metrics=metrics,
    )
    with engine.begin() as connection:
        register_version(connection, replace(version, status=CANDIDATE))
        activate_version(connection, name)
    return version


def load_active_model(engine: Engine) -> tuple[ModelVersion, HybridRecommender]:
    """The active version and its model; raises ``NoActiveModelError`` before the first training."""
    with engine.connect() as connection:
        version = active_version(connection)
    if version is None:
        raise NoActiveModelError()
    return version, HybridRecommender.load(Path(version.artifact_path))
