"""Identifiers are not free text: they are never masked, so they must never carry personal data.

Masking (:mod:`data.masking`) rewrites the middle of anything that looks like a resident ID,
mobile or bank card number. Applied to an id, it would corrupt it: ``110101199003070027`` sent
as an investor id would come back as ``110***********0027``, an id nobody can address again,
while exports that write ids as they are (``push.json``) would show the number in full. The
one policy, applied at every boundary:

- an id that comes from outside (an API body or path, an import file) is checked with the same
  detector as the masking, and refused if it looks like personal data, with the field named;
- an id the engine makes itself (a request id, a key id) is drawn again until it does not;
- outputs never mask id fields (:func:`is_id_key`): by the two rules above an id can hold no
  personal data, so masking it could only corrupt it.

Free text (titles, descriptions, messages) is still masked everywhere, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np
import pandas as pd

from data.contract import Field
from data.masking import contains_personal_data

__all__ = [
    "ID_FIELDS",
    "PERSONAL_DATA_ID_MESSAGE",
    "check_identifiers",
    "fresh_id",
    "is_id_key",
    "looks_like_personal_data",
    "personal_data_rows",
]

#: The contract fields that hold ids (stored in id-sized columns, never masked).
ID_FIELDS: frozenset[str] = frozenset({"investor_id", "package_id", "event_id", "request_id", "seller_id"})

#: Why an id was refused; it does not quote the value, which is the personal data.
PERSONAL_DATA_ID_MESSAGE = (
    "looks like personal data (a resident ID, mobile or bank card number); "
    "ids must not carry personal data, use an opaque id instead"
)

# Draws before fresh_id gives up; a random hex token matches with a probability below 1%.
_MAX_DRAWS = 100


def looks_like_personal_data(value: object) -> bool:
    """Whether an id holds something the personal-data masking would rewrite."""
    return isinstance(value, str) and contains_personal_data(value)


def personal_data_rows(values: np.ndarray) -> np.ndarray:
    """Boolean mask of the ids in ``values`` that look like personal data.

    Each distinct value is checked once, so a column of repeated ids (events' investor ids)
    costs one scan per investor, not per row. Missing values are never flagged.
    """
    codes, uniques = pd.factorize(pd.Series(np.asarray(values, dtype=object), dtype=object))
    flagged = np.fromiter((looks_like_personal_data(value) for value in uniques), bool, len(uniques))
    return np.append(flagged, False)[codes]  # code -1 (missing) picks the trailing False


def check_identifiers(
    fields: Collection[Field],
    present: Collection[str],
    values: Callable[[str], np.ndarray],
    report: Callable[[str, np.ndarray, Callable[[int], str]], None],
) -> None:
    """Report every id cell of a parsed file (or API body) that looks like personal data.

    Called by the CSV reader for every kind of market file, so an import and an API write
    refuse the same ids with the same message: ``values(name)`` gives a column's parsed cells
    and ``report(name, bad_rows, message_for_row)`` files the problem against each row.
    """
    for name in (spec.name for spec in fields):
        if name in ID_FIELDS and name in present:
            bad = personal_data_rows(values(name))
            if bad.any():
                report(name, bad, lambda _row: PERSONAL_DATA_ID_MESSAGE)


def is_id_key(key: object) -> bool:
    """Whether a JSON key names an id or a list of ids, whose values are left unmasked."""
    return isinstance(key, str) and (key in ID_FIELDS or key.endswith(("_id", "_ids")))


def fresh_id(make: Callable[[], str]) -> str:
    """An id from ``make`` (a random token maker) that does not look like personal data."""
    for _ in range(_MAX_DRAWS):
        value = make()
        if not looks_like_personal_data(value):
            return value
    raise RuntimeError("could not draw an id that does not look like personal data")
