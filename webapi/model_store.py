"""Where trained models live: artifacts under the instance folder, versions in the store.

A training run (``webapi.training``) writes and registers versions; this module names them and
loads the active one.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine

from data.model_registry import ModelVersion, active_version
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


def load_active_model(engine: Engine) -> tuple[ModelVersion, HybridRecommender]:
    """The active version and its model; raises ``NoActiveModelError`` before the first training."""
    with engine.connect() as connection:
        version = active_version(connection)
    if version is None:
        raise NoActiveModelError()
    return version, HybridRecommender.load(Path(version.artifact_path))
