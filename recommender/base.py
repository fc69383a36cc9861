"""The one interface every model speaks: the hybrid, the baselines, the MovieLens rivals.

In the spirit of implicit's ``RecommenderBase`` and RecTools' ``ModelBase``: the public ``fit``
does the bookkeeping (forget the old fit, run ``_fit``, mark the model fitted) and subclasses
implement ``_fit``. Everything after a fit is by external id, in both directions:

- ``score(investor_ids, package_ids)``: investors × packages; ``score_buyers`` packages ×
  investors (a model may score "who buys this" differently from "what suits this investor";
  by default it is the transpose);
- ``recommend`` (packages for investors) and ``buyers`` (investors for packages), each with an
  allowed set and per-query exclusions, best first;
- ``add_packages`` / ``add_investors`` fold in a new item or user without refitting;
- ``save`` / ``load`` one artifact.

Retrieval has a generic form (score every known, allowed candidate and sort), so a model need
only say what it knows; the hybrid replaces it with its FAISS index. Capabilities a model does
not have (a random baseline cannot place a new listing) raise ``UnsupportedError`` naming the
model, never a silent wrong answer. So an evaluation treats "a model" as one thing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from recommender.errors import NotFittedError, RecommenderError
from recommender.progress import SILENT, Progress

FeatureRow = Mapping[str, float]
Ranked = list[tuple[str, float]]
TrainingT = TypeVar("TrainingT")
ModelT = TypeVar("ModelT", bound="Recommender[Any]")


class UnsupportedError(RecommenderError, NotImplementedError):
    """A model asked for something it cannot do (fold in, save), named with the model."""

    def __init__(self, model: str, what: str) -> None:
        super().__init__(f"{model} cannot {what}")


class Recommender(ABC, Generic[TrainingT]):
    """Fit on a training set, then score and retrieve by external ids in both directions."""

    _fitted: bool = False

    @property
    def name(self) -> str:
        """What reports call the model."""
        return type(self).__name__

    # ------------------------------------------------------------------------- fitting
    def fit(self: ModelT, training: TrainingT, progress: Progress = SILENT) -> ModelT:
        """Learn from ``training`` (a refit forgets the previous fit) and return the model."""
        self._fitted = False
        self._fit(training, progress)
        self._fitted = True
        return self

    @abstractmethod
    def _fit(self, training: TrainingT, progress: Progress) -> None:
        """Learn from ``training``; called by ``fit``."""

    def _require_fitted(self) -> None:
        if not self._fitted:
            raise NotFittedError(self.name)

    # ------------------------------------------------------------------------- scoring
    @abstractmethod
    def score(self, investor_ids: Sequence[str], package_ids: Sequence[str]) -> np.ndarray:
        """Scores, investors × packages: how well each package suits each investor."""

    def score_buyers(self, package_ids: Sequence[str], investor_ids: Sequence[str]) -> np.ndarray:
        """Scores, packages × investors: how likely each investor is to act on each package."""
        return self.score(investor_ids, package_ids).T

    @abstractmethod
    def known_packages(self) -> list[str]:
        """The packages ``recommend`` may return when no allowed set narrows them."""

    @abstractmethod
    def known_investors(self) -> list[str]:
        """The investors ``buyers`` may return when no allowed set narrows them."""

    # ----------------------------------------------------------------------- retrieval
    def recommend(
        self,
        investor_ids: Sequence[str],
        k: int,
        allowed_packages: Collection[str] | None = None,
        exclude: Mapping[str, Collection[str]] | None = None,
    ) -> list[Ranked]:
        """The ``k`` best packages for each investor, best first, with scores."""
        self._require_fitted()
        candidates = _candidates(self.known_packages(), allowed_packages)
        scores = self.score(investor_ids, candidates) if candidates else np.zeros((len(investor_ids), 0))
        return _top_k(investor_ids, candidates, scores, k, exclude)

    def buyers(
        self,
        package_ids: Sequence[str],
        k: int,
        allowed_investors: Collection[str] | None = None,
        exclude: Mapping[str, Collection[str]] | None = None,
    ) -> list[Ranked]:
        """The ``k`` investors most likely to act on each package, best first, with scores."""
        self._require_fitted()
        candidates = _candidates(self.known_investors(), allowed_investors)
        scores = self.score_buyers(package_ids, candidates) if candidates else np.zeros((len(package_ids), 0))
        return _top_k(package_ids, candidates, scores, k, exclude)

    # ------------------------------------------------------------------------- fold-in
    def add_packages(self, package_ids: Sequence[str], feature_rows: Sequence[FeatureRow]) -> None:
        """Make new (or edited) packages scorable from their features, without refitting."""
        raise UnsupportedError(self.name, "fold in new packages")

    def add_investors(
        self,
        investor_ids: Sequence[str],
        feature_rows: Sequence[FeatureRow],
        evidence: Sequence[Mapping[str, float]] | None = None,
    ) -> None:
        """Make new (or changed) investors scorable from their profile and evidence."""
        raise UnsupportedError(self.name, "fold in new investors")

    # --------------------------------------------------------------------- persistence
    def save(self, path: Path) -> None:
        """Write the fitted model as one artifact."""
        raise UnsupportedError(self.name, "be saved")

    @classmethod
    def load(cls: type[ModelT], path: Path) -> ModelT:
        """Read a model written by ``save``."""
        raise UnsupportedError(cls.__name__, "be loaded")


def _candidates(known: list[str], allowed: Collection[str] | None) -> list[str]:
    if allowed is None:
        return known
    allowed = set(allowed)
    return [candidate for candidate in known if candidate in allowed]


def _top_k(
    queries: Sequence[str],
    candidates: list[str],
    scores: np.ndarray,
    k: int,
    exclude: Mapping[str, Collection[str]] | None,
) -> list[Ranked]:
    """Per query, the ``k`` best candidates not excluded for it (ties keep catalogue order)."""
    ranked = []
    for query, row in zip(queries, np.asarray(scores), strict=True):
        excluded = set(exclude.get(query, ())) if exclude else set()
        order = np.argsort(-row, kind="stable")
        best = [(candidates[i], float(row[i])) for i in order.tolist() if candidates[i] not in excluded]
        ranked.append(best[: max(k, 0)])
    return ranked
