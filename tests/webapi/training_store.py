"""Helpers of the training tests: a store holding the sample market, tiny configs, event transforms."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from data.importer import import_market
from data.model_registry import ModelVersion, active_version, list_versions
from data.schema import events_table
from recommender.hybrid import ALSParams, HybridConfig, LightFMParams
from tests.conftest import SAMPLE_MARKET

# Small enough that a whole run (holdout fits and the final fit) takes a couple of seconds.
TINY = HybridConfig(lightfm=LightFMParams(components=8, epochs=3), als=ALSParams(factors=8, iterations=3))


def store_with_sample_market(engine: Engine) -> Engine:
    import_market(engine, SAMPLE_MARKET)
    return engine


def shuffled_packages(events: pd.DataFrame) -> pd.DataFrame:
    """Who acted on what, scrambled: the same activity per investor and per package, no taste left."""
    rng = np.random.default_rng(0)
    return events.assign(package_id=rng.permutation(events["package_id"].to_numpy()))


def add_event(engine: Engine, event_id: str, occurred_at: datetime = datetime(2026, 6, 29, 12)) -> None:
    """One more event, as feedback arriving after the last training would be."""
    with engine.begin() as connection:
        connection.execute(events_table.insert().values(
            event_id=event_id, investor_id="INV000001", package_id="PKG0000001", event_type="view",
            occurred_at=occurred_at,
        ))


def versions(engine: Engine) -> list[ModelVersion]:
    with engine.connect() as connection:
        return list_versions(connection)


def active_name(engine: Engine) -> str | None:
    with engine.connect() as connection:
        version = active_version(connection)
    return version.version if version else None


def event_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(events_table)).scalar_one())
