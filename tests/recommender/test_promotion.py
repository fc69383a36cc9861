"""The promotion gate, table-driven: holdout metrics in, decision and reason out."""

from __future__ import annotations

import pytest

from recommender.promotion import GATED_METRICS, InvalidToleranceError, decide_promotion

BOTH = GATED_METRICS
ACTIVE = {"ndcg@10": 0.300, "buyer_recall@50": 0.500}

CASES = [
    # (name, candidate, active, gated, tolerance, force, promote, words in the reason)
    ("first version", {"ndcg@10": 0.1, "buyer_recall@50": 0.2}, None, BOTH, 0.02, False, True, ["first version"]),
    ("equal", dict(ACTIVE), ACTIVE, BOTH, 0.02, False, True, ["beyond tolerance 2%"]),
    ("better on both", {"ndcg@10": 0.33, "buyer_recall@50": 0.55}, ACTIVE, BOTH, 0.02, False, True, ["+10.0%"]),
    ("slightly worse, inside tolerance", {"ndcg@10": 0.2945, "buyer_recall@50": 0.491}, ACTIVE, BOTH, 0.02, False,
     True, ["promoted"]),
    ("NDCG worse than tolerance", {"ndcg@10": 0.29, "buyer_recall@50": 0.6}, ACTIVE, BOTH, 0.02, False, False,
     ["rejected", "ndcg@10 0.2900", "-3.3%", "0.3000", "tolerance 2%"]),
    ("buyer recall worse than tolerance", {"ndcg@10": 0.4, "buyer_recall@50": 0.45}, ACTIVE, BOTH, 0.02, False,
     False, ["buyer_recall@50", "-10.0%"]),
    ("both worse names both", {"ndcg@10": 0.1, "buyer_recall@50": 0.1}, ACTIVE, BOTH, 0.02, False, False,
     ["ndcg@10", "buyer_recall@50"]),
    ("a wider tolerance lets it through", {"ndcg@10": 0.29, "buyer_recall@50": 0.5}, ACTIVE, BOTH, 0.05, False,
     True, ["tolerance 5%"]),
    ("zero tolerance rejects any loss", {"ndcg@10": 0.2999, "buyer_recall@50": 0.5}, ACTIVE, BOTH, 0.0, False,
     False, ["rejected"]),
    ("force promotes a worse model and says so", {"ndcg@10": 0.1, "buyer_recall@50": 0.1}, ACTIVE, BOTH, 0.02, True,
     True, ["promoted by --force (without it: rejected: ndcg@10 0.1000 is -66.7%"]),
    ("only the gated metric counts", {"ndcg@10": 0.31, "buyer_recall@50": 0.1}, ACTIVE, ("ndcg@10",), 0.02, False,
     True, ["promoted"]),
    ("insufficient holdout gates nothing", {}, ACTIVE, (), 0.02, False, True, ["insufficient holdout"]),
    ("active version not measurable", {"ndcg@10": 0.1, "buyer_recall@50": 0.1}, {}, BOTH, 0.02, False, True,
     ["without a quality gate", "not measured"]),
    ("a zero active score cannot be undercut", {"ndcg@10": 0.0, "buyer_recall@50": 0.0},
     {"ndcg@10": 0.0, "buyer_recall@50": 0.0}, BOTH, 0.02, False, True, ["promoted"]),
]


@pytest.mark.parametrize(
    ("candidate", "active", "gated", "tolerance", "force", "promote", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_gate(candidate, active, gated, tolerance, force, promote, words) -> None:  # type: ignore[no-untyped-def]
    decision = decide_promotion(candidate, active, gated, tolerance, force)
    assert decision.promote is promote
    for word in words:
        assert word in decision.reason


NOISY_CASES = [
    # (name, candidate, standard errors of the paired differences, promote)
    ("a loss inside two standard errors is noise", {"ndcg@10": 0.285, "buyer_recall@50": 0.5},
     {"ndcg@10": 0.01, "buyer_recall@50": 0.0}, True),
    ("a loss beyond two standard errors and the tolerance is rejected", {"ndcg@10": 0.27, "buyer_recall@50": 0.5},
     {"ndcg@10": 0.01, "buyer_recall@50": 0.0}, False),
    ("a tiny standard error leaves the tolerance in charge", {"ndcg@10": 0.29, "buyer_recall@50": 0.5},
     {"ndcg@10": 0.0001, "buyer_recall@50": 0.0001}, False),
]


@pytest.mark.parametrize(("candidate", "noise", "promote"), [case[1:] for case in NOISY_CASES],
                         ids=[case[0] for case in NOISY_CASES])
def test_the_gate_allows_for_the_noise_of_a_small_holdout(candidate, noise, promote) -> None:  # type: ignore[no-untyped-def]
    decision = decide_promotion(candidate, ACTIVE, BOTH, 0.02, noise=noise)
    assert decision.promote is promote
    assert "holdout noise ndcg@10 ±0.0" in decision.reason


@pytest.mark.parametrize("tolerance", [-0.01, 1.0, 2.0])
def test_a_tolerance_outside_zero_to_one_is_refused(tolerance: float) -> None:
    with pytest.raises(InvalidToleranceError, match=str(tolerance)):
        decide_promotion(dict(ACTIVE), ACTIVE, tolerance=tolerance)
