"""The "no such investor" / "no such listing" errors every layer raises; each names the id.

One pair, defined here at the bottom of the layers, so profiles, the recommender and matching
raise the same classes and the web API maps them to a 404 in one place. Both are
``KeyError``s (hence ``LookupError``s), so a caller can tell "no such investor" from "no such
listing" without parsing the message.
"""

from __future__ import annotations


class UnknownIdError(KeyError):
    """An id a table, a model or a market snapshot does not hold; ``kind`` says of what."""

    kind = "id"

    def __init__(self, external_id: object) -> None:
        self.external_id = external_id
        super().__init__(f"unknown {self.kind} {external_id!r}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class UnknownInvestorError(UnknownIdError):
    """An investor that was never registered (or not yet at ``now``), or that a model lacks."""

    kind = "investor"

    @property
    def investor_id(self) -> object:
        return self.external_id


class UnknownPackageError(UnknownIdError):
    """A listing that the store, the model or the market snapshot does not hold."""

    kind = "package"

    @property
    def package_id(self) -> object:
        return self.external_id


def unknown_id(kind: str, external_id: object) -> UnknownIdError:
    """The error for an unknown id of ``kind`` ("investor", "package", anything else)."""
    for error in (UnknownInvestorError, UnknownPackageError):
        if error.kind == kind:
            return error(external_id)
    plain = UnknownIdError(external_id)
    plain.kind = kind
    plain.args = (f"unknown {kind} {external_id!r}",)
    return plain
