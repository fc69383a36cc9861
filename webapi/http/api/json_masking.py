"""The app's JSON encoder: every string of every JSON response passes the personal-data mask.

Masking at the one place JSON is written, rather than in each view, means a view that forgets
(a new field, an error message quoting a description) still cannot serve a debtor's ID number,
mobile or bank card. Only strings are masked; numbers are never touched, so amounts stay exact.
Timestamps are written as ISO 8601 (naive values are UTC, like every stored timestamp).

Id fields (``investor_id``, ``event_ids``, ... see :func:`data.identifiers.is_id_key`) are the
exception: they are written as they are, because masking an id corrupts it, and the boundary
refuses any id that looks like personal data, so there is nothing in one to hide.

A list response repeats the same short strings (reason texts, codes, ids) thousands of times a
second, so the masked form of short strings is cached: masking costs a dictionary lookup, not a
regular-expression scan, on the serving path.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from flask.json.provider import DefaultJSONProvider

from data.identifiers import is_id_key
from data.masking import mask_personal_data

#: Strings up to this long have their masked form cached.
CACHED_LENGTH = 256


@lru_cache(maxsize=1 << 16)
def _masked_short(text: str) -> str:
    return mask_personal_data(text) or ""


def masked(value: Any) -> Any:
    """``value`` with every string in it masked (mappings, lists and tuples recursively)."""
    if isinstance(value, str):
        return _masked_short(value) if len(value) <= CACHED_LENGTH else mask_personal_data(value)
    if isinstance(value, dict):
        return {key: item if is_id_key(key) and _ids(item) else masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    return value


def _ids(value: Any) -> bool:
    """Whether a value is what an id field holds: an id, a list of ids, or none."""
    if isinstance(value, list | tuple):
        return all(item is None or isinstance(item, str) for item in value)
    return value is None or isinstance(value, str)


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return DefaultJSONProvider.default(value)


class MaskingJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with personal data masked and ISO timestamps, keys in given order."""

    sort_keys = False
    default = staticmethod(_iso)  # type: ignore[assignment]

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return super().dumps(masked(obj), **kwargs)
