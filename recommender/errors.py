"""Errors the recommender raises; each names the value that caused it."""

from __future__ import annotations

from data.errors import UnknownIdError, UnknownInvestorError, UnknownPackageError

__all__ = [
    "ArtifactError",
    "NotFittedError",
    "RecommenderError",
    "UnknownIdError",  # base of the market-wide pair (data.errors), raised by IdMap
    "UnknownInvestorError",
    "UnknownPackageError",
]


class RecommenderError(Exception):
    """Base class of the recommender's errors."""


class NotFittedError(RecommenderError):
    """A model was used before ``fit`` or ``load``."""

    def __init__(self, what: str = "model") -> None:
        super().__init__(f"{what} is not fitted: call fit() or load() first")


class ArtifactError(RecommenderError):
    """A saved model artifact that is missing, corrupt, foreign or of another format version.

    ``reason`` says what is wrong without the file's path ("is unreadable: ..."), for messages
    that must not reveal where the server keeps its files; ``str()`` names the path too.
    """

    def __init__(self, reason: str, path: object = None) -> None:
        self.reason = reason
        self.path = path
        where = f"model artifact {path}" if path is not None else "model artifact"
        super().__init__(f"{where} {reason}")
