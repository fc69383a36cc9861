"""The hybrid recommender: LightFM on features plus ALS on investors × features, as vectors.

Both halves become one inner product through the bias trick (STYLE.md). A package is
``[1, b_i, e_i, y_i, 1]``: LightFM bias and embedding, ALS factors, and a constant. An investor
is ``[-w_l·μ_u/σ_u, w_l/σ_u, w_l·e_u/σ_u, w_a·x_u, w_act·activity_u]``: its LightFM score is
standardised (μ_u, σ_u over reference packages) because WARP only learns each investor's
*order* of packages, and finding buyers compares investors with each other; the ALS score and
activity, which do carry an investor's overall propensity, are added on top. Standardising
leaves each investor's own ranking unchanged.

The blended score is what an exact FAISS inner-product index returns, in both directions. A new
package needs only its content features to get a vector, and a new investor only its profile,
so neither waits for a retrain.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.als_part import ALSParams, ALSPart
from recommender.artifact import read_arrays, sparse_arrays, sparse_from, text_array, write_arrays
from recommender.artifact_layout import Layout, check_arrays
from recommender.errors import ArtifactError, NotFittedError
from recommender.idmap import IdMap
from recommender.interactions import positive_part
from recommender.lightfm_part import LightFMParams, LightFMPart
from recommender.progress import SILENT, Progress
from recommender.retrieval import SearchResult, VectorIndex
from recommender.row_store import SparseRows, VectorRows
from recommender.vocabulary import FeatureVocabulary

FeatureRow = Mapping[str, float]
Ranked = list[tuple[str, float]]

# Features seen on fewer packages than this are noise for a model that must generalise to new ones.
MIN_PACKAGE_FEATURE_COUNT = 3
SCALE_SAMPLE_PAIRS = 20_000
REFERENCE_PACKAGES = 2_000
# Listing words in more than this share of training packages are boilerplate and dropped.
WORD_PREFIX = "word="
MAX_WORD_SHARE = 0.05


@dataclass(frozen=True)
class HybridConfig:
    """Everything that decides a fitted model; saved with it."""

    # LightFM's size and schedule are the validation split's choice in docs/evaluation-market.md
    # (10 epochs at learning rate 0.1 score as 20 at 0.05 did, in half the time; better at
    # 100,000 investors: docs/benchmarks.md). The profile features and blend weights were chosen
    # there at the 20-epoch schedule and kept: on the test window they tie this run's choice.
    lightfm: LightFMParams = field(
        default_factory=lambda: LightFMParams(components=64, epochs=10, learning_rate=0.1)
    )
    als: ALSParams = field(default_factory=ALSParams)
    lightfm_weight: float = 1.0
    als_weight: float = 0.1
    activity_weight: float = 0.5
    investor_identity_weight: float = 1.0
    # 0 describes packages by content alone (every listing is new); > 0 adds an identity
    # feature for packages seen in training, for catalogues whose items recur.
    package_identity_weight: float = 0.0
    # With package identities, how much the content columns count in the ALS half (1 = fully).
    # An investor's whole history piles onto each shared content column, so at full weight ALS
    # spends its fit on them rather than on the items; 0 makes the ALS half plain item ALS.
    als_content_weight: float = 1.0
    # Which profile feature groups describe an investor (see ``profiles.FEATURE_GROUPS``).
    investor_feature_groups: tuple[str, ...] = ("identity_attrs", "stated", "hesitation")
    random_state: int = 0
    num_threads: int = 1

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping) -> HybridConfig:
        values = dict(values)
        return cls(
            lightfm=LightFMParams(**values.pop("lightfm")),
            als=ALSParams(**values.pop("als")),
            investor_feature_groups=tuple(values.pop("investor_feature_groups")),
            **values,
        )


@dataclass(frozen=True)
class TrainingSet:
    """What a fit needs: the ids, their feature rows and the net evidence between them."""

    investor_ids: IdMap
    package_ids: IdMap
    evidence: sp.csr_matrix
    investor_features: Sequence[FeatureRow]
    package_features: Sequence[FeatureRow]


class HybridRecommender:
    """Fit once, then recommend packages, find buyers and similar packages by external id."""

    def __init__(self, config: HybridConfig | None = None) -> None:
        self.config = config or HybridConfig()
        self._fitted = False

    # ----------------------------------------------------------------------------- fitting
    def fit(self, training: TrainingSet, progress: Progress = SILENT) -> HybridRecommender:
        """Learn both halves from ``training`` and vectorise its investors.

        ``progress`` hears the stages (LightFM epochs, ALS iterations, vectors): a fit at
        market scale takes minutes.
        """
        config = self.config
        positives = positive_part(training.evidence)
        with progress.stage("feature matrices"):
            user_matrix, package_matrix = self._encode(training, positives)
        with progress.stage("LightFM epochs", config.lightfm.epochs) as advance:
            self.lightfm = LightFMPart(config.lightfm).fit(
                positives, user_matrix, package_matrix, config.random_state, config.num_threads,
                on_epoch=lambda _epoch: advance(1),
            )
        with progress.stage("ALS iterations", config.als.iterations) as advance:
            self.als = ALSPart(config.als).fit(
                positives, self._als_matrix(package_matrix), config.random_state, config.num_threads,
                on_iteration=lambda _iteration: advance(1),
            )
        with progress.stage("vectors"):
            self._vectorise(training, positives, package_matrix, user_matrix)
        self._fitted = True
        return self

    def _encode(self, training: TrainingSet, positives: sp.csr_matrix) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Learn the vocabularies and encode investors and packages as feature matrices."""
        self.user_vocabulary = FeatureVocabulary.from_rows(training.investor_features)
        self.item_vocabulary = FeatureVocabulary.from_rows(
            training.package_features,
            min_count=MIN_PACKAGE_FEATURE_COUNT,
            max_share_by_prefix={WORD_PREFIX: MAX_WORD_SHARE},
        )
        # Only investors with history get an identity feature: an identity nobody trained is noise.
        has_history = np.diff(positives.indptr) > 0
        self.trained_investors = IdMap(training.investor_ids.external_ids[has_history].tolist())
        investor_identity = np.full(len(training.investor_ids), -1, dtype=np.int64)
        investor_identity[has_history] = np.arange(int(has_history.sum()))
        self.trained_packages = training.package_ids
        package_matrix = self._package_feature_matrix(
            training.package_features, np.arange(len(training.package_ids))
        )
        return self._user_feature_matrix(training.investor_features, investor_identity), package_matrix

    def _vectorise(
        self,
        training: TrainingSet,
        positives: sp.csr_matrix,
        package_matrix: sp.csr_matrix,
        user_matrix: sp.csr_matrix,
    ) -> None:
        """Investor and package vectors of the fitted halves, and the investor index."""
        config = self.config
        rng = np.random.default_rng(config.random_state)
        reference = rng.choice(package_matrix.shape[0], min(REFERENCE_PACKAGES, package_matrix.shape[0]), replace=False)
        self.reference_biases, self.reference_embeddings = self.lightfm.item_representations(
            package_matrix[np.sort(reference)]
        )
        self.als_scale = self._als_scale(positives.shape[0], package_matrix, rng)

        self.package_ids = IdMap(training.package_ids.external_ids.tolist())
        self._package_features = SparseRows(package_matrix)
        self._package_vectors = VectorRows(self._package_vectors_of(package_matrix))
        activity = np.log1p(np.asarray(positives.sum(axis=1)).ravel())
        self.investor_ids = IdMap(training.investor_ids.external_ids.tolist())
        self._investor_vectors = VectorRows(
            self._investor_vectors_of(user_matrix, self.als.user_factors, activity)  # type: ignore[arg-type]
        )
        self.package_index = VectorIndex(self.dimension)
        self.investor_index = VectorIndex(self.dimension)
        self.investor_index.upsert(np.arange(len(self.investor_ids)), self.investor_vectors)

    @property
    def package_vectors(self) -> np.ndarray:
        """Vectors of every package the model knows, by row."""
        return self._package_vectors.matrix

    @property
    def investor_vectors(self) -> np.ndarray:
        """Vectors of every investor the model knows, by row."""
        return self._investor_vectors.matrix

    @property
    def package_features(self) -> sp.csr_matrix:
        """Encoded features of every package the model knows, by row."""
        return self._package_features.matrix

    @property
    def dimension(self) -> int:
        return 2 + self.config.lightfm.components + self.config.als.factors + 1

    def _user_feature_matrix(self, rows: Sequence[FeatureRow], identity_rows: np.ndarray) -> sp.csr_matrix:
        """Identity block (investors seen in training; -1 = none) beside the profile features."""
        return _beside_identity(
            self.user_vocabulary.encode(rows), identity_rows, len(self.trained_investors),
            self.config.investor_identity_weight,
        )

    def _package_feature_matrix(self, rows: Sequence[FeatureRow], identity_rows: np.ndarray) -> sp.csr_matrix:
        """Content features, beside an identity block only when packages may recur."""
        content = self.item_vocabulary.encode(rows)
        if self.config.package_identity_weight <= 0:
            return content
        return _beside_identity(
            content, identity_rows, len(self.trained_packages), self.config.package_identity_weight
        )

    def _als_scale(self, n_users: int, package_matrix: sp.csr_matrix, rng: np.random.Generator) -> float:
        """Bring ALS scores to the unit spread of standardised LightFM scores."""
        users = rng.integers(0, n_users, SCALE_SAMPLE_PAIRS)
        items = rng.integers(0, package_matrix.shape[0], SCALE_SAMPLE_PAIRS)
        als_items = self.als.item_vectors(self._als_matrix(package_matrix[items]))
        als_scores = (self.als.user_factors[users] * als_items).sum(axis=1)  # type: ignore[index]
        spread = float(np.std(als_scores))
        return 1.0 / spread if spread > 0 else 1.0

    def _als_matrix(self, package_matrix: sp.csr_matrix) -> sp.csr_matrix:
        """The package features the ALS half sees: content scaled by ``als_content_weight``."""
        weight = self.config.als_content_weight
        if self.config.package_identity_weight <= 0 or weight == 1.0:
            return package_matrix
        scale = np.ones(package_matrix.shape[1], dtype=np.float32)
        scale[len(self.trained_packages) :] = weight
        scaled = sp.csr_matrix(package_matrix @ sp.diags(scale), dtype=np.float32)
        scaled.eliminate_zeros()
        return scaled

    def _package_vectors_of(self, package_matrix: sp.csr_matrix) -> np.ndarray:
        biases, embeddings = self.lightfm.item_representations(package_matrix)
        ones = np.ones((package_matrix.shape[0], 1), dtype=np.float32)
        als_vectors = self.als.item_vectors(self._als_matrix(package_matrix))
        return np.hstack([ones, biases[:, None], embeddings, als_vectors, ones])

    def _reference_score_moments(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and spread of each investor's LightFM scores over the reference packages.

        In closed form from the references' mean and covariance, so no investors × references
        matrix is ever built (at 100,000 investors it would take gigabytes).
        """
        reference = np.hstack([self.reference_embeddings, self.reference_biases[:, None]]).astype(np.float64)
        centre = reference.mean(axis=0)
        centred = reference - centre
        covariance = centred.T @ centred / len(reference)
        augmented = np.hstack([embeddings.astype(np.float64), np.ones((len(embeddings), 1))])
        mean = augmented @ centre
        variance = np.einsum("ij,jk,ik->i", augmented, covariance, augmented)
        spread = np.sqrt(np.maximum(variance, 0.0))
        spread[spread <= 1e-9] = 1.0
        return mean.astype(np.float32), spread.astype(np.float32)

    def _investor_vectors_of(self, user_matrix: sp.csr_matrix, als_factors: np.ndarray, activity: np.ndarray) -> np.ndarray:
        config = self.config
        _, embeddings = self.lightfm.user_representations(user_matrix)
        mean, spread = self._reference_score_moments(embeddings)
        weight = config.lightfm_weight / spread
        return np.hstack(
            [
                (-weight * mean)[:, None],
                weight[:, None],
                weight[:, None] * embeddings,
                (config.als_weight * self.als_scale) * als_factors,
                (config.activity_weight * activity)[:, None],
            ]
        ).astype(np.float32)

    def reweighted(self, lightfm_weight: float, als_weight: float, activity_weight: float) -> HybridRecommender:
        """A copy with other blend weights, without refitting (for tuning the blend on validation).

        Each block of an investor vector is proportional to its weight, so it is rescaled in
        place; a block whose current weight is zero cannot be recovered, so fit with non-zero
        weights when the blend is to be tuned.
        """
        self._require_fitted()
        config = self.config
        scales = []
        for old, new, name in (
            (config.lightfm_weight, lightfm_weight, "lightfm_weight"),
            (config.als_weight, als_weight, "als_weight"),
            (config.activity_weight, activity_weight, "activity_weight"),
        ):
            if old == 0 and new != 0:
                raise ValueError(f"cannot raise {name} from 0 without refitting")
            scales.append(new / old if old else 0.0)
        components = config.lightfm.components
        lightfm_end = 2 + components
        als_end = lightfm_end + config.als.factors
        column_scale = np.concatenate(
            [
                np.full(lightfm_end, scales[0]),
                np.full(config.als.factors, scales[1]),
                np.full(self.dimension - als_end, scales[2]),
            ]
        ).astype(np.float32)
        copy = object.__new__(HybridRecommender)
        copy.__dict__.update(self.__dict__)
        copy.config = replace(
            config, lightfm_weight=lightfm_weight, als_weight=als_weight, activity_weight=activity_weight
        )
        copy._investor_vectors = VectorRows(self.investor_vectors * column_scale)
        copy.investor_ids = IdMap(self.investor_ids.external_ids.tolist())
        copy.investor_index = VectorIndex(self.dimension)
        copy.investor_index.upsert(np.arange(len(copy.investor_ids)), copy.investor_vectors)
        return copy

    # ------------------------------------------------------------------ live updates
    def _require_fitted(self) -> None:
        if not self._fitted:
            raise NotFittedError("HybridRecommender")

    def index_packages(self, package_ids: Sequence[str], feature_rows: Sequence[FeatureRow]) -> None:
        """Make packages recommendable now, scored from their content features alone."""
        self._require_fitted()
        matrix = self._package_feature_matrix(feature_rows, self.trained_packages.rows_or_missing(list(package_ids)))
        vectors = self._package_vectors_of(matrix)
        self.package_ids.add(package_ids)
        rows = self.package_ids.rows(package_ids, "package")
        self._package_vectors.set(rows, vectors)
        self._package_features.set(rows, matrix)
        self.package_index.upsert(rows, vectors)

    def unindex_packages(self, package_ids: Collection[str]) -> None:
        """Stop recommending packages (sold, withdrawn, closed); unknown ids are ignored."""
        self._require_fitted()
        rows = self.package_ids.rows_or_missing(list(package_ids))
        self.package_index.remove(rows[rows >= 0])

    def upsert_investors(
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
        identity_rows = self.trained_investors.rows_or_missing(list(investor_ids))
        user_matrix = self._user_feature_matrix(feature_rows, identity_rows)
        evidence_matrix = self._evidence_matrix(evidence, len(investor_ids))
        if evidence_matrix.nnz:
            folded = ALSPart.fold(evidence_matrix, self._als_matrix(self.package_features))
            als_factors = self.als.user_vectors_from_evidence(folded)
        else:
            als_factors = np.zeros((len(investor_ids), self.config.als.factors), dtype=np.float32)
        activity = np.log1p(np.asarray(evidence_matrix.sum(axis=1)).ravel())
        vectors = self._investor_vectors_of(user_matrix, als_factors, activity)
        self.investor_ids.add(investor_ids)
        rows = self.investor_ids.rows(investor_ids, "investor")
        self._investor_vectors.set(rows, vectors)
        self.investor_index.upsert(rows, vectors)

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
        rows = self.investor_ids.rows(investor_ids, "investor")
        allowed = self._mask(self.package_ids, allowed_packages)
        excluded = None
        if exclude:
            excluded = [self.package_ids.rows_or_missing(list(exclude.get(i, ()))) for i in investor_ids]
        results = self.package_index.search(self.investor_vectors[rows], k, allowed, excluded)
        return [self._ranked(self.package_ids, r.rows, r.scores) for r in results]

    def buyers(
        self,
        package_ids: Sequence[str],
        k: int,
        allowed_investors: Collection[str] | None = None,
        exclude: Mapping[str, Collection[str]] | None = None,
    ) -> list[Ranked]:
        """The ``k`` investors most likely to act on each indexed or trained package."""
        self._require_fitted()
        rows = self.package_ids.rows(package_ids, "package")
        allowed = self._mask(self.investor_ids, allowed_investors)
        excluded = None
        if exclude:
            excluded = [self.investor_ids.rows_or_missing(list(exclude.get(p, ()))) for p in package_ids]
        results = self.investor_index.search(self.package_vectors[rows], k, allowed, excluded)
        return [self._ranked(self.investor_ids, r.rows, r.scores) for r in results]

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
            ranked.append(self._ranked(self.package_ids, indexed[order], scores[position][order]))
        return ranked

    def score(self, investor_ids: Sequence[str], package_ids: Sequence[str]) -> np.ndarray:
        """Blended scores, investors × packages (for re-ranking and evaluation)."""
        self._require_fitted()
        users = self.investor_vectors[self.investor_ids.rows(investor_ids, "investor")]
        items = self.package_vectors[self.package_ids.rows(package_ids, "package")]
        return users @ items.T

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path) -> None:
        """Write the model, its id maps, vocabularies and indexes as one artifact."""
        self._require_fitted()
        lightfm = self.lightfm
        arrays = {
            "investor_ids": text_array(self.investor_ids.external_ids),
            "trained_investor_ids": text_array(self.trained_investors.external_ids),
            "trained_package_ids": text_array(self.trained_packages.external_ids),
            "reference_biases": self.reference_biases,
            "reference_embeddings": self.reference_embeddings,
            "package_ids": text_array(self.package_ids.external_ids),
            "user_vocabulary": text_array(self.user_vocabulary.names),
            "item_vocabulary": text_array(self.item_vocabulary.names),
            "user_feature_embeddings": lightfm.user_feature_embeddings,
            "user_feature_biases": lightfm.user_feature_biases,
            "item_feature_embeddings": lightfm.item_feature_embeddings,
            "item_feature_biases": lightfm.item_feature_biases,
            "als_user_factors": self.als.user_factors,
            "als_feature_factors": self.als.feature_factors,
            "investor_vectors": self.investor_vectors,
            "package_vectors": self.package_vectors,
            "package_index": self.package_index.to_bytes(),
            "investor_index": self.investor_index.to_bytes(),
            **sparse_arrays("package_features", self.package_features),
        }
        metadata = {"config": self.config.to_dict(), "als_scale": self.als_scale}
        write_arrays(path, metadata, arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> HybridRecommender:
        """Read a model written by ``save``; raises ``ArtifactError`` if it is unusable.

        Every array is checked against the saved configuration and the id maps before it is
        used (``recommender.artifact_layout``), so a foreign or truncated file is refused with
        what is wrong rather than served or failing on a request.
        """
        metadata, arrays = read_arrays(path)
        try:
            config = HybridConfig.from_dict(metadata["config"])
            als_scale = float(metadata["als_scale"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            problem = f"is not a model artifact: no usable configuration ({error!r})"
            raise ArtifactError(problem, path) from None
        if not np.isfinite(als_scale):
            raise ArtifactError("has a scale that is not finite", path)
        try:
            layout = Layout(config.lightfm.components, config.als.factors, config.package_identity_weight > 0)
            check_arrays(arrays, layout)
            return cls._from_arrays(config, als_scale, arrays)
        except ArtifactError as error:
            raise ArtifactError(error.reason, path) from None
        except (ValueError, TypeError, KeyError, IndexError, RuntimeError) as error:
            raise ArtifactError(f"cannot be restored: {error}", path) from error

    @classmethod
    def _from_arrays(
        cls, config: HybridConfig, als_scale: float, arrays: dict[str, np.ndarray]
    ) -> HybridRecommender:
        model = cls(config)
        model.als_scale = als_scale
        model.investor_ids = IdMap(arrays["investor_ids"].tolist())
        model.trained_investors = IdMap(arrays["trained_investor_ids"].tolist())
        model.trained_packages = IdMap(arrays["trained_package_ids"].tolist())
        model.reference_biases = arrays["reference_biases"]
        model.reference_embeddings = arrays["reference_embeddings"]
        model.package_ids = IdMap(arrays["package_ids"].tolist())
        model.user_vocabulary = FeatureVocabulary(arrays["user_vocabulary"].tolist())
        model.item_vocabulary = FeatureVocabulary(arrays["item_vocabulary"].tolist())
        model.lightfm = LightFMPart(model.config.lightfm)
        model.lightfm.user_feature_embeddings = arrays["user_feature_embeddings"]
        model.lightfm.user_feature_biases = arrays["user_feature_biases"]
        model.lightfm.item_feature_embeddings = arrays["item_feature_embeddings"]
        model.lightfm.item_feature_biases = arrays["item_feature_biases"]
        model.als = ALSPart(model.config.als)
        model.als.user_factors = arrays["als_user_factors"]
        model.als.feature_factors = arrays["als_feature_factors"]
        model._investor_vectors = VectorRows(arrays["investor_vectors"])
        model._package_vectors = VectorRows(arrays["package_vectors"])
        model._package_features = SparseRows(sparse_from("package_features", arrays))
        model.package_index = _restored_index(
            arrays["package_index"], model.dimension, len(model.package_ids), "package"
        )
        model.investor_index = _restored_index(
            arrays["investor_index"], model.dimension, len(model.investor_ids), "investor"
        )
        model._fitted = True
        return model

    @staticmethod
    def _mask(id_map: IdMap, allowed: Collection[str] | None) -> np.ndarray | None:
        if allowed is None:
            return None
        rows = id_map.rows_or_missing(list(allowed))
        mask = np.zeros(len(id_map), dtype=bool)
        mask[rows[rows >= 0]] = True
        return mask

    @staticmethod
    def _ranked(id_map: IdMap, rows: np.ndarray, scores: np.ndarray) -> Ranked:
        return list(zip(id_map.ids(rows), (float(s) for s in scores), strict=True))


def _beside_identity(
    features: sp.csr_matrix, identity_rows: np.ndarray, n_identities: int, weight: float
) -> sp.csr_matrix:
    """``[identity | features]``: one identity column per trained entity, empty for new ones."""
    known = identity_rows >= 0
    identity = sp.csr_matrix(
        (np.full(int(known.sum()), weight, dtype=np.float32), (np.flatnonzero(known), identity_rows[known])),
        shape=(features.shape[0], n_identities),
    )
    return sp.hstack([identity, features], format="csr", dtype=np.float32)


def _restored_index(data: np.ndarray, dimension: int, rows: int, kind: str) -> VectorIndex:
    """A saved FAISS index, refused unless its width and rows fit the model's vectors and ids."""
    index = VectorIndex.from_bytes(data)
    if index.dimension != dimension:
        raise ArtifactError(f"has a {kind} index of dimension {index.dimension}, the model's is {dimension}")
    stored = index.stored_rows()
    if len(stored) and (stored.min() < 0 or stored.max() >= rows):
        raise ArtifactError(f"has a {kind} index holding rows beyond its {rows} {kind} ids")
    return index


def _normalized(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms
