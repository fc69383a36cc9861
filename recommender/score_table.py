"""Models whose fit produces score tables: the baselines, and rivals scored on a fixed candidate set.

A popularity count, a stated-preference filter or a library model evaluated on a split all end
their fit with scores for known investors × known packages (and, where "who buys this" is
scored differently, known packages × known buyers). ``ScoreTableModel`` serves those tables
through the model interface by external id, so an evaluation scores them exactly as it scores
the hybrid; they save and load as one artifact like every model.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from recommender.artifact import read_arrays, text_array, write_arrays
from recommender.base import Recommender, TrainingT
from recommender.errors import ArtifactError
from recommender.idmap import IdMap

TableModelT = TypeVar("TableModelT", bound="ScoreTableModel")  # type: ignore[type-arg]


@dataclass(frozen=True)
class ScoreTables:
    """Investors × packages scores, and optionally packages × buyers scores, with their ids."""

    investor_ids: IdMap
    package_ids: IdMap
    investor_scores: np.ndarray
    buyer_ids: IdMap | None = None
    buyer_scores: np.ndarray | None = None  # packages × buyers; None: the transpose of the above

    def save(self, path: Path, model: str) -> None:
        arrays = {
            "investor_ids": text_array(self.investor_ids.external_ids),
            "package_ids": text_array(self.package_ids.external_ids),
            "investor_scores": np.asarray(self.investor_scores, dtype=np.float64),
        }
        if self.buyer_ids is not None and self.buyer_scores is not None:
            arrays["buyer_ids"] = text_array(self.buyer_ids.external_ids)
            arrays["buyer_scores"] = np.asarray(self.buyer_scores, dtype=np.float64)
        write_arrays(path, {"model": model, "kind": "score_tables"}, arrays)

    @classmethod
    def load(cls, path: Path, model: str) -> ScoreTables:
        metadata, arrays = read_arrays(path)
        if metadata.get("kind") != "score_tables" or metadata.get("model") != model:
            raise ArtifactError(f"is not a {model} artifact (it holds {metadata.get('model')!r})", path)
        buyers = IdMap(arrays["buyer_ids"].tolist()) if "buyer_ids" in arrays else None
        return cls(
            IdMap(arrays["investor_ids"].tolist()), IdMap(arrays["package_ids"].tolist()),
            arrays["investor_scores"], buyers, arrays.get("buyer_scores"),
        )


class ScoreTableModel(Recommender[TrainingT]):
    """A model that scores from tables its ``_tables`` computes at fit time."""

    _table: ScoreTables

    def _fit(self, training: TrainingT, progress: object) -> None:
        self._table = self._tables(training)

    @abstractmethod
    def _tables(self, training: TrainingT) -> ScoreTables:
        """The score tables of this fit."""

    def score(self, investor_ids: Sequence[str], package_ids: Sequence[str]) -> np.ndarray:
        self._require_fitted()
        table = self._table
        rows = table.investor_ids.rows(investor_ids, "investor")
        columns = table.package_ids.rows(package_ids, "package")
        return np.asarray(table.investor_scores)[np.ix_(rows, columns)]

    def score_buyers(self, package_ids: Sequence[str], investor_ids: Sequence[str]) -> np.ndarray:
        self._require_fitted()
        table = self._table
        if table.buyer_ids is None or table.buyer_scores is None:
            return self.score(investor_ids, package_ids).T
        rows = table.package_ids.rows(package_ids, "package")
        columns = table.buyer_ids.rows(investor_ids, "investor")
        return np.asarray(table.buyer_scores)[np.ix_(rows, columns)]

    def known_packages(self) -> list[str]:
        self._require_fitted()
        return self._table.package_ids.external_ids.tolist()

    def known_investors(self) -> list[str]:
        self._require_fitted()
        table = self._table
        return (table.buyer_ids or table.investor_ids).external_ids.tolist()

    def save(self, path: Path) -> None:
        self._require_fitted()
        self._table.save(path, self.name)

    @classmethod
    def load(cls: type[TableModelT], path: Path) -> TableModelT:
        """The fitted tables only: the model answers as it did, whatever it was built with.

        Every table model can be built with its defaults, which the tables then override.
        """
        model = cls()
        model._table = ScoreTables.load(path, cls.__name__)
        model._fitted = True
        return model
