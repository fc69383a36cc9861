"""Vector assembly: the fitted halves of the hybrid turned into one inner product.

Both halves become one inner product through the bias trick (STYLE.md). A package is
``[1, b_i, e_i, y_i, 1]``: LightFM bias and embedding, ALS factors, and a constant. An investor
is ``[-w_l·μ_u/σ_u, w_l/σ_u, w_l·e_u/σ_u, w_a·x_u, w_act·activity_u]``: its LightFM score is
standardised (μ_u, σ_u over reference packages) because WARP only learns each investor's
*order* of packages, and finding buyers compares investors with each other; the ALS score and
activity, which do carry an investor's overall propensity, are added on top. Standardising
leaves each investor's own ranking unchanged.

A ``HybridVectoriser`` is what a fit leaves behind that is needed to place anything new: the
vocabularies, the trained identities, both halves and the reference statistics. It holds no
live state (ids added since, indexes), so it is shared freely between a model and its copies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from recommender.als_part import ALSPart
from recommender.hybrid_config import HybridConfig
from recommender.idmap import IdMap
from recommender.lightfm_part import LightFMPart
from recommender.vocabulary import FeatureVocabulary

FeatureRow = Mapping[str, float]


@dataclass(frozen=True)
class HybridVectoriser:
    """Encodes feature rows and evidence into package and investor vectors of one fitted model."""

    config: HybridConfig
    lightfm: LightFMPart
    als: ALSPart
    user_vocabulary: FeatureVocabulary
    item_vocabulary: FeatureVocabulary
    trained_investors: IdMap
    trained_packages: IdMap
    reference_biases: np.ndarray
    reference_embeddings: np.ndarray
    als_scale: float = 1.0

    @property
    def dimension(self) -> int:
        return 2 + self.config.lightfm.components + self.config.als.factors + 1

    # -------------------------------------------------------------------- feature matrices
    def user_feature_matrix(self, rows: Sequence[FeatureRow], identity_rows: np.ndarray) -> sp.csr_matrix:
        """Identity block (investors seen in training; -1 = none) beside the profile features."""
        return beside_identity(
            self.user_vocabulary.encode(rows), identity_rows, len(self.trained_investors),
            self.config.investor_identity_weight,
        )

    def package_feature_matrix(self, rows: Sequence[FeatureRow], identity_rows: np.ndarray) -> sp.csr_matrix:
        """Content features, beside an identity block only when packages may recur."""
        content = self.item_vocabulary.encode(rows)
        if self.config.package_identity_weight <= 0:
            return content
        return beside_identity(
            content, identity_rows, len(self.trained_packages), self.config.package_identity_weight
        )

    def als_matrix(self, package_matrix: sp.csr_matrix) -> sp.csr_matrix:
        """The package features the ALS half sees: content scaled by ``als_content_weight``."""
        weight = self.config.als_content_weight
        if self.config.package_identity_weight <= 0 or weight == 1.0:
            return package_matrix
        scale = np.ones(package_matrix.shape[1], dtype=np.float32)
        scale[len(self.trained_packages) :] = weight
        scaled = sp.csr_matrix(package_matrix @ sp.diags(scale), dtype=np.float32)
        scaled.eliminate_zeros()
        return scaled

    # ----------------------------------------------------------------------------- vectors
    def package_vectors(self, package_matrix: sp.csr_matrix) -> np.ndarray:
        biases, embeddings = self.lightfm.item_representations(package_matrix)
        ones = np.ones((package_matrix.shape[0], 1), dtype=np.float32)
        als_vectors = self.als.item_vectors(self.als_matrix(package_matrix))
        return np.hstack([ones, biases[:, None], embeddings, als_vectors, ones])

    def investor_vectors(self, user_matrix: sp.csr_matrix, als_factors: np.ndarray, activity: np.ndarray) -> np.ndarray:
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

    def folded_investor_vectors(
        self, feature_rows: Sequence[FeatureRow], identity_rows: np.ndarray,
        evidence: sp.csr_matrix, package_features: sp.csr_matrix,
    ) -> np.ndarray:
        """Investors placed by profile, and by the ALS user step over their evidence if any.

        ``evidence`` is investors × the rows of ``package_features`` (every package known).
        """
        user_matrix = self.user_feature_matrix(feature_rows, identity_rows)
        if evidence.nnz:
            folded = ALSPart.fold(evidence, self.als_matrix(package_features))
            als_factors = self.als.user_vectors_from_evidence(folded)
        else:
            als_factors = np.zeros((len(feature_rows), self.config.als.factors), dtype=np.float32)
        activity = np.log1p(np.asarray(evidence.sum(axis=1)).ravel())
        return self.investor_vectors(user_matrix, als_factors, activity)

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

    # --------------------------------------------------------------------------- reweight
    def reweighted(
        self, lightfm_weight: float, als_weight: float, activity_weight: float
    ) -> tuple[HybridVectoriser, np.ndarray]:
        """The vectoriser with other blend weights, and the per-column scale of investor vectors.

        Each block of an investor vector is proportional to its weight, so existing vectors are
        rescaled column by column; a block whose current weight is zero cannot be recovered, so
        fit with non-zero weights when the blend is to be tuned.
        """
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
        lightfm_end = 2 + config.lightfm.components
        als_end = lightfm_end + config.als.factors
        column_scale = np.concatenate(
            [
                np.full(lightfm_end, scales[0]),
                np.full(config.als.factors, scales[1]),
                np.full(self.dimension - als_end, scales[2]),
            ]
        ).astype(np.float32)
        weights = {"lightfm_weight": lightfm_weight, "als_weight": als_weight, "activity_weight": activity_weight}
        return replace(self, config=replace(config, **weights)), column_scale


def beside_identity(
    features: sp.csr_matrix, identity_rows: np.ndarray, n_identities: int, weight: float
) -> sp.csr_matrix:
    """``[identity | features]``: one identity column per trained entity, empty for new ones."""
    known = identity_rows >= 0
    identity = sp.csr_matrix(
        (np.full(int(known.sum()), weight, dtype=np.float32), (np.flatnonzero(known), identity_rows[known])),
        shape=(features.shape[0], n_identities),
    )
    return sp.hstack([identity, features], format="csr", dtype=np.float32)
