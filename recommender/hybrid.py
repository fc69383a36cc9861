"""The hybrid recommender: LightFM on features plus ALS on investors × features, as vectors.

The blended score is what an exact FAISS inner-product index returns, in both directions. A new
package needs only its content features to get a vector, and a new investor only its profile,
so neither waits for a retrain.

``HybridRecommender`` speaks the model interface (``recommender.base``) and composes its parts,
one job each:

- fitting: ``recommender.hybrid_fit`` (both halves, vocabularies, training vectors);
- vector assembly: ``recommender.hybrid_vectors.HybridVectoriser`` (the bias trick, the
  standardised LightFM block, fold-in of new investors and packages, reweighting);
- live index: one ``recommender.live_index.LiveIndex`` per side (ids, vectors, FAISS index);
- persistence: ``recommender.hybrid_artifact`` (one ``.npz``, format unchanged).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.als_part import ALSParams
from recommender.base import FeatureRow, Ranked, Recommender
from recommender.hybrid_artifact import HybridParts, load_parts, save_parts
from recommender.hybrid_config import HybridConfig
from recommender.hybrid_fit import fit_hybrid
from recommender.hybrid_vectors import HybridVectoriser
from recommender.idmap import IdMap
from recommender.lightfm_part import LightFMParams
from recommender.live_index import LiveIndex
from recommender.progress import SILENT, Progress
from recommender.retrieval import SearchResult, VectorIndex
from recommender.row_store import SparseRows
from recommender.training_set import TrainingSet

__all__ = ["ALSParams", "HybridConfig", "HybridRecommender", "LightFMParams", "Ranked", "TrainingSet"]


class HybridRecommender(Recommender[TrainingSet]):
    """Fit once, then recommend packages, find buyers and similar packages by external id."""

    def __init__(self, config: HybridConfig | None = None) -> None:
        self.config = config or HybridConfig()
        self._fitted = False
        # The learned second stage (``recommender.second_stage.SecondStage``) saved with this
        # version, or None: serving then ranks by this first stage alone.
        self.second_stage: Any = None

    @classmethod
    def _assembled(
        cls, vectoriser: HybridVectoriser, packages: LiveIndex, investors: LiveIndex, package_features: SparseRows
    ) -> HybridRecommender:
        """A fitted model from its parts (the one place a fitted model is put together)."""
        model = cls(vectoriser.config)
        model._set_parts(vectoriser, packages, investors, package_features)
        return model

    def _set_parts(
        self, vectoriser: HybridVectoriser, packages: LiveIndex, investors: LiveIndex, package_features: SparseRows
    ) -> None:
        self.config = vectoriser.config
        self._vectoriser = vectoriser
        self._packages = packages
        self._investors = investors
        self._package_features = package_features
        self._fitted = True

    def _fit(self, training: TrainingSet, progress: Progress = SILENT) -> None:
        fitted = fit_hybrid(self.config, training, progress)
        packages = LiveIndex.of("package", training.package_ids.external_ids.tolist(), fitted.package_vectors, False)
        investors = LiveIndex.of("investor", training.investor_ids.external_ids.tolist(), fitted.investor_vectors, True)
        self._set_parts(fitted.vectoriser, packages, investors, SparseRows(fitted.package_features))

    # ------------------------------------------------------------ parts, as attributes
    @property
    def package_ids(self) -> IdMap:
        """Every package the model has a vector for (trained or added), by row."""
        return self._packages.ids

    @property
    def investor_ids(self) -> IdMap:
        """Every investor the model has a vector for (trained or added), by row."""
        return self._investors.ids

    @property
    def package_index(self) -> VectorIndex:
        """The packages that may be recommended now."""
        return self._packages.index

    @property
    def investor_index(self) -> VectorIndex:
        return self._investors.index

    @property
    def package_vectors(self) -> np.ndarray:
        """Vectors of every package the model knows, by row."""
        return self._packages.vectors

    @property
    def investor_vectors(self) -> np.ndarray:
        """Vectors of every investor the model knows, by row."""
        return self._investors.vectors

    @property
    def package_features(self) -> sp.csr_matrix:
        """Encoded features of every package the model knows, by row."""
        return self._package_features.matrix

    @property
    def vectoriser(self) -> HybridVectoriser:
        self._require_fitted()
        return self._vectoriser

    @property
    def dimension(self) -> int:
        return 2 + self.config.lightfm.components + self.config.als.factors + 1

    def known_packages(self) -> list[str]:
        """The packages indexed now (``recommend`` returns only these)."""
        self._require_fitted()
        return self._packages.indexed_ids()

    def known_investors(self) -> list[str]:
        self._require_fitted()
        return self._investors.indexed_ids()

    # ------------------------------------------------------------------------ copies
    def reweighted(self, lightfm_weight: float, als_weight: float, activity_weight: float) -> HybridRecommender:
        """A copy with other blend weights, without refitting (for tuning the blend on validation).

        The copy shares nothing mutable with this model: indexing or removing packages, or
        adding investors, on either leaves the other as it was.
        """
        self._require_fitted()
        vectoriser, column_scale = self._vectoriser.reweighted(lightfm_weight, als_weight, activity_weight)
        investors = LiveIndex.of(
            "investor", self.investor_ids.external_ids.tolist(), self.investor_vectors * column_scale, True
        )
        return self._assembled(
            vectoriser, self._packages.copy(), investors, SparseRows(self.package_features)
        )

    # ---------------------------------------------------------------------- fold-in
    def add_packages(self, package_ids: Sequence[str], feature_rows: Sequence[FeatureRow]) -> None:
        """Make packages recommendable now, scored from their content features alone."""
        self._require_fitted()
        vectoriser = self._vectoriser
        identity = vectoriser.trained_packages.rows_or_missing(list(package_ids))
        matrix = vectoriser.package_feature_matrix(feature_rows, identity)
        rows = self._packages.upsert(package_ids, vectoriser.package_vectors(matrix))
        self._package_features.set(rows, matrix)

    index_packages = add_packages

    def unindex_packages(self, package_ids: Collection[str]) -> None:
        """Stop recommending packages (sold, withdrawn, closed); unknown ids are ignored."""
        self._require_fitted()
        self._packages.remove(package_ids)

    def add_investors(
        self,
        investor_ids: Sequence[str],
        feature_rows: Sequence[FeatureRow],
        evidence: Sequence[Mapping[str, float]] | None = None,
    ) -> None:
        """Vectorise investors from their profile and (optionally) their evidence per package id.

        Investors seen in training keep their learned identity; others are placed by profile
        features, and by the ALS user step over their evidence when they have any.
        """
        self._require_fitted()
        vectoriser = self._vectoriser
        identity = vectoriser.trained_investors.rows_or_missing(list(investor_ids))
        evidence_matrix = self._evidence_matrix(evidence, len(investor_ids))
        vectors = vectoriser.folded_investor_vectors(feature_rows, identity, evidence_matrix, self.package_features)
        self._investors.upsert(investor_ids, vectors)

    upsert_investors = add_investors

    def _evidence_matrix(self, evidence: Sequence[Mapping[str, float]] | None, n_rows: int) -> sp.csr_matrix:
        rows, columns, values = [], [], []
        for row, weights in enumerate(evidence or ()):
            for package_id, weight in weights.items():
                column = self.package_ids.rows_or_missing([package_id])[0]
                if column >= 0 and weight > 0:
                    rows.append(row)
                    columns.append(column)
                    values.append(weight)
        return sp.csr_matrix(
            (np.asarray(values, dtype=np.float32), (rows, columns)), shape=(n_rows, len(self.package_ids))
        )

    # --------------------------------------------------------------------- serving
    def recommend(
        self,
        investor_ids: Sequence[str],
        k: int,
        allowed_packages: Collection[str] | None = None,
        exclude: Mapping[str, Collection[str]] | None = None,
    ) -> list[Ranked]:
        """The ``k`` best indexed packages for each investor, best first, with scores."""
        self._require_fitted()
        queries = self._investors.vectors_of(investor_ids)
        return self._packages.search(queries, investor_ids, k, allowed_packages, exclude)

    def buyers(
        self,
        package_ids: Sequence[str],
        k: int,
        allowed_investors: Collection[str] | None = None,
        exclude: Mapping[str, Collection[str]] | None = None,
    ) -> list[Ranked]:
        """The ``k`` investors most likely to act on each indexed or trained package."""
        self._require_fitted()
        queries = self._packages.vectors_of(package_ids)
        return self._investors.search(queries, package_ids, k, allowed_investors, exclude)

    def retrieve(
        self,
        query: str,
        query_ids: Sequence[str],
        k: int,
        allowed: np.ndarray | None = None,
        exclude: Sequence[np.ndarray] | None = None,
    ) -> list[SearchResult]:
        """The other side's ``k`` best indexed candidates for queries named by their external ids.

        ``query`` is the asking side: "investor" (listings for investors) or "package"
        (investors for listings). ``allowed`` masks the candidates' rows and ``exclude`` holds
        rows per query to leave out, as ``VectorIndex.search`` takes them; results carry the
        candidates' rows, the coordinates the caller's attribute arrays share with this model.
        """
        self._require_fitted()
        if query == "investor":
            vectors, index = self.investor_vectors[self.investor_ids.rows(query_ids, "investor")], self.package_index
        else:
            vectors, index = self.package_vectors[self.package_ids.rows(query_ids, "package")], self.investor_index
        return index.search(vectors, k, allowed, exclude)

    def similar(self, package_ids: Sequence[str], k: int) -> list[Ranked]:
        """Indexed packages whose LightFM content embeddings are closest (cosine) to each package's."""
        self._require_fitted()
        rows = self.package_ids.rows(package_ids, "package")
        indexed = self.package_index.stored_rows()
        components = self.config.lightfm.components
        content = _normalized(self.package_vectors[:, 2 : 2 + components])
        scores = content[rows] @ content[indexed].T
        ranked = []
        for position, row in enumerate(rows):
            order = np.argsort(-scores[position], kind="stable")
            order = order[indexed[order] != row][:k]
            ids = self.package_ids.ids(indexed[order])
            ranked.append(list(zip(ids, (float(s) for s in scores[position][order]), strict=True)))
        return ranked

    def score(self, investor_ids: Sequence[str], package_ids: Sequence[str]) -> np.ndarray:
        """Blended scores, investors × packages (for re-ranking and evaluation)."""
        self._require_fitted()
        return self._investors.vectors_of(investor_ids) @ self._packages.vectors_of(package_ids).T

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path) -> None:
        """Write the model, its id maps, vocabularies and indexes as one artifact."""
        self._require_fitted()
        parts = HybridParts(
            self._vectoriser, self._packages, self._investors, self.package_features, self.second_stage
        )
        save_parts(parts, path)

    @classmethod
    def load(cls, path: Path) -> HybridRecommender:
        """Read a model written by ``save``; raises ``ArtifactError`` if it is unusable."""
        parts = load_parts(path)
        model = cls._assembled(parts.vectoriser, parts.packages, parts.investors, SparseRows(parts.package_features))
        model.second_stage = parts.second_stage
        return model


def _normalized(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms
