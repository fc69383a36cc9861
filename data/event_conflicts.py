"""A repeated ``event_id`` with different content: a conflict, never a silent duplicate.

``event_id`` is the idempotency key of the event log, and idempotency means *same id, same
content*: sending an event again is harmless and stores nothing, but an event that reuses a
stored id for other content (another investor, another type, another amount...) would be lost
if it were counted as a repeat. The bulk writer finds such rows; this module says which fields
differ from the stored version, so the API can answer 409 and an import can name the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from data.contract import EVENT_FIELDS
from data.market_frames import read_frame
from data.record_diff import differing_fields
from data.schema import events_table

#: What makes two events the same event, besides their id.
EVENT_CONTENT: tuple[str, ...] = tuple(spec.name for spec in EVENT_FIELDS if spec.name != "event_id")
#: Ids per ``IN`` list when the stored versions are read back (well below every backend's limit).
READ_CHUNK = 500


@dataclass(frozen=True)
class EventConflict:
    """One event whose ``event_id`` is stored with other content.

    Attributes
    ----------
    row
        0-based position of the event in the frame that was written.
    event_id
        The id both versions carry.
    stored
        The stored version's value of every field that differs, in contract order.
    """

    row: int
    event_id: str
    stored: dict[str, Any]

    @property
    def fields(self) -> list[str]:
        return list(self.stored)

    def message(self) -> str:
        """One line naming the id and the differing fields (values are left to the caller)."""
        return (
            f"event_id {self.event_id!r} is already stored with different content "
            f"({', '.join(self.fields)}); use a new event_id for a new event"
        )


class EventConflictError(ValueError):
    """Events were refused because their ids are stored with other content; nothing was written."""

    def __init__(self, conflicts: Sequence[EventConflict]) -> None:
        self.conflicts = list(conflicts)
        noun = "event reuses" if len(self.conflicts) == 1 else "events reuse"
        super().__init__(f"{len(self.conflicts)} {noun} a stored event_id with different content")


def describe_conflicts(
    connection: Connection, events: pd.DataFrame, rows: Sequence[int]
) -> list[EventConflict]:
    """The conflict of each of ``rows`` (positions in ``events``) against the stored version.

    Rows that turn out identical (e.g. read back after a concurrent writer stored the same
    event) are left out.
    """
    ids = [str(events["event_id"].iat[row]) for row in rows]
    stored = {
        record["event_id"]: record
        for chunk in _chunks(sorted(set(ids)), READ_CHUNK)
        for record in read_frame(
            connection, events_table, EVENT_FIELDS, events_table.c.event_id.in_(chunk)
        ).to_dict("records")
    }
    conflicts = []
    for row, event_id in zip(rows, ids, strict=True):
        found = stored.get(event_id)
        if found is None:
            continue
        incoming = events.iloc[row].to_dict()
        fields = differing_fields(incoming, found, EVENT_CONTENT)
        if fields:
            conflicts.append(EventConflict(int(row), event_id, {name: found[name] for name in fields}))
    return conflicts


def _chunks(items: list[str], size: int) -> list[list[str]]:
    iterator = iter(items)
    return [chunk for chunk in iter(lambda: list(islice(iterator, size)), [])]
