"""The what-if preview on the sample market: list changes for sampled investors and the offline replay."""

from __future__ import annotations

import json
from dataclasses import replace

from matching.matcher import Matcher
from matching.preview import list_change, preview_rules
from matching.rule_set import DEFAULT_RULES, Blend, Boost, Boosts, Diversity

CANDIDATE = replace(
    DEFAULT_RULES,
    blend=Blend(model=1.0, stated=0.5, rules=1.0),
    boosts=replace(DEFAULT_RULES.boosts, data_room=Boost(enabled=True, weight=0.3)),
    diversity=Diversity(max_per_asset_type=3),
)


def test_list_change_names_what_came_in_went_out_and_moved() -> None:
    change = list_change("i", ["a", "b", "c"], ["b", "d", "a"])
    assert change.entered == [("d", 2)]
    assert change.left == [("c", 3)]
    assert change.moved == [("b", 2, 1), ("a", 1, 3)]
    assert list_change("i", ["a"], ["a"]).changed is False


def test_preview_end_to_end_on_the_sample(
    sample, sample_model, sample_matcher: Matcher, sample_now, sample_replay
) -> None:  # type: ignore[no-untyped-def]
    preview = preview_rules(
        sample,
        sample_model,
        DEFAULT_RULES,
        CANDIDATE,
        sample_now,
        sample=30,
        k=20,
        matcher=sample_matcher,
        replay=sample_replay,
    )
    payload = preview.to_json()
    json.dumps(payload)  # serialisable as it is
    assert payload["sample"]["investors"] == 30
    assert payload["sample"]["changed"] > 0
    changed = payload["sample"]["lists"][0]
    assert {"investor_id", "in", "out", "moved"} == set(changed)
    names = [result["name"] for result in payload["offline"]["results"]]
    assert names == ["raw model", "active", "candidate"]
    by_name = {result["name"]: result["metrics"] for result in payload["offline"]["results"]}
    assert by_name["active"]["ineligible_pairs"] == 0 and by_name["candidate"]["ineligible_pairs"] == 0
    assert by_name["raw model"]["ineligible_pairs"] > 0
    assert set(by_name["candidate"]) == {
        "ndcg@10",
        "precision@10",
        "buyer_recall@50",
        "ineligible_pairs",
        "coverage",
        "floor_met",
    }
    assert payload["offline"]["split"]["test_listings"] == len(sample_replay.package_ids)
    lines = preview.lines()
    assert lines[0].startswith(
        f"lists: {payload['sample']['changed']} of 30 sampled investors' top 20 change"
    )
    assert any(line.strip().startswith("candidate") for line in lines)


def test_the_same_rules_change_nothing(sample, sample_model, sample_matcher: Matcher, sample_now) -> None:  # type: ignore[no-untyped-def]
    preview = preview_rules(
        sample,
        sample_model,
        DEFAULT_RULES,
        DEFAULT_RULES,
        sample_now,
        sample=20,
        matcher=sample_matcher,
        offline=False,
    )
    assert preview.to_json()["sample"]["changed"] == 0
    assert preview.offline == []
    boosted = replace(DEFAULT_RULES, boosts=Boosts(data_room=Boost(True, 5.0)))
    assert (
        preview_rules(
            sample,
            sample_model,
            DEFAULT_RULES,
            boosted,
            sample_now,
            sample=20,
            matcher=sample_matcher,
            offline=False,
        ).to_json()["sample"]["changed"]
        > 0
    )
