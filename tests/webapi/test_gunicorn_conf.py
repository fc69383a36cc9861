"""The gunicorn master keeps no defunct child, even when it was started by an ``exec``.

Regression: ``scripts/demo.sh`` read a value through a process substitution and then ``exec``ed
gunicorn; the substitution's Python process had exited but was not yet reaped, so it stayed a
defunct ``[python]`` under the gunicorn master (which reaps only on a ``SIGCHLD`` it receives).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from data.store import create_store_engine, upgrade_schema
from tests.conftest import REPO_ROOT
from tests.webapi.test_api_http import free_port, request


def children(pid: int) -> dict[int, str]:
    """Each child of ``pid`` and its state letter (``Z`` for a zombie), from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(parent) == pid:
            found[int(entry.name)] = state
    return found


def test_a_gunicorn_master_started_by_exec_reaps_what_it_inherited(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = create_store_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    script = (
        f'read -r _ < <({shlex.quote(sys.executable)} -c "print(1)"); '
        f"exec {shlex.quote(str(gunicorn))} -c webapi/gunicorn_conf.py webapi.wsgi:app"
    )
    env = {
        **os.environ,
        "ASSETMATCH_DATABASE_URL": url,
        "ASSETMATCH_INSTANCE_PATH": str(tmp_path),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    log = (tmp_path / "gunicorn.log").open("w")
    master = subprocess.Popen(["bash", "-c", script], cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert master.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                if request(f"http://127.0.0.1:{port}", "get", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        states = children(master.pid)
        assert states and "Z" not in states.values(), states
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(30)
        log.close()
