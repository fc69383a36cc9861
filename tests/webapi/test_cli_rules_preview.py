"""``assetmatch rules preview FILE``: what a rule file would change, with nothing stored."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from tests.conftest import SAMPLE_MARKET
from webapi.cli import main

AS_OF = "2026-06-20"
CANDIDATE = "blend: {stated: 0.5}\nboosts:\n  data_room: {enabled: true, weight: 0.3}\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("preview")
    env = {
        "ASSETMATCH_DATABASE_URL": f"sqlite:///{folder / 'db.sqlite'}",
        "ASSETMATCH_INSTANCE_PATH": str(folder),
    }
    runner = CliRunner(env=env)

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), catch_exceptions=False)

    for args in (("db", "upgrade"), ("import", str(SAMPLE_MARKET)), ("train", "--as-of", AS_OF)):
        assert invoke(*args).exit_code == 0
    (folder / "candidate.yaml").write_text(CANDIDATE, encoding="utf-8")
    invoke.folder = folder  # type: ignore[attr-defined]
    return invoke


def test_preview_compares_sampled_lists_as_json(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "rules",
        "preview",
        str(run.folder / "candidate.yaml"),
        "--sample",
        "10",
        "--k",
        "10",
        "--no-offline",
        "--as-of",
        AS_OF,
        "--json",
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["active_rule_version"] == 0
    assert payload["sample"]["investors"] == 10 and payload["k"] == 10
    assert payload["sample"]["changed"] > 0
    assert payload["offline"]["results"] == []
    history = run("rules", "history")
    assert "no rule set applied yet" in history.stdout  # a preview stores nothing


def test_preview_as_text_with_the_offline_replay(run) -> None:  # type: ignore[no-untyped-def]
    result = run("rules", "preview", str(run.folder / "candidate.yaml"), "--sample", "5", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("against rule set version 0: 3 rules change, none reset to defaults")
    assert lines[1] == "  changed: blend.stated, boosts.data_room.enabled, boosts.data_room.weight"
    assert lines[2].startswith("lists: ")
    assert lines[3].startswith("offline replay: cutoff")  # the decision first, each list after it
    assert [
        line.split()[0]
        for line in lines
        if line.startswith("  ") and line.split()[0] in ("raw", "active", "candidate")
    ] == ["raw", "active", "candidate"]


def test_a_bad_rule_file_is_refused_with_its_problems(run) -> None:  # type: ignore[no-untyped-def]
    bad = Path(run.folder / "bad.yaml")
    bad.write_text("boots: {}\n", encoding="utf-8")
    result = run("rules", "preview", str(bad))
    assert result.exit_code == 1
    assert "boots: unknown rule" in result.stderr


def test_each_changed_listing_is_shown_with_its_title(run) -> None:  # type: ignore[no-untyped-def]
    """The text preview printed bare ids such as `+PKG0001455@13`."""
    candidate = str(run.folder / "candidate.yaml")
    result = run("rules", "preview", candidate, "--sample", "5", "--no-offline", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    titles = pd.read_csv(SAMPLE_MARKET / "packages.csv", usecols=["package_id", "title"])
    title_of = dict(zip(titles["package_id"], titles["title"], strict=True))
    listed = [line.split() for line in result.stdout.splitlines() if re.match(r"^    (in|out|up|down) ", line)]
    assert listed, result.stdout
    for _, rank, package_id, *title in listed:
        assert re.fullmatch(r"#\d+|\d+->\d+", rank)
        assert " ".join(title) == " ".join(title_of[package_id].split())
