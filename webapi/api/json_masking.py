"""The app's JSON encoder: every string of every JSON response passes the personal-data mask.

Masking at the one place JSON is written, rather than in each view, means a view that forgets
(a new field, an error message quoting a description) still cannot serve a debtor's ID number,
mobile or bank card. Only strings are masked; numbers are never touched, so amounts stay exact.
Timestamps are written as ISO 8601 (naive values are UTC, like every stored timestamp).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask.json.provider import DefaultJSONProvider

from data.masking import mask_record


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return DefaultJSONProvider.default(value)


class MaskingJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with personal data masked and ISO timestamps, keys in given order."""

    sort_keys = False
    default = staticmethod(_iso)  # type: ignore[assignment]

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return super().dumps(mask_record({"_": obj})["_"], **kwargs)
