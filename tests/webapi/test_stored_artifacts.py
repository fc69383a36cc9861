"""A host that cannot see the trainer's disk loads the model from the bytes kept in the store.

Both backends: bytea on PostgreSQL, BLOB on SQLite.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from data.model_registry import CANDIDATE, get_version, register_version, stored_artifact
from data.schema import model_artifacts_table
from recommender.errors import ArtifactError
from tests.webapi.training_store import TINY, store_with_sample_market
from webapi.services.activation import ActivationRefusedError, activate_model_version
from webapi.services.model_store import CACHED_VERSIONS, load_active_model, load_verified
from webapi.services.training import PROMOTED, TrainingOptions, run_training


def _trained_elsewhere(engine: Engine, tmp_path: Path) -> str:
    """Train on a 'trainer' folder, then take that folder away: no serving host can see it."""
    store_with_sample_market(engine)
    trainer = tmp_path / "trainer" / "models"
    outcome = run_training(engine, trainer, TrainingOptions(config=TINY))
    assert outcome.status == PROMOTED and outcome.version is not None
    shutil.rmtree(trainer)
    return outcome.version.version


def test_training_keeps_the_artifact_bytes_in_the_store_with_their_checksum(
    engine: Engine, tmp_path: Path
) -> None:
    store_with_sample_market(engine)
    outcome = run_training(engine, tmp_path / "models", TrainingOptions(config=TINY))
    assert outcome.version is not None
    with engine.connect() as connection:
        stored = stored_artifact(connection, outcome.version.version)
    assert stored is not None
    checksum, content = stored
    assert content == Path(outcome.version.artifact_path).read_bytes()
    assert checksum == outcome.version.artifact_sha256 == hashlib.sha256(content).hexdigest()


def test_a_host_without_the_trainers_disk_serves_from_the_store_through_a_verified_cache(
    engine: Engine, tmp_path: Path
) -> None:
    name = _trained_elsewhere(engine, tmp_path)
    cache = tmp_path / "api-host" / "models" / "cache"
    version, model = load_active_model(engine, cache)
    assert version.version == name
    cached = cache / f"{name}.npz"
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == version.artifact_sha256
    assert model.score(["INV000001"], ["PKG0000001"]).shape == (1, 1)

    # A cache file changed on this host is not trusted: it is fetched again from the store.
    cached.write_bytes(b"not a model")
    load_verified(version, engine, cache)
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == version.artifact_sha256

    # Activation from such a host verifies the stored bytes too.
    assert activate_model_version(engine, name, cache_dir=cache).version.version == name


def test_stored_bytes_that_do_not_match_the_recorded_checksum_are_refused(
    engine: Engine, tmp_path: Path
) -> None:
    name = _trained_elsewhere(engine, tmp_path)
    with engine.begin() as connection:
        table = model_artifacts_table
        connection.execute(update(table).where(table.c.version == name).values(content=b"tampered"))
        version = get_version(connection, name)
    assert version is not None
    cache = tmp_path / "api-host"
    with pytest.raises(ArtifactError, match="in the store does not match the checksum"):
        load_verified(version, engine, cache)
    assert not (cache / f"{name}.npz").exists()
    with pytest.raises(ActivationRefusedError) as refused:
        activate_model_version(engine, name, cache_dir=cache)
    assert refused.value.status == 422


def test_a_hosts_cache_keeps_only_the_newest_fetched_versions(engine: Engine, tmp_path: Path) -> None:
    name = _trained_elsewhere(engine, tmp_path)
    with engine.begin() as connection:
        trained = get_version(connection, name)
        stored = stored_artifact(connection, name)
        assert trained is not None and stored is not None
        copies = [replace(trained, version=f"copy-{n}", status=CANDIDATE) for n in range(CACHED_VERSIONS + 1)]
        for copy in copies:
            register_version(connection, copy, stored[1])
    cache = tmp_path / "api-host"
    for copy in copies:
        load_verified(copy, engine, cache)
        time.sleep(0.01)  # distinct modification times
    kept = sorted(path.name for path in cache.glob("*.npz"))
    assert kept == sorted(f"{copy.version}.npz" for copy in copies[-CACHED_VERSIONS:])
    assert load_verified(copies[0], engine, cache) is not None  # a pruned version is fetched again
