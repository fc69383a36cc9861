"""Errors the profiles package raises; each names the value that caused it."""

from __future__ import annotations

from data.errors import UnknownInvestorError

__all__ = [
    "DuplicateInvestorError",
    "InvalidValueError",
    "InvalidWeightsError",
    "MissingColumnError",
    "ProfileError",
    "UnknownFeatureGroupError",
    "UnknownInvestorError",  # the market-wide one (data.errors), raised for a missing profile
]


class ProfileError(Exception):
    """Base class of the profiles package's errors."""


class MissingColumnError(ProfileError):
    """An input frame lacks a column of the data contract."""

    def __init__(self, frame: str, column: str) -> None:
        self.frame = frame
        self.column = column
        super().__init__(f"{frame} frame has no column {column!r}")


class InvalidValueError(ProfileError):
    """A value outside the contract's vocabulary in a column the profiles depend on."""

    def __init__(self, column: str, value: object) -> None:
        self.column = column
        self.value = value
        super().__init__(f"invalid {column} {value!r}")


class DuplicateInvestorError(ProfileError):
    """The same investor id appears twice in the investors frame."""

    def __init__(self, investor_id: object) -> None:
        self.investor_id = investor_id
        super().__init__(f"investor {investor_id!r} appears more than once")


class UnknownFeatureGroupError(ProfileError, ValueError):
    """A feature group that ``FEATURE_GROUPS`` does not define."""

    def __init__(self, group: object) -> None:
        self.group = group
        super().__init__(f"unknown feature group {group!r}")


class InvalidWeightsError(ProfileError, ValueError):
    """Event weights naming an unknown event type, or an unusable half-life."""

    def __init__(self, what: str, value: object) -> None:
        self.what = what
        self.value = value
        super().__init__(f"invalid {what} {value!r}")
