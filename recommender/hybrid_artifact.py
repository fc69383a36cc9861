"""Persistence of the hybrid: its parts to one artifact's arrays and back.

The array names and metadata are the artifact format (``artifact_layout`` checks them before
use); they predate the split of the hybrid into parts and must not change, so models saved by
any earlier release keep loading (``tests/recommender/test_artifact_compatibility.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.als_part import ALSPart
from recommender.artifact import read_arrays, sparse_arrays, sparse_from, text_array, write_arrays
from recommender.artifact_layout import SECOND_STAGE_ARRAYS, Layout, check_arrays
from recommender.errors import ArtifactError
from recommender.hybrid_config import HybridConfig
from recommender.hybrid_vectors import HybridVectoriser
from recommender.idmap import IdMap
from recommender.lightfm_part import LightFMPart
from recommender.live_index import LiveIndex
from recommender.retrieval import VectorIndex
from recommender.row_store import VectorRows
from recommender.vocabulary import FeatureVocabulary


@dataclass(frozen=True)
class HybridParts:
    """Everything a hybrid model is made of, as saved and as restored."""

    vectoriser: HybridVectoriser
    packages: LiveIndex
    investors: LiveIndex
    package_features: sp.csr_matrix
    # ``recommender.second_stage.SecondStage`` or None (a version trained without one): typed
    # loosely because the second stage's package imports the hybrid.
    second_stage: Any = None


def save_parts(parts: HybridParts, path: Path) -> None:
    """Write the model, its id maps, vocabularies and indexes as one artifact."""
    vectoriser, lightfm, als = parts.vectoriser, parts.vectoriser.lightfm, parts.vectoriser.als
    arrays = {
        "investor_ids": text_array(parts.investors.ids.external_ids),
        "trained_investor_ids": text_array(vectoriser.trained_investors.external_ids),
        "trained_package_ids": text_array(vectoriser.trained_packages.external_ids),
        "reference_biases": vectoriser.reference_biases,
        "reference_embeddings": vectoriser.reference_embeddings,
        "package_ids": text_array(parts.packages.ids.external_ids),
        "user_vocabulary": text_array(vectoriser.user_vocabulary.names),
        "item_vocabulary": text_array(vectoriser.item_vocabulary.names),
        "user_feature_embeddings": lightfm.user_feature_embeddings,
        "user_feature_biases": lightfm.user_feature_biases,
        "item_feature_embeddings": lightfm.item_feature_embeddings,
        "item_feature_biases": lightfm.item_feature_biases,
        "als_user_factors": als.user_factors,
        "als_feature_factors": als.feature_factors,
        "investor_vectors": parts.investors.vectors,
        "package_vectors": parts.packages.vectors,
        "package_index": parts.packages.index.to_bytes(),
        "investor_index": parts.investors.index.to_bytes(),
        **sparse_arrays("package_features", parts.package_features),
    }
    metadata = {"config": vectoriser.config.to_dict(), "als_scale": vectoriser.als_scale}
    if parts.second_stage is not None:
        stage_metadata, stage_arrays = parts.second_stage.to_arrays()
        metadata.update(stage_metadata)
        arrays.update(stage_arrays)
    write_arrays(path, metadata, arrays)  # type: ignore[arg-type]


def load_parts(path: Path) -> HybridParts:
    """Read parts written by ``save_parts``; raises ``ArtifactError`` if they are unusable.

    Every array is checked against the saved configuration and the id maps before it is used
    (``recommender.artifact_layout``), so a foreign or truncated file is refused with what is
    wrong rather than served or failing on a request.
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
        parts = _parts_from_arrays(config, als_scale, arrays)
        if SECOND_STAGE_ARRAYS[0] in arrays:
            from recommender.second_stage.model import SecondStage  # imports the hybrid: not at module level

            parts = HybridParts(
                parts.vectoriser, parts.packages, parts.investors, parts.package_features,
                SecondStage.from_arrays(metadata, arrays),
            )
        return parts
    except ArtifactError as error:
        raise ArtifactError(error.reason, path) from None
    except (ValueError, TypeError, KeyError, IndexError, RuntimeError) as error:
        raise ArtifactError(f"cannot be restored: {error}", path) from error


def _parts_from_arrays(config: HybridConfig, als_scale: float, arrays: dict[str, np.ndarray]) -> HybridParts:
    lightfm = LightFMPart(config.lightfm)
    lightfm.user_feature_embeddings = arrays["user_feature_embeddings"]
    lightfm.user_feature_biases = arrays["user_feature_biases"]
    lightfm.item_feature_embeddings = arrays["item_feature_embeddings"]
    lightfm.item_feature_biases = arrays["item_feature_biases"]
    als = ALSPart(config.als)
    als.user_factors = arrays["als_user_factors"]
    als.feature_factors = arrays["als_feature_factors"]
    vectoriser = HybridVectoriser(
        config, lightfm, als,
        FeatureVocabulary(arrays["user_vocabulary"].tolist()),
        FeatureVocabulary(arrays["item_vocabulary"].tolist()),
        IdMap(arrays["trained_investor_ids"].tolist()),
        IdMap(arrays["trained_package_ids"].tolist()),
        arrays["reference_biases"],
        arrays["reference_embeddings"],
        als_scale,
    )
    dimension = vectoriser.dimension
    package_ids = IdMap(arrays["package_ids"].tolist())
    investor_ids = IdMap(arrays["investor_ids"].tolist())
    packages = LiveIndex(
        "package", package_ids, VectorRows(arrays["package_vectors"]),
        _restored_index(arrays["package_index"], dimension, len(package_ids), "package"),
    )
    investors = LiveIndex(
        "investor", investor_ids, VectorRows(arrays["investor_vectors"]),
        _restored_index(arrays["investor_index"], dimension, len(investor_ids), "investor"),
    )
    return HybridParts(vectoriser, packages, investors, sparse_from("package_features", arrays))


def _restored_index(data: np.ndarray, dimension: int, rows: int, kind: str) -> VectorIndex:
    """A saved FAISS index, refused unless its width and rows fit the model's vectors and ids."""
    index = VectorIndex.from_bytes(data)
    if index.dimension != dimension:
        raise ArtifactError(f"has a {kind} index of dimension {index.dimension}, the model's is {dimension}")
    stored = index.stored_rows()
    if len(stored) and (stored.min() < 0 or stored.max() >= rows):
        raise ArtifactError(f"has a {kind} index holding rows beyond its {rows} {kind} ids")
    return index
