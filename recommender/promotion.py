"""The promotion gate: may a newly trained version replace the active one?

Pure: holdout metrics in, a decision and its reason out. Both versions are measured on the
same time-ordered holdout (``recommender.evaluation.holdout``), so the comparison is fair even
when the market changed between their trainings. A candidate is promoted unless one of the
gated metrics is worse than the active version's by more than ``tolerance`` (relative) and by
more than two standard errors of the paired per-row difference. The tolerance absorbs small
real losses, the noise term absorbs the chance of a small holdout; a broken model (bad data, a
regression in the code) falls far below both and never serves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

GATED_METRICS: tuple[str, ...] = ("ndcg@10", "buyer_recall@50")
DEFAULT_TOLERANCE = 0.02
# A shortfall must also exceed this many standard errors of the paired difference: on a small
# holdout, refitting with another seed moves NDCG by several percent, and that is not a defect.
NOISE_STANDARD_ERRORS = 2.0


class InvalidToleranceError(ValueError):
    """A tolerance outside [0, 1)."""

    def __init__(self, tolerance: float) -> None:
        super().__init__(f"tolerance must be at least 0 and below 1, got {tolerance!r}")


@dataclass(frozen=True)
class GateDecision:
    """Whether to promote, why (stored as the version's note), and what was compared."""

    promote: bool
    reason: str
    compared: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"promote": self.promote, "reason": self.reason, "compared": list(self.compared)}


def check_tolerance(tolerance: float) -> None:
    """Refuse a tolerance outside [0, 1) (a relative shortfall of 100% would pass anything)."""
    if not 0 <= tolerance < 1:
        raise InvalidToleranceError(tolerance)


def decide_promotion(
    candidate: Mapping[str, float],
    active: Mapping[str, float] | None,
    gated: Sequence[str] = GATED_METRICS,
    tolerance: float = DEFAULT_TOLERANCE,
    force: bool = False,
    active_version: str = "the active version",
    noise: Mapping[str, float] | None = None,
) -> GateDecision:
    """Decide on a candidate from its holdout metrics and the active version's on the same holdout.

    Parameters
    ----------
    candidate
        The candidate's holdout metrics.
    active
        The active version's metrics on the same holdout; ``None`` when no version is active.
    gated
        The metrics the holdout has enough rows to gate on (empty: the holdout is too small).
    tolerance
        How much worse (relative) a gated metric may be: 0.02 lets 0.300 pass against 0.306.
    force
        Promote whatever the metrics say (an operator's decision; the reason records it).
    noise
        Standard error of the per-row difference (candidate − active) of each metric on the
        holdout; a shortfall within ``NOISE_STANDARD_ERRORS`` of them is not a rejection.
    """
    check_tolerance(tolerance)
    if force:
        unforced = decide_promotion(candidate, active, gated, tolerance, False, active_version, noise)
        return GateDecision(True, f"promoted by --force (without it: {unforced.reason})", unforced.compared)
    comparison = _comparison(candidate, active, gated)
    if active is None:
        return GateDecision(True, "promoted: no version was active (first version)")
    if not gated:
        return GateDecision(True, "promoted without a quality gate: insufficient holdout")
    missing = [name for name in gated if name not in candidate or name not in active]
    if missing:
        return GateDecision(
            True, f"promoted without a quality gate: {', '.join(missing)} not measured on both versions"
        )
    noise = noise or {}
    worse = [
        f"{name} {candidate[name]:.4f} is {_relative(candidate[name], active[name]):+.1%} against "
        f"{active_version}'s {active[name]:.4f}"
        for name in gated
        if active[name] - candidate[name] > _allowed(active[name], tolerance, noise.get(name, 0.0))
    ]
    margin = _margin(tolerance, noise, gated)
    if worse:
        reason = f"rejected: {'; '.join(worse)} on the same holdout ({margin})"
        return GateDecision(False, reason, tuple(gated))
    return GateDecision(
        True, _joined(f"promoted: not worse than {active_version} beyond {margin}", comparison), tuple(gated)
    )


def _margin(tolerance: float, noise: Mapping[str, float], gated: Sequence[str]) -> str:
    spread = [f"{name} ±{NOISE_STANDARD_ERRORS * noise[name]:.4f}" for name in gated if noise.get(name)]
    return f"tolerance {tolerance:.0%}" + (f", holdout noise {', '.join(spread)}" if spread else "")


def _allowed(active: float, tolerance: float, standard_error: float) -> float:
    """How far below the active version's score a candidate may fall."""
    return max(tolerance * active, NOISE_STANDARD_ERRORS * standard_error)


def _comparison(
    candidate: Mapping[str, float], active: Mapping[str, float] | None, gated: Sequence[str]
) -> str:
    if active is None:
        return ""
    return ", ".join(
        f"{name} {candidate[name]:.4f} vs {active[name]:.4f} "
        f"({_relative(candidate[name], active[name]):+.1%})"
        for name in gated
        if name in candidate and name in active
    )


def _relative(value: float, reference: float) -> float:
    return (value - reference) / reference if reference else 0.0


def _joined(head: str, detail: str) -> str:
    return f"{head} ({detail})" if detail else head
