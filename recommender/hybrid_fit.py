"""Fitting the hybrid: vocabularies, both halves, and the vectors of everything it trained on.

LightFM learns on investor and package features (so a new listing or investor is placed by its
features alone); ALS learns investors × package features (it carries each investor's overall
propensity). What a fit returns is a ``HybridVectoriser`` plus the vectors of the training
investors and packages; the live index is built from them by ``HybridRecommender``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from recommender.als_part import ALSPart
from recommender.hybrid_config import HybridConfig
from recommender.hybrid_vectors import HybridVectoriser
from recommender.idmap import IdMap
from recommender.interactions import positive_part
from recommender.lightfm_part import LightFMPart
from recommender.progress import Progress
from recommender.training_set import TrainingSet
from recommender.vocabulary import FeatureVocabulary

# Features seen on fewer packages than this are noise for a model that must generalise to new ones.
MIN_PACKAGE_FEATURE_COUNT = 3
SCALE_SAMPLE_PAIRS = 20_000
REFERENCE_PACKAGES = 2_000
# Listing words in more than this share of training packages are boilerplate and dropped.
WORD_PREFIX = "word="
MAX_WORD_SHARE = 0.05


@dataclass(frozen=True)
class FittedHybrid:
    """A fit's result: the vectoriser and the vectors of the training set, by its rows."""

    vectoriser: HybridVectoriser
    package_features: sp.csr_matrix
    package_vectors: np.ndarray
    investor_vectors: np.ndarray


def fit_hybrid(config: HybridConfig, training: TrainingSet, progress: Progress) -> FittedHybrid:
    """Learn both halves from ``training`` and vectorise its investors and packages.

    ``progress`` hears the stages (LightFM epochs, ALS iterations, vectors): a fit at market
    scale takes minutes.
    """
    positives = positive_part(training.evidence)
    with progress.stage("feature matrices"):
        encoder, user_matrix, package_matrix = _encode(config, training, positives)
    with progress.stage("LightFM epochs", config.lightfm.epochs) as advance:
        lightfm = LightFMPart(config.lightfm).fit(
            positives, user_matrix, package_matrix, config.random_state, config.num_threads,
            on_epoch=lambda _epoch: advance(1),
        )
    with progress.stage("ALS iterations", config.als.iterations) as advance:
        als = ALSPart(config.als).fit(
            positives, encoder.als_matrix(package_matrix), config.random_state, config.num_threads,
            on_iteration=lambda _iteration: advance(1),
        )
    with progress.stage("vectors"):
        rng = np.random.default_rng(config.random_state)
        n_packages = package_matrix.shape[0]
        reference = rng.choice(n_packages, min(REFERENCE_PACKAGES, n_packages), replace=False)
        biases, embeddings = lightfm.item_representations(package_matrix[np.sort(reference)])
        vectoriser = HybridVectoriser(
            config, lightfm, als, encoder.user_vocabulary, encoder.item_vocabulary,
            encoder.trained_investors, encoder.trained_packages, biases, embeddings,
        )
        als_scale = _als_scale(vectoriser, positives.shape[0], package_matrix, rng)
        vectoriser = replace(vectoriser, als_scale=als_scale)
        activity = np.log1p(np.asarray(positives.sum(axis=1)).ravel())
        return FittedHybrid(
            vectoriser,
            package_matrix,
            vectoriser.package_vectors(package_matrix),
            vectoriser.investor_vectors(user_matrix, als.user_factors, activity),  # type: ignore[arg-type]
        )


def _encode(
    config: HybridConfig, training: TrainingSet, positives: sp.csr_matrix
) -> tuple[HybridVectoriser, sp.csr_matrix, sp.csr_matrix]:
    """Learn the vocabularies and encode investors and packages as feature matrices.

    Returns a vectoriser with no halves yet: only its encoding methods may be used.
    """
    user_vocabulary = FeatureVocabulary.from_rows(training.investor_features)
    item_vocabulary = FeatureVocabulary.from_rows(
        training.package_features,
        min_count=MIN_PACKAGE_FEATURE_COUNT,
        max_share_by_prefix={WORD_PREFIX: MAX_WORD_SHARE},
    )
    # Only investors with history get an identity feature: an identity nobody trained is noise.
    has_history = np.diff(positives.indptr) > 0
    trained_investors = IdMap(training.investor_ids.external_ids[has_history].tolist())
    investor_identity = np.full(len(training.investor_ids), -1, dtype=np.int64)
    investor_identity[has_history] = np.arange(int(has_history.sum()))
    empty = np.zeros(0, dtype=np.float32)
    encoder = HybridVectoriser(
        config, LightFMPart(config.lightfm), ALSPart(config.als), user_vocabulary, item_vocabulary,
        trained_investors, training.package_ids, empty, empty,
    )
    package_matrix = encoder.package_feature_matrix(training.package_features, np.arange(len(training.package_ids)))
    user_matrix = encoder.user_feature_matrix(training.investor_features, investor_identity)
    return encoder, user_matrix, package_matrix


def _als_scale(
    vectoriser: HybridVectoriser, n_users: int, package_matrix: sp.csr_matrix, rng: np.random.Generator
) -> float:
    """Bring ALS scores to the unit spread of standardised LightFM scores."""
    users = rng.integers(0, n_users, SCALE_SAMPLE_PAIRS)
    items = rng.integers(0, package_matrix.shape[0], SCALE_SAMPLE_PAIRS)
    als_items = vectoriser.als.item_vectors(vectoriser.als_matrix(package_matrix[items]))
    als_scores = (vectoriser.als.user_factors[users] * als_items).sum(axis=1)  # type: ignore[index]
    spread = float(np.std(als_scores))
    return 1.0 / spread if spread > 0 else 1.0
