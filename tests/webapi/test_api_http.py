"""The API over real HTTP on 127.0.0.1: the development server in a thread, and gunicorn with two workers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from data.serving_processes import list_processes
from tests.conftest import REPO_ROOT
from tests.webapi.conftest import AS_OF, INVESTOR_ID, Keys, ServedMarket

RECOMMENDATIONS = f"/v1/investors/{INVESTOR_ID}/recommendations?k=5"


def request(
    base: str, method: str, path: str, key: str | None = None, body: Any = None
) -> tuple[int, dict, Any]:
    """One HTTP request; returns status, headers and the decoded JSON (or text) body."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(base + path, data=data, method=method.upper(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, headers_out, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers_out, raw = error.code, dict(error.headers), error.read()
    content_type = headers_out.get("Content-Type", "")
    return status, headers_out, json.loads(raw) if "json" in content_type else raw.decode()


@pytest.fixture(scope="module")
def dev_server(served_market: ServedMarket) -> Iterator[str]:
    app = served_market.app(SERVED_LISTS_FLUSH_SECONDS=0.05)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)
    app.extensions["assetmatch.served_lists"].flush()
    app.extensions["assetmatch.engine"].dispose()


def test_the_api_answers_over_http(dev_server: str, keys: Keys) -> None:
    status, _, body = request(dev_server, "get", "/healthz")
    assert (status, body) == (200, {"status": "ok"})
    status, _, ready = request(dev_server, "get", "/readyz")
    assert status == 200 and ready["model_version"] == "A"
    status, headers, body = request(dev_server, "get", RECOMMENDATIONS, keys.platform)
    assert status == 200 and len(body["items"]) == 5
    assert headers["X-Request-ID"] == body["request_id"]
    event = {
        "event_id": "http-1",
        "investor_id": INVESTOR_ID,
        "package_id": body["items"][0]["id"],
        "event_type": "impression",
        "occurred_at": AS_OF.isoformat(),
        "request_id": body["request_id"],
    }
    assert request(dev_server, "post", "/v1/events", keys.investor, event)[0] == 201
    assert request(dev_server, "post", "/v1/events", keys.investor, event)[0] == 200


def test_errors_over_http_are_problem_json(dev_server: str, keys: Keys) -> None:
    status, headers, body = request(dev_server, "get", "/v1/nowhere", keys.platform)
    assert status == 404 and headers["Content-Type"] == "application/problem+json"
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert body["status"] == 404
    status, headers, body = request(dev_server, "get", RECOMMENDATIONS)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")


def test_concurrent_requests_are_all_answered(dev_server: str, keys: Keys) -> None:
    results: list[int] = []

    def worker() -> None:
        for _ in range(10):
            results.append(request(dev_server, "get", RECOMMENDATIONS, keys.platform)[0])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [200] * 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            if request(base, "get", "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not become ready")


@pytest.fixture(scope="module")
def gunicorn_server(served_market: ServedMarket, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "ASSETMATCH_DATABASE_URL": served_market.url,
        "ASSETMATCH_INSTANCE_PATH": str(served_market.folder),
        "ASSETMATCH_NOW": AS_OF.isoformat(),
        "ASSETMATCH_POLL_SECONDS": "0.2",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("metrics")),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(gunicorn), "-c", "webapi/gunicorn_conf.py", "webapi.wsgi:app"],
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def served_by_worker(base: str) -> dict[str, set[str]]:
    """Which model version each live worker serves, from the aggregated metrics (pid -> versions at 1)."""
    text = request(base, "get", "/metrics")[2]
    serving: dict[str, set[str]] = {}
    for line in text.splitlines():
        if line.startswith("assetmatch_active_model_info{"):
            labels = dict(part.split("=") for part in line[line.index("{") + 1 : line.index("}")].split(","))
            versions = serving.setdefault(labels["pid"].strip('"'), set())
            if float(line.rsplit(" ", 1)[1]) == 1.0:
                versions.add(labels["version"].strip('"'))
    return serving


def test_gunicorn_workers_swap_to_an_activated_model_without_a_failed_request(
    gunicorn_server: str, keys: Keys, served_market: ServedMarket
) -> None:
    for _ in range(8):  # both workers load the active model at start
        assert request(gunicorn_server, "get", RECOMMENDATIONS, keys.platform)[2]["model_version"] == "A"
    status, _, body = request(gunicorn_server, "post", "/v1/models/B/activate", keys.operator)
    assert status == 200, body
    deadline = time.monotonic() + 30
    workers: dict[str, set[str]] = {}
    while time.monotonic() < deadline:
        status, _, body = request(gunicorn_server, "get", RECOMMENDATIONS, keys.platform)
        assert status == 200, body  # no request fails while the workers swap
        workers = served_by_worker(gunicorn_server)
        if len(workers) == 2 and all(versions == {"B"} for versions in workers.values()):
            break
        time.sleep(0.05)
    assert len(workers) == 2 and all(versions == {"B"} for versions in workers.values()), workers
    assert request(gunicorn_server, "get", RECOMMENDATIONS, keys.platform)[2]["model_version"] == "B"
    pids = {int(pid) for pid in workers}
    reported: dict[int, str | None] = {}
    while time.monotonic() < deadline:  # each worker reports what it serves (the console lists them)
        with served_market.engine.connect() as connection:
            reported = {p.pid: p.model_version for p in list_processes(connection) if p.pid in pids}
        if reported == dict.fromkeys(pids, "B"):
            break
        time.sleep(0.1)
    assert reported == dict.fromkeys(pids, "B"), reported
    assert request(gunicorn_server, "post", "/v1/models/A/activate", keys.operator)[0] == 200


def test_gunicorn_metrics_add_up_over_the_workers(gunicorn_server: str, keys: Keys) -> None:
    for _ in range(6):
        request(gunicorn_server, "get", "/v1/models", keys.platform)
    text = request(gunicorn_server, "get", "/metrics")[2]
    line = next(
        line
        for line in text.splitlines()
        if line.startswith('assetmatch_http_requests_total{method="GET",route="/v1/models",status="200"}')
    )
    assert float(line.rsplit(" ", 1)[1]) >= 6


def test_the_serve_command_runs_the_development_server(served_market: ServedMarket, keys: Keys) -> None:
    port = free_port()
    env = {**os.environ, "ASSETMATCH_DATABASE_URL": served_market.url, "ASSETMATCH_NOW": AS_OF.isoformat()}
    command = [sys.executable, "-c", "from webapi.cli import main; main()", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        status, _, body = request(base, "get", RECOMMENDATIONS, keys.platform)
        assert status == 200 and body["model_version"] == "A"
    finally:
        process.terminate()
        process.wait(30)
