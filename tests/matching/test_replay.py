"""Default rules on the sample market's evaluation split: no ineligible pair, model quality kept.

Measured (docs/matching.md): raw model NDCG@10 0.1940 with 6,524 ineligible pairs in its lists;
default rules NDCG@10 0.2054 with none.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from matching.replay import compare, replay_model, replay_rules
from matching.rule_set import DEFAULT_RULES, Boost, Boosts, Diversity, Exposure
from recommender.evaluation.market_report import evaluate, model_scores


def test_default_rules_have_no_ineligible_pair_and_keep_ndcg_within_two_percent(sample_replay) -> None:  # type: ignore[no-untyped-def]
    raw, default = compare(sample_replay, [("default", DEFAULT_RULES)])
    assert raw.metrics["ineligible_pairs"] > 0  # the model alone breaks the rules
    assert default.metrics["ineligible_pairs"] == 0
    assert default.metrics["ndcg@10"] >= 0.98 * raw.metrics["ndcg@10"]
    assert default.metrics["floor_met"] > raw.metrics["floor_met"]
    assert default.metrics["coverage"] >= raw.metrics["coverage"]


def test_the_raw_replay_measures_what_the_evaluation_measures(sample_replay) -> None:  # type: ignore[no-untyped-def]
    split = sample_replay.split
    reference = evaluate("engine", split, model_scores(sample_replay.model, split)).metrics
    raw = replay_model(sample_replay, DEFAULT_RULES).metrics
    assert raw["ndcg@10"] == pytest.approx(reference["ndcg@10"], abs=1e-6)
    assert raw["precision@10"] == pytest.approx(reference["precision@10"], abs=1e-6)
    assert raw["buyer_recall@50"] == pytest.approx(reference["buyer_recall@50"], abs=1e-6)


def test_every_rule_set_replays_without_an_ineligible_pair(sample_replay) -> None:  # type: ignore[no-untyped-def]
    on = Boost(enabled=True, weight=0.3)
    busy = replace(
        DEFAULT_RULES,
        boosts=Boosts(
            closing_soon=on, newly_listed=on, data_room=on, preferred_province=on, hesitant_transparency=on
        ),
        diversity=Diversity(3, 3, 3),
        exposure=Exposure(daily_cap_per_package=40, floor_investors=5),
    )
    result = replay_rules(sample_replay, busy, "busy")
    assert result.metrics["ineligible_pairs"] == 0
    assert result.lists.shape[1] == 20
