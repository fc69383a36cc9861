"""What recommendation responses served: one row per response, keyed by its ``request_id``.

Feedback that carries a ``request_id`` (an impression, a view, a bid) can then be attributed to
the model and rule-set versions that produced the list, and to the rank the item was shown at.
Rows are written in batches: serving buffers them and inserts many in one statement.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from data.schema import served_lists_table

RECOMMENDATIONS = "recommendations"
BUYERS = "buyers"
SIMILAR = "similar"


@dataclass(frozen=True)
class ServedList:
    """One served response: what kind of list, about whom, from which versions, and its items."""

    request_id: str
    served_at: datetime
    kind: str
    subject_id: str
    model_version: str | None
    rule_version: int | None
    items: tuple[dict[str, Any], ...]

    def to_row(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "served_at": self.served_at,
            "kind": self.kind,
            "subject_id": self.subject_id,
            "model_version": self.model_version,
            "rule_version": self.rule_version,
            "items": json.dumps(list(self.items), ensure_ascii=False, separators=(",", ":")),
        }


def insert_served_lists(connection: Connection, served: Sequence[ServedList]) -> None:
    """Insert many served lists in one statement."""
    if served:
        connection.execute(served_lists_table.insert(), [entry.to_row() for entry in served])


def get_served_list(connection: Connection, request_id: str) -> ServedList | None:
    """The served list of a response, or None when it is not (yet) stored."""
    row = connection.execute(
        select(served_lists_table).where(served_lists_table.c.request_id == request_id)
    ).first()
    if row is None:
        return None
    return _from_mapping(row._mapping)


def _from_mapping(values: Any) -> ServedList:
    return ServedList(
        request_id=values["request_id"],
        served_at=values["served_at"],
        kind=values["kind"],
        subject_id=values["subject_id"],
        model_version=values["model_version"],
        rule_version=values["rule_version"],
        items=tuple(json.loads(values["items"])),
    )


def get_served_lists(connection: Connection, request_ids: Collection[str]) -> dict[str, ServedList]:
    """The stored served lists of these requests, by ``request_id`` (absent ones are left out)."""
    found: dict[str, ServedList] = {}
    ids = sorted(set(request_ids))
    for start in range(0, len(ids), 500):
        rows = connection.execute(
            select(served_lists_table).where(served_lists_table.c.request_id.in_(ids[start : start + 500]))
        )
        for row in rows:
            served = _from_mapping(row._mapping)
            found[served.request_id] = served
    return found


def served_investor(served: ServedList, investor_id: str) -> bool:
    """Whether ``investor_id``'s feedback may quote this list's ``request_id``.

    A recommendations list served that one investor; a buyers list the investors it ranks. A
    similar-listings list is about a listing, not an investor, and any key may read one, so
    anyone's feedback may quote it.
    """
    if served.kind == RECOMMENDATIONS:
        return served.subject_id == investor_id
    if served.kind == BUYERS:
        return any(item.get("id") == investor_id for item in served.items)
    return True
