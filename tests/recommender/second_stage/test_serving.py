"""The second stage inside serving: candidates re-ordered before the rules, fold-in at once."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from data.csv_reader import MarketFrames
from data.liveness import live_packages
from matching.matcher import Matcher
from matching.rule_set import DEFAULT_RULES
from recommender.pipeline import train_recommender
from recommender.second_stage import SecondStage
from tests.recommender.second_stage.conftest import CONFIG

NOW = pd.Timestamp("2026-06-20").to_pydatetime()


@pytest.fixture(scope="module")
def served(market: MarketFrames, stage: SecondStage) -> Matcher:
    model, profiles = train_recommender(market.investors, market.packages, market.events, NOW, CONFIG)
    model.second_stage = stage
    return Matcher.build(
        model, profiles, market.investors, market.packages, market.events, DEFAULT_RULES, NOW
    )


def first_stage(matcher: Matcher, query: str, query_id: str, width: int) -> tuple[list[str], np.ndarray]:
    (found,) = matcher.model.retrieve(query, [query_id], width)
    ids = (matcher.model.package_ids if query == "investor" else matcher.model.investor_ids).ids(found.rows)
    return ids, found.scores


def test_an_investors_candidates_are_in_the_second_stages_order_before_the_rules(
    served: Matcher, stage: SecondStage
) -> None:
    live = served.state.second_stage
    assert live is not None
    changed = 0
    for investor_id in served.model.investor_ids.external_ids[:20].tolist():
        ids, scores = first_stage(served, "investor", investor_id, 150)
        (found,) = served.state.retrieve("investor", [investor_id], 150)
        served_ids = served.model.package_ids.ids(found.rows)
        expected = [
            p for p, _ in stage.rerank(live.investors, live.packages, investor_id, ids[:100], scores[:100])
        ]
        assert served_ids[:100] == expected  # the block the stage re-ranks (params.candidates = 100)
        assert served_ids[100:] == ids[100:]  # below it, first-stage order
        assert np.array_equal(found.scores, scores)  # the first stage's values, best first
        changed += served_ids != ids
    assert changed > 0


def test_a_listings_buyers_are_ordered_by_the_buyer_classifier(served: Matcher, stage: SecondStage) -> None:
    live = served.state.second_stage
    assert live is not None
    package_id = served.model.package_ids.ids(served.model.package_index.stored_rows()[:1])[0]
    ids, scores = first_stage(served, "package", package_id, 100)
    (found,) = served.state.retrieve("package", [package_id], 100)
    expected = [i for i, _ in stage.rank_buyers(live.investors, live.packages, package_id, ids, scores)]
    assert served.model.investor_ids.ids(found.rows) == expected


def test_a_new_listing_is_scored_by_the_second_stage_at_once(served: Matcher, market: MarketFrames) -> None:
    live = served.state.second_stage
    assert live is not None
    template = live_packages(market.packages, NOW).iloc[[0]]
    new = template.assign(package_id="PKG-NEW-SECOND-STAGE", listed_at=pd.Timestamp(NOW))
    served.upsert_packages(new)
    assert "PKG-NEW-SECOND-STAGE" in live.packages.ids
    investor_id = served.model.investor_ids.external_ids[0]
    ids, scores = first_stage(served, "investor", investor_id, len(served.model.package_index))
    at = ids.index("PKG-NEW-SECOND-STAGE")
    block = [*ids[:5], ids[at]]
    learned = dict(
        live.stage.rerank(live.investors, live.packages, investor_id, block, scores[[0, 1, 2, 3, 4, at]])
    )
    assert np.isfinite(learned["PKG-NEW-SECOND-STAGE"])
    reasons = served.recommend(investor_id, 20)
    assert len(reasons.items) == 20


def test_a_new_investor_is_in_the_second_stages_context_at_once(
    served: Matcher, market: MarketFrames
) -> None:
    live = served.state.second_stage
    assert live is not None
    row = market.investors.iloc[[0]].assign(
        investor_id="INV-NEW-SECOND-STAGE", registered_at=pd.Timestamp(NOW)
    )
    served.upsert_investors(row)
    assert "INV-NEW-SECOND-STAGE" in live.investors.ids
    before = len(live.investors)
    served.upsert_investors(
        row.assign(risk_appetite=row["risk_appetite"])
    )  # an edit: written over, not appended
    assert len(live.investors) == before
    assert len(served.recommend("INV-NEW-SECOND-STAGE", 10, datetime(2026, 6, 20, 1)).items) == 10


def test_listed_items_carry_learned_reasons_only_when_explained(served: Matcher) -> None:
    investor_id = served.model.investor_ids.external_ids[3]
    ranked = served.recommend(investor_id, 20)
    payload = ranked.to_json(explain=True)
    learned = [r for item in payload["items"] for r in item["reasons"] if r["code"].startswith("learned:")]
    assert learned and all(r["text"] and r["effect"] == 0.0 for r in learned)
    # The rules' reasons come first; a list served without reasons never computes the learned ones.
    assert not payload["items"][0]["reasons"][0]["code"].startswith("learned:")
    quiet = served.recommend(investor_id, 20)
    assert "reasons" not in quiet.to_json(explain=False)["items"][0]
    assert quiet._learned is None
