"""The ``assetmatch`` command line, driven as an operator drives it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.market_files import EVENTS_CSV, PACKAGES_CSV, write_market
from webapi.cli import main


@pytest.fixture
def run_cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ASSETMATCH_DATABASE_URL", database_url)

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def test_upgrade_import_and_summary(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("db", "upgrade").exit_code == 0
    result = run_cli("import", str(write_market(tmp_path / "m")))
    assert result.exit_code == 0, result.output
    assert "events:    5 added, 0 already stored" in result.output
    summary = run_cli("summary")
    assert "investors: 3" in summary.output
    assert "packages:  3" in summary.output
    assert "events:    5" in summary.output


def test_a_bad_import_exits_non_zero_lists_problems_and_masks_personal_data(
    run_cli, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    run_cli("db", "upgrade")
    events = EVENTS_CSV.replace("e-5,inv-2", "e-5,110105198603150027")
    packages = PACKAGES_CSV.replace("sold,", "gone,")
    result = run_cli("import", str(write_market(tmp_path / "bad", packages=packages, events=events)))
    assert result.exit_code == 1
    assert "packages.csv:2: status:" in result.stderr
    assert "events.csv:6: investor_id:" in result.stderr
    assert "110105198603150027" not in result.stderr
    assert "nothing was imported" in result.stderr
    assert "investors: 0" in run_cli("summary").output


def test_commands_on_an_unmigrated_database_say_what_to_run(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("summary")
    assert result.exit_code == 1
    assert "run `assetmatch db upgrade`" in result.stderr


def test_generated_market_imports_through_the_installed_console_script(tmp_path: Path) -> None:
    """The real entry point, in a real process, on the embedded SQLite default."""
    env = {**os.environ, "ASSETMATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    script = Path(sys.executable).with_name("assetmatch")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(script), *args], env=env, capture_output=True, text=True, timeout=300)

    assert run("db", "upgrade").returncode == 0
    generated = run("generate", "--out", str(tmp_path / "market"), "--investors", "300",
                    "--packages", "600", "--seed", "3")
    assert generated.returncode == 0, generated.stderr
    imported = run("import", str(tmp_path / "market"))
    assert imported.returncode == 0, imported.stderr
    assert "investors: 300 added" in imported.stdout
    assert "packages:  600 added" in imported.stdout


def test_version_and_help_are_assetmatch_s_own(run_cli) -> None:  # type: ignore[no-untyped-def]
    """`--version` printed Flask's and Werkzeug's versions; `--help` offered Flask's -e/--env-file,
    -A/--app and --debug, which do nothing for AssetMatch."""
    version = run_cli("--version")
    assert version.exit_code == 0
    assert re.fullmatch(r"assetmatch \S+.*\n", version.stdout) and "Flask" not in version.stdout
    usage = run_cli("--help").stdout
    for flask_option in ("--env-file", "--app", "--debug", "-A,", "-e,"):
        assert flask_option not in usage
    assert "--version" in usage and "Commands:" in usage
    assert run_cli("--app", "elsewhere:app", "summary").exit_code == 2


def test_an_empty_model_list_says_so(run_cli) -> None:  # type: ignore[no-untyped-def]
    """`models list` on a database without versions printed nothing at all."""
    assert run_cli("db", "upgrade").exit_code == 0
    result = run_cli("models", "list")
    assert (result.exit_code, result.stdout) == (0, "no model versions yet: `assetmatch train` builds the first one\n")
    assert run_cli("models", "list", "--json").stdout.strip() == "[]"
