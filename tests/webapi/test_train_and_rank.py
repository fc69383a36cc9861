"""`assetmatch train` then `assetmatch rank`: the daily batch push under the market's hard rules."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from data.contract import requires_amc_licence
from data.csv_reader import read_market
from tests.conftest import SAMPLE_MARKET
from webapi.cli import main

AS_OF = "2026-06-20"


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("push")
    env = {"ASSETMATCH_DATABASE_URL": f"sqlite:///{folder / 'db.sqlite'}", "ASSETMATCH_INSTANCE_PATH": str(folder)}
    runner = CliRunner(env=env)

    def run(*args: str):  # type: ignore[no-untyped-def]
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output + result.stderr
        return result

    run("db", "upgrade")
    refused = runner.invoke(main, ["rank", "--out", str(folder / "early.json")])
    run("import", str(SAMPLE_MARKET))
    run("train", "--as-of", AS_OF)
    ranked = run("rank", "--out", str(folder / "push.json"), "--k", "10", "--buyers-k", "20", "--as-of", AS_OF)
    models = json.loads(run("models", "list", "--json").output)
    return {"push": json.loads((folder / "push.json").read_text()), "models": models, "refused": refused,
            "output": ranked.output}


@pytest.fixture(scope="module")
def market():  # type: ignore[no-untyped-def]
    return read_market(SAMPLE_MARKET)


def live_ids(packages: pd.DataFrame) -> set[str]:
    now = pd.Timestamp(AS_OF)
    live = packages["status"].isin(["active", "upcoming"]) & (packages["closes_at"] > now) & (packages["listed_at"] <= now)
    return set(packages.loc[live, "package_id"])


def test_ranking_before_any_training_says_what_to_do(pushed: dict) -> None:
    assert pushed["refused"].exit_code == 1
    assert "assetmatch train" in pushed["refused"].stderr


def test_every_investor_gets_k_live_packages_and_every_live_package_its_buyers(pushed: dict, market) -> None:  # type: ignore[no-untyped-def]
    push, live = pushed["push"], live_ids(market.packages)
    assert set(push) == {"investors", "packages", "below_floor"}
    registered = market.investors[market.investors["registered_at"] <= pd.Timestamp(AS_OF)]
    assert set(push["investors"]) == set(registered["investor_id"])
    assert set(push["packages"]) == live
    for packages in push["investors"].values():
        assert len(packages) == len(set(packages))
        assert set(packages) <= live
    # Buyers come from the eligible pool (a bank batch: licensed AMCs only); the rule set's
    # ticket fit may leave a list short, but most lists are full.
    licensed = set(registered.loc[registered["licensed_amc"], "investor_id"])
    dismissed = market.events[market.events["event_type"].isin(["dismiss", "win"])].groupby("package_id")["investor_id"].agg(set)
    rows = market.packages.set_index("package_id")
    for package, buyers in push["packages"].items():
        batch = requires_amc_licence(rows.at[package, "seller_type"], rows.at[package, "asset_class"], int(rows.at[package, "loan_count"]))
        pool = licensed if batch else set(registered["investor_id"])
        assert len(buyers) == len(set(buyers)) <= 20
        assert set(buyers) <= pool - dismissed.get(package, set())
    lengths = sorted(len(buyers) for buyers in push["packages"].values())
    assert lengths[len(lengths) // 2] == 20


def test_bank_batches_go_only_to_licensed_amcs_in_both_directions(pushed: dict, market) -> None:  # type: ignore[no-untyped-def]
    packages = market.packages.set_index("package_id")
    licensed = set(market.investors.loc[market.investors["licensed_amc"], "investor_id"])
    needs_licence = {
        p for p in live_ids(market.packages)
        if requires_amc_licence(packages.at[p, "seller_type"], packages.at[p, "asset_class"], int(packages.at[p, "loan_count"]))
    }
    assert needs_licence, "the sample market must exercise the licence rule"
    for investor, ranked in pushed["push"]["investors"].items():
        if investor not in licensed:
            assert not needs_licence & set(ranked)
    for package in needs_licence:
        assert set(pushed["push"]["packages"][package]) <= licensed


def test_dismissed_packages_never_come_back(pushed: dict, market) -> None:  # type: ignore[no-untyped-def]
    events = market.events[market.events["event_type"] == "dismiss"]
    dismissed = set(zip(events["investor_id"], events["package_id"], strict=True))
    assert not any((i, p) in dismissed for i, ranked in pushed["push"]["investors"].items() for p in ranked)
    assert not any((i, p) in dismissed for p, buyers in pushed["push"]["packages"].items() for i in buyers)


def test_models_list_json_names_the_active_version(pushed: dict) -> None:
    (model,) = pushed["models"]
    assert {"version", "active", "status", "created_at", "metrics"} <= set(model)
    assert model["active"] is True and model["status"] == "active"


def test_rank_reports_the_rule_set_and_what_the_exposure_floor_did(pushed: dict) -> None:
    assert "rule set 0" in pushed["output"]  # no stored rule set: the built-in defaults
    assert "exposure floor lifted" in pushed["output"]


def test_rank_names_each_listing_still_below_the_floor_and_why(pushed: dict) -> None:
    output, below = pushed["output"], pushed["push"]["below_floor"]
    unmet = int(output.split(" still below it")[0].rsplit("(", 1)[1])
    assert len(below) == unmet
    lines = [line.strip() for line in output.splitlines() if line.startswith("  below the floor: ")]
    assert len(lines) == unmet
    for entry, line in zip(below, lines, strict=True):
        assert entry["reason"] and entry["package_id"] in line and line.endswith(entry["reason"])
        assert entry["in_top"] < 3
