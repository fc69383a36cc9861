"""Training for the rules' offline replay and preview: the part of them that fits a model.

``matching.replay`` and ``matching.preview`` are pure (arrays in, metrics and list changes
out); replaying a rule set needs a model fitted at the evaluation split's cutoff, because the
serving model has seen the window it would be judged on. That fit happens here, where the
services that train live, and the prepared split is handed to matching.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from matching.preview import MarketFrames, RulePreview
from matching.preview import preview_rules as preview_prepared
from matching.replay import ReplaySplit, encode_split
from matching.rule_set import RuleSet
from recommender.evaluation.market_report import fit_on_split
from recommender.evaluation.split import time_split
from recommender.hybrid import HybridConfig, HybridRecommender

DEFAULT_WINDOW_DAYS = 90


def prepare_replay(
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    config: HybridConfig | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    end: datetime | None = None,
) -> ReplaySplit:
    """Split at ``end - window_days`` (``end``: the newest listing), fit there, encode the market."""
    end = end or pd.Timestamp(packages["listed_at"].max()).to_pydatetime() + timedelta(seconds=1)
    split = time_split(investors, packages, events, end - timedelta(days=window_days), end)
    model = fit_on_split(split, config or HybridConfig())
    return encode_split(split, model)


def preview_rules(
    market: MarketFrames,
    model: HybridRecommender,
    active: RuleSet,
    candidate: RuleSet,
    now: datetime,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    **options: Any,
) -> RulePreview:
    """``matching.preview.preview_rules`` (same ``options``), refitting the model's configuration first.

    Without a prepared ``replay`` (and unless ``offline=False``), the last evaluation split of
    ``window_days`` is prepared from ``market`` with ``model.config`` first.
    """
    if options.get("offline", True) and options.get("replay") is None:
        options["replay"] = prepare_replay(
            market.investors, market.packages, market.events, model.config, window_days
        )
    return preview_prepared(market, model, active, candidate, now, **options)
