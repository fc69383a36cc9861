"""One artifact per model: arrays, id maps, vocabularies and indexes in a single ``.npz``.

Everything is stored as plain arrays and loaded with ``allow_pickle=False``, so an artifact can
never execute code, and the model and its id maps can never be separated. Writes go to a
temporary file that is renamed into place, so a crash never leaves half an artifact.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.errors import ArtifactError

FORMAT_VERSION = 1


def write_arrays(path: Path, metadata: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Atomically write ``arrays`` plus JSON ``metadata`` to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {**arrays, "metadata": np.array(json.dumps({**metadata, "format_version": FORMAT_VERSION}))}
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            np.savez(handle, **payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_arrays(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read an artifact written by ``write_arrays``; refuses missing, corrupt or foreign files."""
    if not path.is_file():
        raise ArtifactError("does not exist", path)
    try:
        # The file is opened here, not by np.load, which leaves its handle open when a truncated
        # zip fails to parse (a ResourceWarning per refused artifact).
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        if "metadata" not in arrays:
            raise ArtifactError("is not a model artifact: it has no metadata", path)
        metadata = json.loads(str(arrays.pop("metadata")))
        if not isinstance(metadata, dict):
            raise ArtifactError("is not a model artifact: its metadata is not a mapping", path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise ArtifactError(f"is unreadable: {_described(error)}", path) from error
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"has format version {metadata.get('format_version')!r}, "
            f"this code reads version {FORMAT_VERSION}",
            path,
        )
    return metadata, arrays


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks (artifacts reach hundreds of megabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _described(error: BaseException) -> str:
    """An error's message without the file's path (``OSError`` puts it in its text)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def text_array(values: Any) -> np.ndarray:
    """Strings as a fixed-width unicode array (object arrays would need pickle)."""
    values = list(values)
    return np.array(values, dtype=str) if values else np.array([], dtype="<U1")


def sparse_arrays(prefix: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    return {
        f"{prefix}_data": matrix.data,
        f"{prefix}_indices": matrix.indices,
        f"{prefix}_indptr": matrix.indptr,
        f"{prefix}_shape": np.asarray(matrix.shape, dtype=np.int64),
    }


def sparse_from(prefix: str, arrays: dict[str, np.ndarray]) -> sp.csr_matrix:
    return sp.csr_matrix(
        (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]),
        shape=tuple(arrays[f"{prefix}_shape"]),
    )
