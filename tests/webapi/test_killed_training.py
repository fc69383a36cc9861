"""A training run killed half-way (SIGKILL: no cleanup code runs) leaves serving as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import Engine

from tests.webapi.training_store import TINY, active_name, event_count, store_with_sample_market, versions
from webapi.services.model_store import load_active_model
from webapi.services.training import TrainingOptions, run_training


def test_a_killed_run_leaves_the_active_model_and_the_store_unchanged(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    store_with_sample_market(engine)
    first = run_training(engine, tmp_path / "models", TrainingOptions(config=TINY))
    assert first.version is not None
    registry_before = [v.to_json() for v in versions(engine)]
    events_before = event_count(engine)

    env = {**os.environ, "ASSETMATCH_DATABASE_URL": database_url, "ASSETMATCH_INSTANCE_PATH": str(tmp_path)}
    script = Path(sys.executable).with_name("assetmatch")
    process = subprocess.Popen(
        [str(script), "train", "--force"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    seen = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            seen.append(line)
            if "LightFM epochs" in line:
                os.kill(process.pid, signal.SIGKILL)
                break
    finally:
        watchdog.cancel()
        process.wait()
        process.stderr.close()  # type: ignore[union-attr]
        process.stdout.close()  # type: ignore[union-attr]
    assert process.returncode == -signal.SIGKILL, "".join(seen)

    assert [v.to_json() for v in versions(engine)] == registry_before
    assert event_count(engine) == events_before
    assert active_name(engine) == first.version.version
    artifacts = sorted(path.name for path in (tmp_path / "models").iterdir() if path.suffix == ".npz")
    assert artifacts == [Path(first.version.artifact_path).name]
    version, model = load_active_model(engine)
    assert version.version == first.version.version and len(model.investor_ids) > 0
