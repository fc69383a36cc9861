"""Where trained models live: artifacts on the trainer's disk and in the store, versions in the store.

A training run (``webapi.services.training``) writes and registers versions; this module names them and
loads them. Every load goes through :func:`load_verified`, whoever asks (activation from the
CLI, the API or the console, a serving process starting or swapping, ``rank``, previews,
replays): the file must exist, match the checksum recorded at training, hold arrays that fit
together (``recommender.artifact_layout``) and match the shape the registry recorded. So an
artifact that cannot serve is refused with what is wrong, never served or half-loaded.

Which file: the one training wrote (``artifact_path``) when this host can see it; otherwise,
given the store, a cache file per instance folder (``<instance>/models/cache/<version>.npz``)
written from the bytes training kept in the store (``model_artifacts``). The cache is trusted
only while it matches the recorded checksum; a changed or partial one is fetched again. It
keeps the ``CACHED_VERSIONS`` most recently fetched versions (the one serving, and the ones a
rollback or a fallback would want); older ones are fetched again if ever needed. That is how an
API host behind a load balancer serves without sharing the trainer's disk.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from data.model_registry import ModelVersion, active_version, stored_artifact
from recommender.artifact import file_sha256
from recommender.errors import ArtifactError
from recommender.hybrid import HybridRecommender

logger = logging.getLogger(__name__)

#: How many fetched artifacts an instance folder's cache keeps (each is the artifact's size).
CACHED_VERSIONS = 3


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


def load_verified(
    version: ModelVersion, engine: Engine | None = None, cache_dir: Path | None = None
) -> HybridRecommender:
    """Load ``version``'s model after checking its file against what training recorded.

    With ``engine``, a version whose file this host cannot see is loaded from the bytes kept in
    the store, through a cache file in ``cache_dir`` (a temporary file without one). Raises
    ``ArtifactMissingError`` (no file, no stored bytes) or ``ArtifactError`` (checksum, arrays or
    shape wrong). A version registered before checksums were recorded has none to compare: its
    arrays are still checked, and the missing checksum is logged.
    """
    with _artifact_file(version, engine, cache_dir) as path:
        return _load_file(version, path)


def cache_dir_of(models_dir: Path) -> Path:
    """Where an instance folder caches artifacts fetched from the store."""
    return models_dir / "cache"


@contextmanager
def _artifact_file(version: ModelVersion, engine: Engine | None, cache_dir: Path | None) -> Iterator[Path]:
    """The file to load: training's own, else a verified cache of the stored bytes."""
    path = Path(version.artifact_path)
    if path.is_file() or engine is None or version.artifact_sha256 is None:
        yield path
        return
    if cache_dir is not None:
        cached = cache_dir / f"{version.version}.npz"
        if cached.is_file() and _sha256_or_none(cached) == version.artifact_sha256:
            yield cached
            return
        yield _fetch(version, engine, cached, path)
        return
    with tempfile.TemporaryDirectory(prefix="assetmatch-model-") as folder:
        yield _fetch(version, engine, Path(folder) / f"{version.version}.npz", path)


def _fetch(version: ModelVersion, engine: Engine, target: Path, trained_path: Path) -> Path:
    """Write the stored bytes of ``version`` to ``target`` (atomically) after checking them."""
    with engine.connect() as connection:
        stored = stored_artifact(connection, version.version)
    if stored is None:
        raise ArtifactMissingError(version.version, trained_path)
    recorded, content = stored
    actual = hashlib.sha256(content).hexdigest()
    if actual != version.artifact_sha256 or recorded != version.artifact_sha256:
        raise ArtifactError(
            f"in the store does not match the checksum recorded at training (SHA-256 {actual[:12]}…, "
            f"recorded {str(version.artifact_sha256)[:12]}…)",
            trained_path,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        partial.write_bytes(content)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    logger.info("model %s fetched from the store into %s", version.version, target)
    _prune(target.parent, keep=target)
    return target


def _prune(cache: Path, keep: Path) -> None:
    """Drop all but the ``CACHED_VERSIONS`` newest cache files (never ``keep``, just written)."""
    files = sorted(cache.glob("*.npz"), key=_mtime, reverse=True)
    for old in [path for path in files if path != keep][CACHED_VERSIONS - 1 :]:
        old.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _sha256_or_none(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None


def _load_file(version: ModelVersion, path: Path) -> HybridRecommender:
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


def load_active_model(
    engine: Engine, cache_dir: Path | None = None
) -> tuple[ModelVersion, HybridRecommender]:
    """The active version and its model; raises ``NoActiveModelError`` before the first training."""
    version = active_model_version(engine)
    return version, load_verified(version, engine, cache_dir)
