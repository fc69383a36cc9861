"""Where trained models live: artifacts under the instance folder, versions in the store.

A training run (``webapi.services.training``) writes and registers versions; this module names them and
loads them. Every load goes through :func:`load_verified`, whoever asks (activation from the
CLI, the API or the console, a serving process starting or swapping, ``rank``, previews,
replays): the file must exist, match the checksum recorded at training, hold arrays that fit
together (``recommender.artifact_layout``) and match the shape the registry recorded. So an
artifact that cannot serve is refused with what is wrong, never served or half-loaded.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from data.model_registry import ModelVersion, active_version
from recommender.artifact import file_sha256
from recommender.errors import ArtifactError
from recommender.hybrid import HybridRecommender

logger = logging.getLogger(__name__)


class NoActiveModelError(LookupError):
    """Serving or ranking was asked for before any model was trained."""

    def __init__(self) -> None:
        super().__init__("no active model: run `assetmatch train` first")


class ArtifactMissingError(ArtifactError):
    """The artifact file of a model version is not where the registry says."""

    def __init__(self, version: str, path: Path) -> None:
        super().__init__("is missing", path)
        self.version = version


def utc_now() -> datetime:
    """The store's clock: naive UTC, like every stored timestamp."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_version_name(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def load_verified(version: ModelVersion) -> HybridRecommender:
    """Load ``version``'s model after checking its file against what training recorded.

    Raises ``ArtifactMissingError`` (no file) or ``ArtifactError`` (checksum, arrays or shape
    wrong). A version registered before checksums were recorded has none to compare: its
    arrays are still checked, and the missing checksum is logged.
    """
    path = Path(version.artifact_path)
    if not path.is_file():
        raise ArtifactMissingError(version.version, path)
    if version.artifact_sha256 is None:
        logger.warning(
            "model %s has no recorded checksum (registered before checksums); only its arrays are checked",
            version.version,
        )
    else:
        try:
            actual = file_sha256(path)
        except OSError as error:
            raise ArtifactError(f"is unreadable: {error.strerror or error}", path) from error
        if actual != version.artifact_sha256:
            raise ArtifactError(
                f"does not match the checksum recorded at training (SHA-256 {actual[:12]}…, "
                f"recorded {version.artifact_sha256[:12]}…)",
                path,
            )
    model = HybridRecommender.load(path)
    _check_registered_shape(version, model, path)
    return model


def _check_registered_shape(version: ModelVersion, model: HybridRecommender, path: Path) -> None:
    """The artifact's embedding sizes are the ones the registry says this version was trained with."""
    problems = []
    for section, name in (("lightfm", "components"), ("als", "factors")):
        recorded = version.params.get(section) if isinstance(version.params, dict) else None
        expected = recorded.get(name) if isinstance(recorded, dict) else None
        actual = getattr(getattr(model.config, section), name)
        if expected is not None and expected != actual:
            problems.append(f"{section} {name} is {actual}, the registry recorded {expected}")
    if problems:
        problem = f"is not the one trained for model {version.version}: " + "; ".join(problems)
        raise ArtifactError(problem, path)


def active_model_version(engine: Engine) -> ModelVersion:
    """The active version; raises ``NoActiveModelError`` before the first training."""
    with engine.connect() as connection:
        version = active_version(connection)
    if version is None:
        raise NoActiveModelError()
    return version


def load_active_model(engine: Engine) -> tuple[ModelVersion, HybridRecommender]:
    """The active version and its model; raises ``NoActiveModelError`` before the first training."""
    version = active_model_version(engine)
    return version, load_verified(version)
