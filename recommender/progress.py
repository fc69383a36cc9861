"""Stage-level progress reporting for long fits, without tying the recommender to a terminal.

A training run at market scale takes minutes, most of it in LightFM's epochs, so an operator
(or a supervising process) needs to see which stage is running. The recommender only announces
stages and steps through this small interface; ``webapi`` decides how to show them (tqdm bars,
log lines) and tests can record them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

Advance = Callable[[int], None]


class Progress(Protocol):
    """Receives the stages of a fit; ``stage`` yields a function that advances its step count."""

    def stage(self, name: str, total: int = 0) -> AbstractContextManager[Advance]:
        """Enter ``name`` (``total`` steps if known, 0 if not) for the ``with`` block."""
        ...


class SilentProgress:
    """Reports nothing: the default for library calls and evaluations."""

    @contextmanager
    def stage(self, name: str, total: int = 0) -> Iterator[Advance]:
        yield _ignore


class PrefixedProgress:
    """Names every stage of ``inner`` with a prefix, e.g. ``holdout candidate: LightFM``."""

    def __init__(self, inner: Progress, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix

    @contextmanager
    def stage(self, name: str, total: int = 0) -> Iterator[Advance]:
        with self.inner.stage(f"{self.prefix}: {name}", total) as advance:
            yield advance


def _ignore(steps: int) -> None:
    return None


SILENT = SilentProgress()
