"""Replaying served lists through model versions: the same lists and actions, re-ranked by each."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from data.schema import events_table, served_lists_table
from data.store import create_store_engine, upgrade_schema
from recommender.hybrid import HybridRecommender
from tests.webapi.training_store import TINY, store_with_sample_market
from webapi.cli import main
from webapi.services.replay import UnknownReplayVersionError, replay_versions
from webapi.services.training import TrainingOptions, run_training

SERVED_AT = datetime(2026, 6, 28, 9)


def ranked(scores: np.ndarray, ids: list[str]) -> list[str]:
    return [ids[i] for i in np.argsort(-scores, kind="stable")]


def test_a_replay_reranks_the_same_lists_with_each_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = create_store_engine(url)
    upgrade_schema(engine)
    store_with_sample_market(engine)
    first = run_training(engine, tmp_path / "models", TrainingOptions(config=TINY)).version
    second = run_training(
        engine, tmp_path / "models", TrainingOptions(config=replace(TINY, random_state=5), force=True)
    ).version
    assert first is not None and second is not None
    served_by = HybridRecommender.load(Path(first.artifact_path))
    other = HybridRecommender.load(Path(second.artifact_path))

    packages = served_by.package_ids.external_ids[:12].tolist()
    investors = served_by.investor_ids.external_ids[:8].tolist()
    recommended = ranked(served_by.score(["INV000001"], packages)[0], packages)
    buyers = ranked(served_by.score(investors, ["PKG0000005"])[:, 0], investors)
    with engine.begin() as connection:
        connection.execute(served_lists_table.insert(), [
            {"request_id": "rec", "served_at": SERVED_AT, "kind": "recommendations", "subject_id": "INV000001",
             "model_version": first.version, "rule_version": 0,
             "items": json.dumps([{"id": p, "rank": r} for r, p in enumerate(recommended, start=1)])},
            {"request_id": "buy", "served_at": SERVED_AT, "kind": "buyers", "subject_id": "PKG0000005",
             "model_version": first.version, "rule_version": 0,
             "items": json.dumps([{"id": i, "rank": r} for r, i in enumerate(buyers, start=1)])},
        ])
        connection.execute(events_table.insert(), [
            {"event_id": "acted-1", "investor_id": "INV000001", "package_id": recommended[2], "event_type": "favorite",
             "occurred_at": SERVED_AT, "request_id": "rec"},
            {"event_id": "acted-2", "investor_id": buyers[1], "package_id": "PKG0000005", "event_type": "bid",
             "occurred_at": SERVED_AT, "request_id": "buy", "amount_cny": 1_000_000.0},
        ])

    same, replayed = replay_versions(engine, [first.version, second.version])
    assert (same["lists"], same["acted_items"], same["lists_skipped"]) == (2, 2, 0)
    assert same["mean_reciprocal_rank"] == pytest.approx((1 / 3 + 1 / 2) / 2)  # its own order: as served
    assert same["served_mean_reciprocal_rank"] == pytest.approx((1 / 3 + 1 / 2) / 2)
    rank_in_list = ranked(other.score(["INV000001"], recommended)[0], recommended).index(recommended[2]) + 1
    rank_in_buyers = ranked(other.score(buyers, ["PKG0000005"])[:, 0], buyers).index(buyers[1]) + 1
    assert replayed["mean_reciprocal_rank"] == pytest.approx((1 / rank_in_list + 1 / rank_in_buyers) / 2)

    with pytest.raises(UnknownReplayVersionError, match="nope"):
        replay_versions(engine, ["nope"])
    engine.dispose()
    monkeypatch.setenv("ASSETMATCH_DATABASE_URL", url)
    output = CliRunner().invoke(main, ["models", "replay", first.version], catch_exceptions=False).output
    assert f"{first.version}: 2 acted items in 2 lists" in output and "MRR 0.417" in output
