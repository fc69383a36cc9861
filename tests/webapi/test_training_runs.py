"""Training runs on a real store (both backends): promoted, skipped, forced, rejected, rolled back."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from data.model_registry import ACTIVE, CANDIDATE, REJECTED, RETIRED, ModelVersion, register_version
from data.store import create_store_engine, upgrade_schema
from recommender.hybrid import HybridConfig
from tests.conftest import SAMPLE_MARKET
from tests.webapi.training_store import (
    TINY,
    active_name,
    add_event,
    shuffled_packages,
    store_with_sample_market,
    versions,
)
from webapi.cli import main
from webapi.services.activation import ActivationRefusedError, activate_model_version
from webapi.services.training import PROMOTED, SKIPPED, TrainingOptions, TrainingOutcome, run_training


def test_a_run_promotes_skips_is_forced_rejects_and_rolls_back(engine: Engine, tmp_path: Path) -> None:
    store_with_sample_market(engine)
    models = tmp_path / "models"

    first = run_training(engine, models, TrainingOptions(config=TINY))
    assert first.status == PROMOTED and first.version is not None
    assert "first version" in first.reason
    assert active_name(engine) == first.version.version
    assert Path(first.version.artifact_path).is_file()
    stored = versions(engine)[0]
    assert stored.metrics["holdout"]["window_days"] >= 14 and stored.metrics["holdout"]["gated"]
    assert stored.metrics["candidate"]["ndcg@10"] > 0
    assert HybridConfig.from_dict(stored.params) == TINY
    # The artifact's checksum is recorded with the version, so a file changed later is refused.
    artifact_bytes = Path(stored.artifact_path).read_bytes()
    assert stored.artifact_sha256 == hashlib.sha256(artifact_bytes).hexdigest()

    again = run_training(engine, models, TrainingOptions(config=TINY))
    assert again.status == SKIPPED and "no new events" in again.reason
    assert len(versions(engine)) == 1

    # --force trains without new events; the same configuration on the same data is measured once.
    forced = run_training(engine, models, TrainingOptions(config=TINY, force=True))
    assert forced.status == PROMOTED and forced.version is not None
    assert "--force" in forced.reason and "+0.0%" in forced.reason
    assert "measured once" in forced.version.metrics["active"]["measured"]
    assert {v.version: v.status for v in versions(engine)}[first.version.version] == RETIRED

    add_event(engine, "after-training")
    broken = run_training(engine, models, TrainingOptions(config=TINY, transform_events=shuffled_packages))
    assert broken.status == REJECTED and broken.version is not None
    assert broken.reason.startswith("rejected: ndcg@10") and "on the same holdout" in broken.reason
    assert active_name(engine) == forced.version.version  # serving is untouched
    rejected = {v.version: v for v in versions(engine)}[broken.version.version]
    assert rejected.status == REJECTED and rejected.note == broken.reason
    assert "refitted on its snapshot" in rejected.metrics["active"]["measured"]
    assert rejected.metrics["candidate"]["ndcg@10"] < rejected.metrics["active"]["metrics"]["ndcg@10"]
    assert Path(rejected.artifact_path).is_file()  # kept, for an operator who overrides the gate

    # Nothing new since the rejected run: the same data would only be rejected again.
    assert run_training(engine, models, TrainingOptions(config=TINY)).status == SKIPPED

    activation = activate_model_version(engine, first.version.version)
    activated, previous = activation.version, activation.previous
    assert activated.status == ACTIVE and previous is not None and previous.version == forced.version.version
    assert active_name(engine) == first.version.version


@pytest.fixture(scope="module")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, TrainingOutcome, Path]]:
    """An SQLite store with one trained, active version (checks that do not depend on the backend)."""
    folder = tmp_path_factory.mktemp("trained")
    engine = create_store_engine(f"sqlite:///{folder / 'store.sqlite'}")
    upgrade_schema(engine)
    store_with_sample_market(engine)
    yield engine, run_training(engine, folder / "models", TrainingOptions(config=TINY)), folder
    engine.dispose()


@pytest.mark.parametrize("problem", ["missing", "corrupt", "foreign", "unknown"])
def test_activation_refuses_a_version_that_cannot_serve_and_keeps_the_active_one(
    trained_store: tuple[Engine, TrainingOutcome, Path], problem: str
) -> None:
    engine, outcome, folder = trained_store
    assert outcome.version is not None
    artifact = folder / f"{problem}.npz"
    if problem == "corrupt":
        artifact.write_bytes(Path(outcome.version.artifact_path).read_bytes()[:5000])
    elif problem == "foreign":
        artifact.write_bytes(b"not a model")
    if problem != "unknown":
        with engine.begin() as connection:
            register_version(connection, ModelVersion(
                problem, outcome.version.created_at, CANDIDATE, str(artifact), outcome.version.trained_until, 0, {}, {},
            ))
    with pytest.raises(ActivationRefusedError) as refused:
        activate_model_version(engine, problem)
    message = str(refused.value)
    assert f"refusing to activate {problem}" in message
    assert f"version {outcome.version.version} is still active" in message
    assert {"missing": "is missing", "corrupt": "unreadable", "foreign": "unreadable",
            "unknown": "unknown model version"}[problem] in message
    assert active_name(engine) == outcome.version.version


def test_the_cli_trains_rejects_with_status_3_forces_lists_and_rolls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("ASSETMATCH_DATABASE_URL", url)
    monkeypatch.setenv("ASSETMATCH_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr("webapi.cli.models.TrainingOptions", _tiny_options)
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(main, list(args), catch_exceptions=False)

    run("db", "upgrade")
    run("import", str(SAMPLE_MARKET))
    trained = run("train")
    assert trained.exit_code == 0, trained.output
    assert "first version" in trained.output and "holdout" in trained.output
    assert "LightFM epochs" in trained.stderr  # stage lines reach logs even without a terminal
    skipped = run("train")
    assert skipped.exit_code == 0 and "skipped: no new events" in skipped.output

    engine = create_store_engine(url)
    add_event(engine, "new-feedback")
    engine.dispose()
    monkeypatch.setattr("webapi.cli.models.TrainingOptions", _broken_options)
    rejected = run("train")
    assert rejected.exit_code == 3, rejected.output
    assert "rejected: ndcg@10" in rejected.output
    forced = run("train", "--force", "--tolerance", "0.05")
    assert forced.exit_code == 0 and "--force" in forced.output

    listed = json.loads(run("models", "list", "--json").output)
    assert [m["status"] for m in listed] == ["active", "rejected", "retired"]
    assert {"version", "active", "status", "created_at", "metrics", "note"} <= set(listed[0])
    assert listed[0]["metrics"]["gate"] == {**listed[0]["metrics"]["gate"], "forced": True, "tolerance": 0.05}
    text = run("models", "list").output
    assert listed[1]["version"] in text and "rejected: ndcg@10" in text

    first = listed[2]
    rolled_back = run("models", "activate", first["version"])
    assert rolled_back.exit_code == 0 and f"was {listed[0]['version']}" in rolled_back.output
    shutil.copyfile(SAMPLE_MARKET / "investors.csv", listed[0]["artifact_path"])
    refused = run("models", "activate", listed[0]["version"])
    assert refused.exit_code == 1
    assert "refusing to activate" in refused.stderr and "checksum recorded at training" in refused.stderr
    assert f"version {first['version']} is still active" in refused.stderr


def _tiny_options(**options):  # type: ignore[no-untyped-def]
    return TrainingOptions(config=TINY, **options)


def _broken_options(**options):  # type: ignore[no-untyped-def]
    return TrainingOptions(config=TINY, transform_events=shuffled_packages, **options)


def test_training_an_empty_store_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSETMATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    monkeypatch.setenv("ASSETMATCH_INSTANCE_PATH", str(tmp_path))
    runner = CliRunner()
    runner.invoke(main, ["db", "upgrade"], catch_exceptions=False)
    result = runner.invoke(main, ["train"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "no events to learn from: run `assetmatch import DIR` first" in result.stderr
    assert not (tmp_path / "models").exists()


def test_a_trained_version_carries_its_second_stage_and_can_be_trained_without(
    engine: Engine, tmp_path: Path
) -> None:
    from recommender.hybrid import HybridRecommender
    from recommender.second_stage import FEATURE_NAMES, SecondStage

    store_with_sample_market(engine)
    models = tmp_path / "models"
    first = run_training(engine, models, TrainingOptions(config=TINY))
    assert first.version is not None
    assert first.version.metrics["second_stage"]["folds"] == 3
    loaded = HybridRecommender.load(Path(first.version.artifact_path))
    assert isinstance(loaded.second_stage, SecondStage)
    assert tuple(loaded.second_stage.feature_names) == FEATURE_NAMES
    # Round-trip: the stored LightGBM text gives the same scores as a copy written again.
    again = tmp_path / "again.npz"
    loaded.save(again)
    features = np.random.default_rng(0).random((5, len(FEATURE_NAMES)))
    assert np.array_equal(
        HybridRecommender.load(again).second_stage.ranker_scores(features),
        loaded.second_stage.ranker_scores(features),
    )

    without = run_training(engine, models, TrainingOptions(config=TINY, force=True, second_stage_folds=0))
    assert without.version is not None and without.version.metrics["second_stage"]["folds"] == 0
    assert HybridRecommender.load(Path(without.version.artifact_path)).second_stage is None


def test_the_gate_measures_the_version_as_served_with_its_second_stage(
    engine: Engine, tmp_path: Path
) -> None:
    store_with_sample_market(engine)
    models = tmp_path / "models"
    plain = run_training(engine, models, TrainingOptions(config=TINY, second_stage_folds=0))
    served = run_training(engine, models, TrainingOptions(config=TINY, force=True))
    assert plain.version is not None and served.version is not None
    # Same first stage on the same events: only the second stage can move the holdout metrics.
    first, second = plain.version.metrics["candidate"], served.version.metrics["candidate"]
    assert first != second
    # The active version (no second stage) is refitted as it serves, not reused as the candidate.
    assert "refitted" in served.version.metrics["active"]["measured"]
    assert served.version.metrics["active"]["metrics"] == first
