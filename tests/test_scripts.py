"""``scripts/demo.sh`` and ``scripts/venv.sh`` as a new user runs them: what reaches the terminal.

The scripts run in a copy of ``scripts/`` with stand-ins for pip, ``assetmatch`` and gunicorn
(installing and training for real takes minutes), so these tests pin the scripts' own behaviour:
installer output goes to a log, each step is one line, and the printed example is fresh per run.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PIP_NOISE = "Package 'data.sample' is absent from the packages configuration."

PYTHON = f"""#!/usr/bin/env bash
# pip prints a wall of text (and fails when PIP_FAILS is set); everything else is the real Python.
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  for i in $(seq 1 120); do echo "{PIP_NOISE} ($i)"; done
  [ -z "$PIP_FAILS" ] || {{ echo "error: could not build wheels for lightfm" >&2; exit 1; }}
  exit 0
fi
PYTHONPATH="{REPO_ROOT}" exec "{sys.executable}" "$@"
"""

ASSETMATCH = """#!/usr/bin/env bash
case "$1" in
  keys) echo "created $4 key k-$4; store it now, it is not shown again:"; echo "am_$4_secret" ;;
  rank) mkdir -p instance
        echo '{"investors": {"INV000001": ["PKG0000001"]}, "packages": {}}' > instance/push.json
        echo "ranked 1 investor" ;;
  train) echo "[    0.0 s] final model        started" >&2; echo "model M1: promoted" ;;
  summary) echo "investors: 1" ;;
  *) echo "$1: a line of step output"; echo "$1: a progress line" >&2 ;;
esac
"""


def _executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with the real scripts and setup.cfg, and a virtualenv of stand-ins."""
    if shutil.which("bash") is None:
        pytest.skip("the scripts need bash")
    root = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "scripts", root / "scripts")
    shutil.copy(REPO_ROOT / "setup.cfg", root / "setup.cfg")
    venv = tmp_path / "venv"
    _executable(venv / "bin" / "python", PYTHON)
    _executable(venv / "bin" / "assetmatch", ASSETMATCH)
    _executable(venv / "bin" / "gunicorn", "#!/usr/bin/env bash\necho 'gunicorn would serve now'\n")
    return root


def _run(project: Path, script: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "ASSETMATCH_VENV": str(project.parent / "venv"),
        "ASSETMATCH_DEMO_PORT": str(_free_port()),
        **env,
    }
    return subprocess.run(
        ["bash", str(project / "scripts" / script)],
        cwd=project, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_demo_prints_the_keys_and_addresses_not_installer_or_step_output(project: Path) -> None:
    """The demo printed ~230 lines (setuptools warnings, pip, every step's output) before the keys."""
    result = _run(project, "demo.sh")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert PIP_NOISE not in result.stdout + result.stderr
    assert not any("a line of step output" in line or "progress line" in line for line in lines)
    assert lines[0].startswith("installing AssetMatch into ") and "instance/install.log" in lines[0]
    keys_at = next(i for i, line in enumerate(lines) if line.startswith("operator key:"))
    assert keys_at < 20, lines[:keys_at]
    assert "model M1: promoted" in lines[:keys_at]
    assert lines[keys_at] == "operator key:    am_operator_secret"
    install_log = (project / "instance" / "install.log").read_text(encoding="utf-8")
    assert install_log.count(PIP_NOISE) == 240  # pip's two runs, all kept for whoever needs them
    demo_log = (project / "instance" / "demo.log").read_text(encoding="utf-8")
    assert "import: a progress line" in demo_log and "final model        started" in demo_log


def test_the_demo_example_event_is_new_on_every_run(project: Path) -> None:
    """The printed curl posted event_id "demo-1" every time: a second run's example was a duplicate."""
    ids = []
    for _ in range(2):
        result = _run(project, "demo.sh")
        assert result.returncode == 0, result.stderr
        ids += re.findall(r'"event_id": "([^"]+)"', result.stdout)
    assert len(ids) == 2 and ids[0] != ids[1]
    second = _run(project, "demo.sh").stdout
    assert not second.startswith("installing"), "an installed virtualenv is not installed again"


def test_a_failed_install_stops_with_the_end_of_its_log(project: Path) -> None:
    result = _run(project, "demo.sh", PIP_FAILS="1")
    assert result.returncode == 1
    assert "operator key" not in result.stdout
    assert "installing into" in result.stderr and "failed; the end of instance/install.log:" in result.stderr
    assert result.stderr.rstrip().endswith("error: could not build wheels for lightfm")
    assert result.stderr.count(PIP_NOISE) < 30  # the tail, not the wall
