"""Errors the recommender raises; each names the value that caused it."""

from __future__ import annotations


class RecommenderError(Exception):
    """Base class of the recommender's errors."""


class NotFittedError(RecommenderError):
    """A model was used before ``fit`` or ``load``."""

    def __init__(self, what: str = "model") -> None:
        super().__init__(f"{what} is not fitted: call fit() or load() first")


class UnknownIdError(RecommenderError, KeyError):
    """An investor or package id the model has never been given."""

    def __init__(self, kind: str, external_id: object) -> None:
        self.kind = kind
        self.external_id = external_id
        super().__init__(f"unknown {kind} {external_id!r}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


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
