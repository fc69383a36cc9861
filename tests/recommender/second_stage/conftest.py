"""One fold of the committed sample market and a small second stage trained on it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from data.csv_reader import MarketFrames, read_market
from recommender.hybrid import HybridConfig
from recommender.lightfm_part import LightFMParams
from recommender.second_stage import Fold, SecondStage, SecondStageParams, fit_fold
from recommender.second_stage.folds import buyer_examples, ranking_examples
from tests.conftest import SAMPLE_MARKET

WINDOW_DAYS = 90
# Small and single-threaded: fast, and a refit gives the same numbers.
CONFIG = HybridConfig(lightfm=LightFMParams(components=16, epochs=3, learning_rate=0.1), num_threads=1)
PARAMS = SecondStageParams(candidates=100, buyer_candidates=100, rounds=30, min_data_in_leaf=20)


@pytest.fixture(scope="session")
def market() -> MarketFrames:
    return read_market(SAMPLE_MARKET)


@pytest.fixture(scope="session")
def cutoff(market: MarketFrames) -> datetime:
    return pd.Timestamp(market.packages["listed_at"].max()).to_pydatetime() - timedelta(days=2 * WINDOW_DAYS)


@pytest.fixture(scope="session")
def fold(market: MarketFrames, cutoff: datetime) -> Fold:
    return fit_fold(market.investors, market.packages, market.events, cutoff, WINDOW_DAYS, CONFIG)


@pytest.fixture(scope="session")
def stage(fold: Fold) -> SecondStage:
    return SecondStage.fit(
        ranking_examples(fold, PARAMS.candidates),
        buyer_examples(fold, PARAMS.buyer_candidates, PARAMS.negatives_per_positive, 0),
        PARAMS,
    )
