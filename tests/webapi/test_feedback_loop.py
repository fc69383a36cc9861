"""The feedback loop end to end: feedback posted through the API moves the next promoted model.

A group of private funds starts bidding on industrial property through ``POST /v1/events``; a
retrain is promoted by the gate and reaches the serving app without a restart, and those funds'
lists now rank industrial property higher. A candidate learned from shuffled events is rejected
and the app keeps serving the promoted version.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from flask.testing import FlaskClient
from sqlalchemy import Engine

from data.api_keys import create_key
from data.csv_reader import read_market
from data.model_registry import REJECTED
from recommender.hybrid import ALSParams, HybridConfig, LightFMParams
from tests.conftest import SAMPLE_MARKET
from tests.webapi.conftest import AS_OF, app_config, call
from tests.webapi.training_store import active_name, shuffled_packages, store_with_sample_market
from webapi.http.app import create_app
from webapi.services.training import PROMOTED, TrainingOptions, run_training

NEW_TASTE = "industrial_property"
GROUP_SIZE = 20
PACKAGES_PER_INVESTOR = 12
CONFIG = HybridConfig(lightfm=LightFMParams(components=16, epochs=10), als=ALSParams(factors=16, iterations=5))


def _group_and_feedback() -> tuple[list[str], list[dict]]:
    """Private funds that never touched industrial property, and their new bids on past listings of it."""
    market = read_market(SAMPLE_MARKET)
    investors, packages, events = market.investors, market.packages, market.events
    kind = events.merge(packages[["package_id", "asset_type"]], on="package_id")
    touched = set(kind.loc[kind["asset_type"] == NEW_TASTE, "investor_id"])
    funds = investors[(investors["investor_type"] == "private_fund") & ~investors["investor_id"].isin(touched)]
    group = sorted(funds["investor_id"])[:GROUP_SIZE]
    # Recent listings, acted on while they were on sale: the shift runs up to the clock, so the
    # holdout the gate scores on (the newest two weeks) shows it too.
    recent = packages[
        (packages["asset_type"] == NEW_TASTE)
        & (packages["listed_at"] >= AS_OF - timedelta(days=150))
        & (packages["listed_at"] < AS_OF - timedelta(days=1))
    ]
    rng = np.random.default_rng(5)
    feedback = []
    for investor_id in group:
        chosen = recent.iloc[rng.choice(len(recent), min(PACKAGES_PER_INVESTOR, len(recent)), replace=False)]
        for package in chosen.itertuples():
            end = min(package.closes_at, AS_OF)
            when = package.listed_at + (end - package.listed_at) * rng.uniform(0.1, 0.9)
            for event_type in ("dd_request", "bid"):
                feedback.append({
                    "event_id": f"shift-{investor_id}-{package.package_id}-{event_type}",
                    "investor_id": investor_id,
                    "package_id": package.package_id,
                    "event_type": event_type,
                    "occurred_at": when.to_pydatetime().replace(microsecond=0).isoformat() + "+00:00",
                    **({"amount_cny": float(package.reserve_price_cny)} if event_type == "bid" else {}),
                })
    return group, feedback


def _mean_rank_of_new_taste(client: FlaskClient, key: str, group: list[str], asset_types: dict[str, str]) -> float:
    """Where industrial property sits in the group's lists: mean relative rank, 0 top, 1 bottom."""
    ranks = []
    for investor_id in group:
        response = call(client, "get", f"/v1/investors/{investor_id}/recommendations?k=100&explain=false", key)
        assert response.status_code == 200, response.get_data(as_text=True)
        ids = [item["id"] for item in response.get_json()["items"]]
        ranks += [n / max(len(ids) - 1, 1) for n, i in enumerate(ids) if asset_types[i] == NEW_TASTE]
    assert ranks, "no industrial property in the group's lists"
    return float(np.mean(ranks))


def _served_version(client: FlaskClient, key: str, investor_id: str) -> str:
    response = call(client, "get", f"/v1/investors/{investor_id}/recommendations?k=5", key)
    return response.get_json()["model_version"]


def test_feedback_through_the_api_shifts_the_promoted_model_and_a_broken_one_is_rejected(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    store_with_sample_market(engine)
    models = tmp_path / "models"
    first = run_training(engine, models, TrainingOptions(config=CONFIG, as_of=AS_OF))
    assert first.status == PROMOTED and first.version is not None
    with engine.begin() as connection:
        key = create_key(connection, "platform", AS_OF, label="marketplace")[1]
    app = create_app(app_config(database_url, tmp_path))
    client = app.test_client()
    asset_types = dict(pd.read_csv(SAMPLE_MARKET / "packages.csv", usecols=["package_id", "asset_type"]).values)
    group, feedback = _group_and_feedback()
    assert len(group) == GROUP_SIZE

    before = _mean_rank_of_new_taste(client, key, group, asset_types)
    assert _served_version(client, key, group[0]) == first.version.version

    posted = call(client, "post", "/v1/events", key, json={"events": feedback})
    assert posted.status_code == 201, posted.get_data(as_text=True)
    assert posted.get_json()["accepted"] == len(feedback)

    retrained = run_training(engine, models, TrainingOptions(config=CONFIG, as_of=AS_OF))
    assert retrained.status == PROMOTED and retrained.version is not None, retrained.reason
    assert _served_version(client, key, group[0]) == retrained.version.version  # hot swap, no restart
    after = _mean_rank_of_new_taste(client, key, group, asset_types)
    assert after < before - 0.1, (before, after)

    late = {**feedback[0], "event_id": "late-view", "event_type": "view", "occurred_at": datetime(2026, 6, 19).isoformat()}
    late.pop("amount_cny", None)
    assert call(client, "post", "/v1/events", key, json=late).status_code == 201
    broken = run_training(
        engine, models, TrainingOptions(config=CONFIG, as_of=AS_OF, transform_events=shuffled_packages)
    )
    assert broken.status == REJECTED, broken.reason
    assert active_name(engine) == retrained.version.version
    assert _served_version(client, key, group[0]) == retrained.version.version
    app.extensions["assetmatch.engine"].dispose()
