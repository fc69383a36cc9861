"""What a hybrid model artifact must hold, checked before any of its arrays is used.

A file can be a valid ``.npz`` and still not be a model: another program's arrays, or one of
ours with an array cut short (a copy interrupted, a disk full, a hand edit). Loaded without
checks, such a file serves wrong rows for ids (``package_ids`` shorter than ``package_vectors``
shifts every id onto another listing's vector) or fails on the first request with an
``IndexError``. So every array's shape is checked against the configuration and against the
id maps it is indexed by, and all problems are reported at once as one ``ArtifactError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from recommender.errors import ArtifactError

ID_ARRAYS = ("investor_ids", "trained_investor_ids", "trained_package_ids", "package_ids")
TEXT_ARRAYS = (*ID_ARRAYS, "user_vocabulary", "item_vocabulary")
NUMBER_ARRAYS = (
    "reference_biases",
    "reference_embeddings",
    "user_feature_embeddings",
    "user_feature_biases",
    "item_feature_embeddings",
    "item_feature_biases",
    "als_user_factors",
    "als_feature_factors",
    "investor_vectors",
    "package_vectors",
)
SPARSE_ARRAYS = tuple(f"package_features_{part}" for part in ("data", "indices", "indptr", "shape"))
INDEX_ARRAYS = ("package_index", "investor_index")
REQUIRED_ARRAYS = (*TEXT_ARRAYS, *NUMBER_ARRAYS, *SPARSE_ARRAYS, *INDEX_ARRAYS)
# Optional: a version trained with a second stage holds both LightGBM models as text and the
# feature names they read; all three or none (a version without one serves its first stage).
SECOND_STAGE_ARRAYS = ("second_stage_ranker", "second_stage_buyers", "second_stage_feature_names")


@dataclass(frozen=True)
class Layout:
    """The sizes an artifact's configuration decides: embedding widths and the vector dimension."""

    components: int
    factors: int
    package_identity: bool

    @property
    def dimension(self) -> int:
        return 2 + self.components + self.factors + 1


def check_arrays(arrays: Mapping[str, np.ndarray], layout: Layout) -> None:
    """Raise ``ArtifactError`` naming every array whose presence, kind or shape is wrong."""
    missing = [name for name in REQUIRED_ARRAYS if name not in arrays]
    if missing:
        raise ArtifactError(f"is not a model artifact: arrays {', '.join(missing)} are missing")
    problems = _kinds(arrays) + _second_stage_problems(arrays)
    if problems:
        raise ArtifactError("has malformed arrays: " + "; ".join(problems))
    problems = _shapes(arrays, layout)
    if problems:
        raise ArtifactError("has arrays that do not fit together: " + "; ".join(problems))


def _kinds(arrays: Mapping[str, np.ndarray]) -> list[str]:
    problems = []
    for name in TEXT_ARRAYS:
        if arrays[name].ndim != 1 or arrays[name].dtype.kind != "U" and arrays[name].size:
            problems.append(f"{name} must be a list of texts, not {arrays[name].dtype} {arrays[name].shape}")
    for name in NUMBER_ARRAYS:
        array = arrays[name]
        if array.dtype.kind not in "fi":
            problems.append(f"{name} must hold numbers, not {array.dtype}")
        elif not np.isfinite(array).all():
            problems.append(f"{name} holds values that are not finite")
    for name in (*SPARSE_ARRAYS, *INDEX_ARRAYS):
        if arrays[name].ndim != 1 or arrays[name].dtype.kind not in "fiu":
            kind = f"{arrays[name].dtype} {arrays[name].shape}"
            problems.append(f"{name} must be a flat array of numbers, not {kind}")
    for name in ID_ARRAYS:
        values = arrays[name]
        if values.ndim == 1 and len(np.unique(values)) != len(values):
            problems.append(f"{name} repeats ids")
    return problems


def _second_stage_problems(arrays: Mapping[str, np.ndarray]) -> list[str]:
    """The second stage's arrays: all or none, two model texts, a list of feature names."""
    present = [name for name in SECOND_STAGE_ARRAYS if name in arrays]
    if not present:
        return []
    if len(present) < len(SECOND_STAGE_ARRAYS):
        missing = [name for name in SECOND_STAGE_ARRAYS if name not in arrays]
        return [f"has a partial second stage: {', '.join(missing)} missing"]
    problems = []
    for name in SECOND_STAGE_ARRAYS[:2]:
        array = arrays[name]
        if array.shape != (1,) or array.dtype.kind != "U" or not str(array[0]).strip():
            problems.append(f"{name} must be one model text, not {array.dtype} {array.shape}")
    names = arrays["second_stage_feature_names"]
    if names.ndim != 1 or names.dtype.kind != "U" or not len(names):
        kind = f"{names.dtype} {names.shape}"
        problems.append(f"second_stage_feature_names must be a list of texts, not {kind}")
    return problems


def _shapes(arrays: Mapping[str, np.ndarray], layout: Layout) -> list[str]:
    """Each array against the sizes it must share with the id maps, vocabularies and config."""
    investors = len(arrays["investor_ids"])
    packages = len(arrays["package_ids"])
    trained_investors = len(arrays["trained_investor_ids"])
    trained_packages = len(arrays["trained_package_ids"])
    user_columns = trained_investors + len(arrays["user_vocabulary"])
    item_columns = len(arrays["item_vocabulary"]) + (trained_packages if layout.package_identity else 0)
    components, factors, dimension = layout.components, layout.factors, layout.dimension
    references = len(arrays["reference_biases"])
    users = f"{user_columns} user features (trained_investor_ids + user_vocabulary)"
    item_sources = "item_vocabulary + trained_package_ids" if layout.package_identity else "item_vocabulary"
    items = f"{item_columns} item features ({item_sources})"
    expected: dict[str, tuple[tuple[int | None, ...], str]] = {
        "investor_vectors": ((investors, dimension), f"{investors} investor_ids × dimension {dimension}"),
        "package_vectors": ((packages, dimension), f"{packages} package_ids × dimension {dimension}"),
        "user_feature_embeddings": ((user_columns, components), f"{users} × {components}"),
        "user_feature_biases": ((user_columns,), users),
        "item_feature_embeddings": ((item_columns, components), f"{items} × {components}"),
        "item_feature_biases": ((item_columns,), items),
        "als_feature_factors": ((item_columns, factors), f"{items} × {factors} factors"),
        "als_user_factors": ((None, factors), f"at most {investors} investors × {factors} factors"),
        "reference_embeddings": ((references, components), f"{references} reference_biases × {components}"),
    }
    problems = []
    for name, (shape, meaning) in expected.items():
        actual = arrays[name].shape
        fits = len(actual) == len(shape) and all(
            want is None or want == got for want, got in zip(shape, actual, strict=True)
        )
        if not fits:
            problems.append(f"{name} has shape {actual}, expected {meaning}")
    if arrays["als_user_factors"].ndim == 2 and arrays["als_user_factors"].shape[0] > investors:
        problems.append(
            f"als_user_factors has {arrays['als_user_factors'].shape[0]} rows for {investors} investor_ids"
        )
    trained_known = np.isin(arrays["trained_investor_ids"], arrays["investor_ids"]).all()
    if trained_investors > investors or not trained_known:
        problems.append("trained_investor_ids are not all among investor_ids")
    problems.extend(_sparse_problems(arrays, packages, item_columns))
    return problems


def _sparse_problems(arrays: Mapping[str, np.ndarray], packages: int, item_columns: int) -> list[str]:
    """The package feature matrix: one row per package id, one column per item feature."""
    shape = arrays["package_features_shape"]
    indptr = arrays["package_features_indptr"]
    indices = arrays["package_features_indices"]
    data = arrays["package_features_data"]
    if shape.tolist() != [packages, item_columns]:
        return [f"package_features has shape {tuple(shape.tolist())}, expected ({packages}, {item_columns})"]
    if len(indptr) != packages + 1 or len(indices) != len(data) or (len(indptr) and indptr[-1] != len(data)):
        return ["package_features is not a consistent sparse matrix (indptr, indices and data disagree)"]
    if np.any(np.diff(indptr) < 0) or (len(indices) and (indices.min() < 0 or indices.max() >= item_columns)):
        return ["package_features refers to feature columns that do not exist"]
    return []
