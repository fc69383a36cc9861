"""The project's packaging: a build ships every data file and warns about nothing of its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

PACKAGES = ("data", "profiles", "recommender", "matching", "webapi")
DATA_FILES = (
    "data/sample/events.csv",
    "data/sample/truth/truth.npz",
    "data/sample/truth/meta.json",
    "data/migrations/script.py.mako",
    "data/migrations/versions/0001_market_store.py",
    "webapi/http/console/static/console.css",
    "webapi/http/console/templates/console/rules.html",
)


def test_a_build_ships_the_data_files_without_packaging_warnings(tmp_path: Path) -> None:
    """setuptools printed five "Package 'data.sample' is absent from the `packages` configuration"
    walls (and webapi.http.console.static, the templates) on every install."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    built = tmp_path / "built"
    result = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "build_py", "--build-lib", str(built)],
        cwd=source, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "absent from the `packages` configuration" not in output
    assert "Warning" not in output, output
    for path in DATA_FILES:
        assert (built / path).is_file(), f"{path} is not shipped"
    assert not list(built.rglob("__pycache__")) and not (built / "tests").exists()
