"""The errors the matching layer raises: the market-wide pair from ``data.errors``.

Re-exported here for callers of matching; they are the very classes profiles and the
recommender raise, so the web API maps all of them to a 404 in one place.
"""

from __future__ import annotations

from data.errors import UnknownInvestorError, UnknownPackageError

__all__ = ["UnknownInvestorError", "UnknownPackageError"]
