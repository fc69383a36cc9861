"""Errors the matching layer raises; each names the id that caused it.

Both are ``LookupError``s, so the web API maps them to a 404 in one place and a caller can tell
"no such investor" from "no such listing" without parsing the message.
"""

from __future__ import annotations


class UnknownInvestorError(LookupError):
    """An investor the market snapshot does not hold (never registered, or not yet at ``now``)."""

    def __init__(self, investor_id: object) -> None:
        self.investor_id = investor_id
        super().__init__(f"unknown investor {investor_id!r}")

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownPackageError(LookupError):
    """A package the market snapshot does not hold."""

    def __init__(self, package_id: object) -> None:
        self.package_id = package_id
        super().__init__(f"unknown package {package_id!r}")

    def __str__(self) -> str:
        return str(self.args[0])
