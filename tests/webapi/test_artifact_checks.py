"""A model artifact that cannot serve is refused everywhere: CLI, API, console, a starting worker.

Regression: an artifact whose ``package_ids`` (or ``package_vectors``, ``investor_vectors``,
``investor_ids``) were cut to three entries was activated (exit 0 / 200) and served, and a
foreign ``.npz`` gave a ``KeyError`` traceback on the CLI and a 500 on the API. A worker that
started while the active artifact was corrupt answered 503 on every list, and ``/readyz`` showed
the artifact's absolute path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import update

from data.model_registry import (
    CANDIDATE,
    RETIRED,
    ModelVersion,
    activate_version,
    get_version,
    register_version,
)
from data.schema import model_versions_table
from recommender.artifact import read_arrays, write_arrays
from tests.webapi.conftest import AS_OF, TINY, Keys, ServedMarket, app_config, assert_problem, call
from tests.webapi.test_api_models import RECOMMENDATIONS, active, serving_version
from webapi.cli import main
from webapi.http.app import create_app

TRUNCATED = ("package_ids", "package_vectors", "investor_vectors", "investor_ids")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def register(served_market: ServedMarket, name: str, path: Path, checksum: str | None = None) -> None:
    with served_market.engine.begin() as connection:
        register_version(
            connection,
            ModelVersion(name, AS_OF, CANDIDATE, str(path), AS_OF, 0, TINY.to_dict(), {}, None, checksum),
        )


def truncated_artifact(served_market: ServedMarket, array: str) -> Path:
    """Model B's artifact with one array cut to three entries, still a valid ``.npz``."""
    metadata, arrays = read_arrays(served_market.artifacts["B"])
    arrays[array] = arrays[array][:3]
    metadata.pop("format_version")
    path = served_market.folder / f"truncated-{array}.npz"
    write_arrays(path, metadata, arrays)
    return path


def foreign_artifact(served_market: ServedMarket) -> Path:
    path = served_market.folder / "foreign.npz"
    np.savez(path, weights=np.arange(6.0).reshape(2, 3))
    return path


@pytest.mark.parametrize("array", TRUNCATED)
def test_the_api_refuses_an_artifact_with_a_truncated_array(
    client: FlaskClient, keys: Keys, served_market: ServedMarket, array: str
) -> None:
    name = f"cut-{array}"
    register(served_market, name, truncated_artifact(served_market, array))
    body = assert_problem(call(client, "post", f"/v1/models/{name}/activate", keys.operator), 422)
    assert body["type"].endswith("artifact-corrupt")
    assert array in body["detail"] and "do not fit together" in body["detail"]
    assert str(served_market.folder) not in body["detail"]
    assert active(served_market.engine) == "A"
    assert serving_version(client, keys.platform) == "A"


def test_the_api_refuses_a_foreign_npz_with_a_problem_not_a_500(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    register(served_market, "foreign", foreign_artifact(served_market))
    body = assert_problem(call(client, "post", "/v1/models/foreign/activate", keys.operator), 422)
    assert "not a model artifact" in body["detail"]
    assert active(served_market.engine) == "A"


def test_an_artifact_changed_since_training_fails_its_checksum(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    """The recorded SHA-256 catches a swapped file even when its arrays would fit together."""
    swapped = served_market.folder / "swapped.npz"
    swapped.write_bytes(served_market.artifacts["A"].read_bytes())
    register(served_market, "swapped", swapped, checksum=sha256(served_market.artifacts["B"]))
    body = assert_problem(call(client, "post", "/v1/models/swapped/activate", keys.operator), 422)
    assert "checksum recorded at training" in body["detail"]
    assert active(served_market.engine) == "A"


def test_an_artifact_with_its_recorded_checksum_activates(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    artifact = served_market.artifacts["B"]
    register(served_market, "checked", artifact, checksum=sha256(artifact))
    assert call(client, "post", "/v1/models/checked/activate", keys.operator).status_code == 200
    assert serving_version(client, keys.platform) == "checked"
    assert call(client, "post", "/v1/models/A/activate", keys.operator).status_code == 200


@pytest.fixture
def cli(served_market: ServedMarket, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ASSETMATCH_DATABASE_URL", served_market.url)
    monkeypatch.setenv("ASSETMATCH_INSTANCE_PATH", str(served_market.folder))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args))


@pytest.mark.parametrize("array", [*TRUNCATED, "foreign"])
def test_the_cli_refuses_a_broken_artifact_with_a_message_and_no_traceback(
    cli, served_market: ServedMarket, array: str  # type: ignore[no-untyped-def]
) -> None:
    name = f"cli-{array}"
    path = foreign_artifact(served_market) if array == "foreign" else truncated_artifact(served_market, array)
    register(served_market, name, path)
    result = cli("models", "activate", name)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"refusing to activate {name}" in result.stderr and "version A is still active" in result.stderr
    assert ("not a model artifact" if array == "foreign" else array) in result.stderr
    assert "Traceback" not in result.output
    assert active(served_market.engine) == "A"


def test_an_older_version_without_a_checksum_still_activates_and_says_so(
    cli, served_market: ServedMarket  # type: ignore[no-untyped-def]
) -> None:
    register(served_market, "no-checksum", served_market.artifacts["B"])
    result = cli("models", "activate", "no-checksum")
    assert result.exit_code == 0, result.output
    assert "no recorded checksum" in result.output
    assert cli("models", "activate", "A").exit_code == 0


@pytest.fixture
def corrupt_active(served_market: ServedMarket) -> Iterator[Path]:
    """``B`` active with a corrupt artifact, ``A`` retired (it served before): a worker starting now."""
    corrupt = served_market.folder / "corrupt-active.npz"
    corrupt.write_bytes(served_market.artifacts["B"].read_bytes()[:4000])
    with served_market.engine.connect() as connection:
        known = get_version(connection, "corrupt-active") is not None
    if not known:
        register(served_market, "corrupt-active", corrupt)
    with served_market.engine.begin() as connection:
        activate_version(connection, "corrupt-active")
    yield corrupt
    with served_market.engine.begin() as connection:
        activate_version(connection, "A")


def test_a_worker_starting_on_a_corrupt_active_artifact_serves_the_newest_valid_promoted_version(
    served_market: ServedMarket, keys: Keys, corrupt_active: Path
) -> None:
    """Retired versions served before; the newest one's file is gone, so the next one serves.

    ``B`` (a candidate, never promoted) has a valid artifact but is not a fallback.
    """
    register(served_market, "gone", served_market.folder / "gone.npz")
    with served_market.engine.begin() as connection:
        table = model_versions_table
        connection.execute(update(table).where(table.c.status == RETIRED).values(status=CANDIDATE))
        connection.execute(update(table).where(table.c.version == "A").values(status=RETIRED))
        connection.execute(
            update(table)
            .where(table.c.version == "gone")
            .values(status=RETIRED, created_at=AS_OF + timedelta(days=1))
        )
    app = served_market.app()
    client = app.test_client()
    try:
        assert serving_version(client, keys.platform) == "A"
        ready = client.get("/readyz")
        assert ready.status_code == 200
        body = ready.get_json()
        assert body["model"] == "serving fallback version A; active version corrupt-active artifact invalid"
        assert (body["model_version"], body["active_model_version"]) == ("A", "corrupt-active")
        assert str(served_market.folder) not in ready.get_data(as_text=True)
        assert "assetmatch_model_fallback 1.0" in client.get("/metrics").get_data(as_text=True)
    finally:
        app.extensions["assetmatch.engine"].dispose()
    app = served_market.app()
    with served_market.engine.begin() as connection:
        activate_version(connection, "A")
    client = app.test_client()
    try:
        assert serving_version(client, keys.platform) == "A"
        assert client.get("/readyz").get_json()["model"] == "loaded"
        assert "assetmatch_model_fallback 0.0" in client.get("/metrics").get_data(as_text=True)
    finally:
        app.extensions["assetmatch.engine"].dispose()


def test_without_a_valid_version_to_fall_back_on_answers_name_a_state_not_a_path(
    served_market: ServedMarket, keys: Keys, corrupt_active: Path
) -> None:
    with served_market.engine.begin() as connection:
        connection.execute(
            update(model_versions_table)
            .where(model_versions_table.c.status == RETIRED)
            .values(status=CANDIDATE)
        )
    app = served_market.app()
    client = app.test_client()
    try:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["model"] == "model corrupt-active: model artifact unreadable"
        listed = call(client, "get", RECOMMENDATIONS, keys.platform)
        body = assert_problem(listed, 503)
        assert body["detail"] == "model corrupt-active: model artifact unreadable"
        for text in (ready.get_data(as_text=True), listed.get_data(as_text=True)):
            assert str(served_market.folder) not in text and ".npz" not in text
    finally:
        app.extensions["assetmatch.engine"].dispose()


def test_readiness_says_the_database_is_unreachable_without_the_drivers_message(tmp_path: Path) -> None:
    url = "postgresql+psycopg://assetmatch-probe@127.0.0.1:9/nowhere?connect_timeout=2"
    app = create_app(app_config(url, tmp_path))
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["database"] == "unreachable"
    text = ready.get_data(as_text=True)
    assert "127.0.0.1" not in text and "assetmatch-probe" not in text and "connection" not in text.lower()
    app.extensions["assetmatch.engine"].dispose()


def test_a_preview_after_the_served_artifact_vanished_is_503_naming_a_state(
    client: FlaskClient, keys: Keys, served_market: ServedMarket
) -> None:
    """The preview re-reads the served version's file; gone since, it was a 500 with no hint."""
    assert serving_version(client, keys.platform) == "A"
    artifact = served_market.artifacts["A"]
    artifact.rename(artifact.with_suffix(".moved"))
    try:
        preview = {"document": {"top_k": 10}, "investors": 3, "k": 3}
        response = call(client, "post", "/v1/rules/preview", keys.operator, json=preview)
        body = assert_problem(response, 503)
        assert body["detail"] == "model artifact unreadable"
        assert str(served_market.folder) not in response.get_data(as_text=True)
    finally:
        artifact.with_suffix(".moved").rename(artifact)


def test_an_artifact_with_a_partial_or_garbled_second_stage_is_refused_by_name(
    served_market: ServedMarket,
) -> None:
    from recommender.artifact import text_array
    from recommender.errors import ArtifactError
    from recommender.hybrid import HybridRecommender

    metadata, arrays = read_arrays(served_market.artifacts["B"])
    metadata.pop("format_version")
    partial = served_market.folder / "partial-second-stage.npz"
    write_arrays(partial, metadata, {**arrays, "second_stage_ranker": text_array(["tree"])})
    with pytest.raises(ArtifactError, match="partial second stage: second_stage_buyers"):
        HybridRecommender.load(partial)
    garbled = served_market.folder / "garbled-second-stage.npz"
    stage = {name: text_array(["not a model"]) for name in ("second_stage_ranker", "second_stage_buyers")}
    stage["second_stage_feature_names"] = text_array(["x"])
    write_arrays(garbled, {**metadata, "second_stage": {"params": {}}}, {**arrays, **stage})
    with pytest.raises(ArtifactError, match="second stage"):
        HybridRecommender.load(garbled)
    # A version saved without a second stage (every earlier one) loads and serves its first stage.
    assert HybridRecommender.load(served_market.artifacts["B"]).second_stage is None
