"""How strongly each kind of action says "I am interested", and how fast that fades.

One typed event log holds every action; which types count, and how much, is configuration
(gorse's positive/negative feedback types). A bid says far more than a view; a dismiss says
the opposite, so it carries a negative weight. Old actions fade with an exponential half-life,
so an investor whose taste drifts is profiled by what they do now.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from data.contract import EVENT_TYPES
from profiles.errors import InvalidWeightsError

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "impression": 0.0,
        "view": 1.0,
        "favorite": 2.0,
        "dd_request": 3.0,
        "bid": 5.0,
        "win": 5.0,
        "dismiss": -3.0,
    }
)


@dataclass(frozen=True)
class EventWeights:
    """Strength of each event type, the recency half-life and the prior's strength.

    Attributes
    ----------
    weights
        Strength per event type; a type left out weighs 0 (counted in activity, no signal).
        Negative strengths (``dismiss``) subtract from the tastes of the package acted on.
    half_life_days
        An action this many days before ``now`` counts half as much as one made at ``now``.
    prior_strength
        How many strength-weighted actions the stated/prior profile is worth: the share of
        behaviour in a blended profile is ``n_eff / (n_eff + prior_strength)``.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    half_life_days: float = 180.0
    prior_strength: float = 5.0

    def __post_init__(self) -> None:
        for event_type, weight in self.weights.items():
            if event_type not in EVENT_TYPES:
                raise InvalidWeightsError("event type", event_type)
            if not math.isfinite(float(weight)):
                raise InvalidWeightsError(f"weight of {event_type}", weight)
        if not (math.isfinite(self.half_life_days) and self.half_life_days > 0):
            raise InvalidWeightsError("half_life_days", self.half_life_days)
        if not (math.isfinite(self.prior_strength) and self.prior_strength > 0):
            raise InvalidWeightsError("prior_strength", self.prior_strength)
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))

    def __hash__(self) -> int:  # the mapping proxy is not hashable; its items are
        return hash((tuple(sorted(self.weights.items())), self.half_life_days, self.prior_strength))

    def strength_by_code(self) -> np.ndarray:
        """Strengths in ``EVENT_TYPES`` order, for indexing with event-type codes."""
        return np.array([float(self.weights.get(t, 0.0)) for t in EVENT_TYPES], dtype=np.float64)

    def recency(self, age_days: np.ndarray) -> np.ndarray:
        """Exponential decay: 1 at age 0, 1/2 after one half-life."""
        return np.exp2(-np.maximum(age_days, 0.0) / self.half_life_days)

    def behaviour_share(self, n_eff: np.ndarray) -> np.ndarray:
        """Share of observed behaviour in a blended profile; 0 without history, toward 1 with much."""
        n_eff = np.maximum(n_eff, 0.0)
        return n_eff / (n_eff + self.prior_strength)
