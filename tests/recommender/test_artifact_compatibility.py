"""Artifacts written before the hybrid was split into parts still load and answer the same.

``fixtures/hybrid_artifact_v1.npz`` was saved by the single-class ``HybridRecommender`` (the
planted model of ``test_hybrid_contract`` plus one folded-in investor); the JSON beside it holds
what that model answered. An operator's active model must survive an upgrade unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from recommender.hybrid import HybridRecommender

FIXTURES = Path(__file__).parent / "fixtures"


def test_an_artifact_written_by_the_previous_code_loads_and_answers_the_same() -> None:
    expected = json.loads((FIXTURES / "hybrid_artifact_v1.json").read_text())
    model = HybridRecommender.load(FIXTURES / "hybrid_artifact_v1.npz")
    scores = model.score(expected["investors"], expected["packages"])
    np.testing.assert_allclose(scores, np.asarray(expected["scores"]), rtol=1e-5, atol=1e-5)
    recommended = model.recommend(["north-inv-0"], 2)
    assert [package for package, _ in recommended[0]] == [package for package, _ in expected["recommend"][0]]
    buyers = model.buyers(["new-south"], 3)
    assert [investor for investor, _ in buyers[0]] == [investor for investor, _ in expected["buyers"][0]]
