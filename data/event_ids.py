"""The ``event_id`` derived from an event's content, for events that come without one.

An event id is an idempotency key: importing the same file twice must store the same events,
so an event without an id gets one that depends only on its values.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from data.cells import TIMESTAMP_DTYPE

# The content an event's derived id hashes, in the order derive_event_ids takes it.
EVENT_KEY_FIELDS = (
    "investor_id",
    "package_id",
    "event_type",
    "occurred_at",
    "amount_cny",
    "dwell_seconds",
    "request_id",
)


def _plain_text(values: np.ndarray) -> np.ndarray:
    """Text values with missing ones as empty text."""
    text = np.array(values, dtype=object, copy=True)
    text[pd.isna(text)] = ""
    return text


def _instant_text(values: np.ndarray) -> np.ndarray:
    """ISO text of naive UTC instants with microseconds, empty for ``NaT``."""
    instants = np.asarray(values, dtype=TIMESTAMP_DTYPE)
    text = np.datetime_as_string(instants, unit="us").astype(object)
    text[np.isnat(instants)] = ""
    return text


def _decimal_text(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip text of each float (as Python's ``repr``), empty for ``NaN``."""
    codes, uniques = pd.factorize(values)
    text = np.append(uniques.astype(str).astype(object), "")
    return text[codes]  # code -1 (NaN) picks the trailing ""


def derive_event_ids(
    investor_id: np.ndarray,
    package_id: np.ndarray,
    event_type: np.ndarray,
    occurred_at: np.ndarray,
    amount_cny: np.ndarray,
    dwell_seconds: np.ndarray,
    request_id: np.ndarray,
) -> np.ndarray:
    """Derive a stable ``event_id`` from an event's content.

    The id is ``"h-"`` and the first 24 hex digits of the SHA-1 of the fields joined by ``|``:
    investor_id, package_id, event_type, occurred_at as naive UTC ISO text with microseconds
    (``2025-03-14T01:30:00.000000``), amount_cny and dwell_seconds as Python's ``repr`` of the
    float, and request_id, with missing values as empty text. It depends on the values, not on
    how they were written, so the same event always gets the same id, even after a reformat.

    Parameters
    ----------
    investor_id, package_id, event_type, request_id
        Text arrays; ``None`` for missing.
    occurred_at
        Naive UTC ``datetime64`` values.
    amount_cny, dwell_seconds
        ``float64`` values; ``NaN`` for missing.

    Returns
    -------
    numpy.ndarray
        Object array of ``str`` ids.
    """
    parts = [
        _plain_text(investor_id),
        _plain_text(package_id),
        _plain_text(event_type),
        _instant_text(occurred_at),
        _decimal_text(np.asarray(amount_cny, dtype=np.float64)),
        _decimal_text(np.asarray(dwell_seconds, dtype=np.float64)),
        _plain_text(request_id),
    ]
    sha1 = hashlib.sha1
    digests = [
        "h-" + sha1(f"{a}|{b}|{c}|{d}|{e}|{f}|{g}".encode()).hexdigest()[:24]
        for a, b, c, d, e, f, g in zip(*parts, strict=True)
    ]
    return np.array(digests, dtype=object)
