"""Two API hosts on one PostgreSQL, a trainer elsewhere: both hosts follow every change within a poll.

Each ``assetmatch serve`` runs as a real subprocess with its own instance folder and port; the
trainer trains into a third folder that is removed once the version is registered, so the
hosts can only load models from the bytes kept in the store. The hosts follow, by polling
(nothing is written through the host that is checked): an activation, a rule change, a new
listing and new events.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from data.api_keys import create_key
from data.store import create_store_engine, upgrade_schema
from tests.conftest import REPO_ROOT, fresh_postgres_schema
from tests.webapi.conftest import AS_OF, INVESTOR_ID
from tests.webapi.test_api_http import free_port, request, wait_ready
from tests.webapi.training_store import TINY, add_event, store_with_sample_market
from webapi.services.activation import activate_model_version
from webapi.services.training import PROMOTED, TrainingOptions, run_training

POLL_SECONDS = 0.3
#: A poll is due POLL_SECONDS after the last; the slack is for a loaded CI machine.
FOLLOW_WITHIN = 10.0
#: A model swap also fetches and loads the artifact and rebuilds the matcher, in the background.
SWAP_WITHIN = 30.0


@dataclass(frozen=True)
class Deployment:
    engine: Engine
    trainer: Path
    hosts: tuple[str, str]
    folders: tuple[Path, Path]
    platform: str
    operator: str


def _train(engine: Engine, trainer: Path) -> str:
    """One run of the trainer; its folder is gone afterwards, as it is to every API host."""
    outcome = run_training(engine, trainer / "models", TrainingOptions(config=TINY, force=True))
    assert outcome.version is not None, outcome.reason
    name = outcome.version.version
    if outcome.status != PROMOTED:
        activate_model_version(engine, name, cache_dir=trainer / "models" / "cache")
    shutil.rmtree(trainer)
    return name


def _serve(url: str, folder: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "ASSETMATCH_DATABASE_URL": url,
        "ASSETMATCH_INSTANCE_PATH": str(folder),
        "ASSETMATCH_NOW": AS_OF.isoformat(),
        "ASSETMATCH_POLL_SECONDS": str(POLL_SECONDS),
    }
    command = [sys.executable, "-c", "from webapi.cli import main; main()", "serve", "--port", str(port)]
    with (folder / "serve.log").open("w") as log:
        return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def deployment(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    schema_urls = fresh_postgres_schema(postgres_url)
    url = next(schema_urls)
    engine = create_store_engine(url)
    upgrade_schema(engine)
    store_with_sample_market(engine)
    with engine.begin() as connection:
        platform = create_key(connection, "platform", AS_OF)[1]
        operator = create_key(connection, "operator", AS_OF)[1]
    trainer = tmp_path_factory.mktemp("trainer")
    _train(engine, trainer)
    processes, hosts, folders = [], [], []
    try:
        for name in ("host-1", "host-2"):
            folder = tmp_path_factory.mktemp(name)
            folders.append(folder)
            port = free_port()
            processes.append(_serve(url, folder, port))
            hosts.append(f"http://127.0.0.1:{port}")
        for base, process in zip(hosts, processes, strict=True):
            wait_ready(base, process, timeout=120)
        yield Deployment(engine, trainer, (hosts[0], hosts[1]), (folders[0], folders[1]), platform, operator)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        engine.dispose()
        next(schema_urls, None)


def follows(
    check: Callable[[str], bool], hosts: tuple[str, ...], within: float = FOLLOW_WITHIN
) -> dict[str, float]:
    """Seconds until ``check`` holds on each host; fails if one does not follow in time."""
    start = time.monotonic()
    waiting, took = set(hosts), {}
    while waiting and time.monotonic() - start < within:
        for base in sorted(waiting):
            if check(base):
                took[base] = time.monotonic() - start
                waiting.discard(base)
        time.sleep(0.05)
    assert not waiting, f"{sorted(waiting)} did not follow within {within} s"
    return took


def _recommended(deployment: Deployment, base: str, k: int = 100) -> list[str]:
    path = f"/v1/investors/{INVESTOR_ID}/recommendations?k={k}"
    status, _, body = request(base, "get", path, deployment.platform)
    assert status == 200, body
    return [item["id"] for item in body["items"]]


def test_both_hosts_serve_a_model_trained_on_a_disk_they_cannot_see(deployment: Deployment) -> None:
    for base in deployment.hosts:
        ready = request(base, "get", "/readyz")[2]
        assert ready["model"] == "loaded" and ready["model_version"] == ready["active_model_version"]
    add_event(deployment.engine, "multi-host-train-2")
    newer = _train(deployment.engine, deployment.trainer)

    def serves_newer(base: str) -> bool:
        return request(base, "get", "/readyz")[2]["model_version"] == newer

    follows(serves_newer, deployment.hosts, SWAP_WITHIN)
    for base in deployment.hosts:
        path = f"/v1/investors/{INVESTOR_ID}/recommendations?k=5"
        status, _, body = request(base, "get", path, deployment.platform)
        assert status == 200 and body["model_version"] == newer
    for folder in deployment.folders:  # each host loaded it from its own cache of the stored bytes
        assert (folder / "models" / "cache" / f"{newer}.npz").is_file()


def test_a_rule_change_on_one_host_reaches_the_other_by_polling(deployment: Deployment) -> None:
    first, second = deployment.hosts
    change = {"document": {"diversity": {"max_per_asset_type": 2}}, "why": "two listings per asset type"}
    status, _, applied = request(first, "put", "/v1/rules", deployment.operator, change)
    assert status == 200, applied
    follows(lambda base: request(base, "get", "/readyz")[2]["rule_version"] == applied["version"], (second,))


def test_a_new_listing_and_new_events_reach_the_other_host_by_polling(deployment: Deployment) -> None:
    first, second = deployment.hosts
    top = _recommended(deployment, second, k=1)[0]
    record = request(second, "get", f"/v1/packages/{top}", deployment.platform)[2]
    twin = {key: value for key, value in record.items() if key not in ("package_id", "live")}
    status, _, body = request(first, "put", "/v1/packages/MULTI-HOST-1", deployment.platform, twin)
    assert status == 201, body
    follows(lambda base: "MULTI-HOST-1" in _recommended(deployment, base), (second,))

    dismiss = {
        "event_id": "multi-host-dismiss",
        "investor_id": INVESTOR_ID,
        "package_id": "MULTI-HOST-1",
        "event_type": "dismiss",
        "occurred_at": AS_OF.isoformat(),
    }
    status, _, body = request(first, "post", "/v1/events", deployment.platform, dismiss)
    assert status == 201, body
    follows(lambda base: "MULTI-HOST-1" not in _recommended(deployment, base), (second,))
