"""What a ranked list is made of: items, their scores and the reasons behind each score.

Every item carries machine-readable reasons, each with its effect on the score, so a person can
see why a listing is there and an operator can audit a rule set. Items removed by a rule go in
a separate ``removed`` list (operators only): their reasons say which rule removed them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason behind a score: a stable ``code``, a human ``text`` and its ``effect``.

    ``effect`` is what the reason added to the item's score; for a removal it is minus the score
    the item would have had. A reason whose effect is 0 did not move the score (a ticket fit, a
    stated preference while ``blend.stated`` is 0): it is marked ``informative`` and listed after
    the reasons that did, so it never reads as if it mattered.
    """

    code: str
    text: str
    effect: float
    removal: bool = False  # a rule took the item out: that always mattered

    @property
    def informative(self) -> bool:
        """True when the reason only informs: not a removal, and its effect, as served, is 0."""
        return not self.removal and round(float(self.effect), 6) == 0.0

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "text": self.text,
            "effect": round(float(self.effect), 6) + 0.0,  # + 0.0: never "-0.0"
            "informative": self.informative,
        }


def effect_order(reasons: list[Reason]) -> tuple[Reason, ...]:
    """Reasons that moved the score first (in their given order), informative ones after."""
    return tuple(sorted(reasons, key=lambda reason: reason.informative))


@dataclass(frozen=True, slots=True)
class RankedItem:
    """One listing (or one investor, in a buyer list) at its 1-based ``rank``.

    ``score`` is the rule set's blended score, ``model_score`` the raw model score it started
    from. In a removed list, ``rank`` is the place the item would have taken but for the rule.
    """

    id: str
    rank: int
    score: float
    model_score: float
    reasons: tuple[Reason, ...] = ()

    def to_json(self, explain: bool = True, learned: tuple[Reason, ...] = ()) -> dict:
        """The item as served; ``learned`` are the second stage's reasons, given after the rules'."""
        payload: dict = {
            "id": self.id,
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "model_score": round(float(self.model_score), 6),
        }
        if explain:
            payload["reasons"] = [reason.to_json() for reason in (*self.reasons, *learned)]
        return payload


Explanations = Callable[[], dict[str, tuple[Reason, ...]]]


class RankedList:
    """A ranked list as a person sees it (``items``) and what rules took out (``removed``).

    ``removed`` is for operators only, so it may be given as a function and is then built on
    first access: a person's request does not pay for it.
    """

    __slots__ = ("items", "_removed", "_removed_factory", "_explanations", "_learned")

    def __init__(
        self,
        items: list[RankedItem],
        removed: list[RankedItem] | None = None,
        removed_factory: Callable[[], list[RankedItem]] | None = None,
        explanations: Explanations | None = None,
    ) -> None:
        self.items = items
        self._removed = removed
        self._removed_factory = removed_factory
        self._explanations = explanations  # the second stage's reasons per item id, built on demand
        self._learned: dict[str, tuple[Reason, ...]] | None = None

    def learned_reasons(self) -> dict[str, tuple[Reason, ...]]:
        """The learned second stage's reasons for the items (empty without one), computed once.

        They cost a LightGBM contribution pass per item, so only a list served with its
        reasons pays for them.
        """
        if self._learned is None:
            self._learned = self._explanations() if self._explanations is not None else {}
            self._explanations = None
        return self._learned

    @property
    def removed(self) -> list[RankedItem]:
        if self._removed is None:
            self._removed = self._removed_factory() if self._removed_factory is not None else []
            self._removed_factory = None
        return self._removed

    @property
    def ids(self) -> list[str]:
        return [item.id for item in self.items]

    def __repr__(self) -> str:
        return f"RankedList(items={self.items!r})"

    def to_json(self, explain: bool = True, include_removed: bool = False) -> dict:
        learned = self.learned_reasons() if explain else {}
        payload: dict = {"items": [item.to_json(explain, learned.get(item.id, ())) for item in self.items]}
        if include_removed:
            payload["removed"] = [item.to_json(True) for item in self.removed]
        return payload
