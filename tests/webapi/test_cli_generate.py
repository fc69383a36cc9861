"""``assetmatch generate --scenario``: what kind of market the command line simulates."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from data.generator import SCENARIOS, load_truth
from webapi.cli import main


def generate(out: Path, *extra: str):  # type: ignore[no-untyped-def]
    args = ["generate", "--out", str(out), "--investors", "120", "--packages", "300", "--seed", "2",
            "--end", "2026-06-30", *extra]
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_a_named_scenario_is_generated_and_recorded_with_the_truth(tmp_path: Path) -> None:
    result = generate(tmp_path / "circles", "--scenario", "circles")
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "circles" / "truth" / "meta.json").read_text(encoding="utf-8"))
    assert meta["scenario"] == {"name": "circles", "knobs": SCENARIOS["circles"].knobs()}
    assert load_truth(tmp_path / "circles" / "truth").circle_of is not None


def test_the_default_scenario_is_the_market_without_the_option(tmp_path: Path) -> None:
    assert generate(tmp_path / "plain").exit_code == 0
    assert generate(tmp_path / "named", "--scenario", "default").exit_code == 0
    for name in ("investors.csv", "packages.csv", "events.csv", "truth/truth.npz", "truth/meta.json"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "named" / name).read_bytes(), name


def test_an_unknown_scenario_is_refused_with_the_choices(tmp_path: Path) -> None:
    result = generate(tmp_path / "mars", "--scenario", "mars")
    assert result.exit_code == 2
    assert "whales" in result.output
    assert not (tmp_path / "mars").exists()
