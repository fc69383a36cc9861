"""Shared fixtures: the tiny rule market, and the committed sample market with a fitted model."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from data.csv_reader import MarketFrames, read_market
from matching.matcher import Matcher
from matching.replay import ReplaySplit
from matching.rule_set import DEFAULT_RULES
from recommender.hybrid import HybridRecommender
from recommender.pipeline import train_recommender
from tests.conftest import SAMPLE_MARKET
from tests.matching.market import tiny_matcher
from webapi.services.rule_replay import prepare_replay

SAMPLE_NOW = pd.Timestamp("2026-06-20").to_pydatetime()


@pytest.fixture
def tiny() -> Matcher:
    """A fresh matcher over the tiny market (cheap: tests may change it)."""
    return tiny_matcher()


@pytest.fixture(scope="session")
def sample() -> MarketFrames:
    return read_market(SAMPLE_MARKET)


@pytest.fixture(scope="session")
def sample_now() -> datetime:
    return SAMPLE_NOW


@pytest.fixture(scope="session")
def sample_model(sample: MarketFrames) -> HybridRecommender:
    """The default engine trained on the sample market at ``SAMPLE_NOW`` (do not change it)."""
    model, _ = train_recommender(sample.investors, sample.packages, sample.events, SAMPLE_NOW)
    return model


@pytest.fixture(scope="session")
def sample_matcher(sample: MarketFrames, sample_model: HybridRecommender) -> Matcher:
    return Matcher.build(
        sample_model, None, sample.investors, sample.packages, sample.events, DEFAULT_RULES, SAMPLE_NOW
    )


@pytest.fixture(scope="session")
def sample_replay(sample: MarketFrames) -> ReplaySplit:
    """The sample market's evaluation split (last 90 days), the default engine fitted at its cutoff."""
    return prepare_replay(sample.investors, sample.packages, sample.events)
