"""A saved model is refused at load unless every array fits the others and the configuration.

Regression: ``HybridRecommender.load`` accepted an artifact whose ``package_ids`` were cut to
three entries (serving then mapped ids onto the wrong vectors), and a foreign ``.npz`` raised a
bare ``KeyError``.
"""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import numpy as np
import pytest

from recommender.artifact import file_sha256, read_arrays, write_arrays
from recommender.errors import ArtifactError
from recommender.hybrid import HybridRecommender
from tests.recommender.test_hybrid_contract import fitted_model


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("artifact") / "model.npz"
    fitted_model().save(path)
    return path


def rewritten(saved: Path, tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    metadata, arrays = read_arrays(saved)
    metadata.pop("format_version")
    change(metadata, arrays)
    path = tmp_path / "changed.npz"
    write_arrays(path, metadata, arrays)
    return path


@pytest.mark.parametrize(
    "array",
    ["package_ids", "package_vectors", "investor_vectors", "investor_ids", "trained_investor_ids",
     "item_vocabulary", "user_feature_biases", "package_features_indptr", "reference_embeddings"],
)
def test_a_truncated_array_is_refused_by_name(saved: Path, tmp_path: Path, array: str) -> None:
    def cut(_metadata, arrays) -> None:  # type: ignore[no-untyped-def]
        arrays[array] = arrays[array][:3]

    with pytest.raises(ArtifactError, match="do not fit together") as refused:
        HybridRecommender.load(rewritten(saved, tmp_path, cut))
    assert array.removesuffix("_indptr") in str(refused.value)


def test_vectors_of_another_width_than_the_configuration_are_refused(saved: Path, tmp_path: Path) -> None:
    def narrower(metadata, _arrays) -> None:  # type: ignore[no-untyped-def]
        metadata["config"]["lightfm"]["components"] -= 1

    with pytest.raises(ArtifactError, match="dimension"):
        HybridRecommender.load(rewritten(saved, tmp_path, narrower))


def test_vectors_that_are_not_finite_are_refused(saved: Path, tmp_path: Path) -> None:
    def poisoned(_metadata, arrays) -> None:  # type: ignore[no-untyped-def]
        arrays["package_vectors"] = arrays["package_vectors"].copy()
        arrays["package_vectors"][0, 0] = np.nan

    with pytest.raises(ArtifactError, match="package_vectors holds values that are not finite"):
        HybridRecommender.load(rewritten(saved, tmp_path, poisoned))


def test_a_damaged_index_is_refused_not_raised_from_faiss(saved: Path, tmp_path: Path) -> None:
    def damaged(_metadata, arrays) -> None:  # type: ignore[no-untyped-def]
        arrays["investor_index"] = arrays["investor_index"][:100]

    with pytest.raises(ArtifactError, match="cannot be restored"):
        HybridRecommender.load(rewritten(saved, tmp_path, damaged))


@pytest.mark.parametrize("kind", ["no metadata", "our metadata, other arrays", "metadata not a mapping"])
def test_a_foreign_npz_is_refused_as_not_a_model(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "foreign.npz"
    if kind == "no metadata":
        np.savez(path, weights=np.ones(3))
    elif kind == "metadata not a mapping":
        np.savez(path, metadata=np.array("[1, 2]"))
    else:
        write_arrays(path, {"config": {}}, {"weights": np.ones(3)})
    with pytest.raises(ArtifactError, match="not a model artifact"):
        HybridRecommender.load(path)


def test_an_intact_artifact_still_loads(saved: Path) -> None:
    assert len(HybridRecommender.load(saved).package_ids) == len(read_arrays(saved)[1]["package_ids"])


def test_a_truncated_file_is_refused_without_leaking_its_handle(saved: Path, tmp_path: Path) -> None:
    data = saved.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        for cut in (10, len(data) // 2, len(data) - 10):
            path = tmp_path / f"cut-{cut}.npz"
            path.write_bytes(data[:cut])
            with pytest.raises(ArtifactError, match="unreadable"):
                HybridRecommender.load(path)
            gc.collect()  # an unclosed file would warn here


def test_the_checksum_is_of_the_files_bytes(saved: Path) -> None:
    import hashlib

    assert file_sha256(saved) == hashlib.sha256(saved.read_bytes()).hexdigest()
