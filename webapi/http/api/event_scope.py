"""What an investor key may write into the shared event log, and how a conflict is answered.

Event ids are one idempotency namespace for the whole market, so an id an investor key chose
could collide with another investor's, or squat one the platform will use later. An investor
key's ``event_id`` is therefore stored prefixed with its investor: ``INV000001/e-1``. The
prefix ends at the last ``/``, and ids an investor key sends may not contain one, so two
investors' stored ids can never be equal. Ids derived from content (no ``event_id`` sent) hash
the investor id already and are left as they are.

A ``request_id`` attributes feedback to the list it came from; an investor key may quote only
a list that served that investor (``data.served_lists.served_investor``), so it cannot pour
its actions into another investor's attribution.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection

from data.contract import EVENT_FIELDS
from data.event_conflicts import EventConflict
from data.schema import ID_LENGTH
from data.served_lists import get_served_lists, served_investor
from webapi.http.api.problems import ProblemError
from webapi.http.api.records import record_json

#: Between the investor id and the investor's own event id in a stored id.
SEPARATOR = "/"


def scoped_event_id(investor_id: str, event_id: str) -> str:
    """The stored id of an event id an investor key sent."""
    return f"{investor_id}{SEPARATOR}{event_id}"


def scope_investor_event_ids(items: list[Any], investor_id: str, batch: bool) -> list[Any]:
    """Copies of ``items`` with every sent ``event_id`` prefixed by ``investor_id``; 422 if one cannot be.

    Non-string or empty ids are left for the contract's validation to name.
    """
    errors, scoped = [], []
    room = ID_LENGTH - len(investor_id) - len(SEPARATOR)
    for index, item in enumerate(items):
        event_id = item.get("event_id") if isinstance(item, dict) else None
        if not isinstance(event_id, str) or not event_id.strip():
            scoped.append(item)
            continue
        event_id = event_id.strip()
        path = f"/events/{index}/event_id" if batch else "/event_id"
        if SEPARATOR in event_id:
            message = f"must not contain {SEPARATOR!r} when sent with an investor key"
            errors.append(_error(index, path, batch, message))
        elif len(event_id) > room:
            message = (
                f"must be at most {room} characters long with this investor key"
                f" (stored as {scoped_event_id(investor_id, '<event_id>')!r})"
            )
            errors.append(_error(index, path, batch, message))
        scoped.append({**item, "event_id": scoped_event_id(investor_id, event_id)})
    if errors:
        raise ProblemError(
            422, "the request body was refused: event ids this key cannot store", errors=errors
        )
    return scoped


def refuse_foreign_request_ids(
    connection: Connection, events: pd.DataFrame, investor_id: str, batch: bool
) -> None:
    """422 when an event quotes a stored list that did not serve ``investor_id``.

    A ``request_id`` not stored (yet: another process writes its served lists within
    ``SERVED_LISTS_FLUSH_SECONDS``) is accepted; attribution joins a recommendations list
    only to its own investor's events in any case.
    """
    quoted = events["request_id"].dropna()
    if quoted.empty:
        return
    served = get_served_lists(connection, set(quoted))
    errors = []
    for row, request_id in quoted.items():
        found = served.get(request_id)
        if found is not None and not served_investor(found, investor_id):
            index = int(events.attrs["lines"][row]) - 1 if "lines" in events.attrs else int(row)
            path = f"/events/{index}/request_id" if batch else "/request_id"
            message = f"request {request_id!r} did not serve investor {investor_id!r}; leave request_id out"
            errors.append(_error(index, path, batch, message, "request_id"))
    if errors:
        raise ProblemError(
            422, "the request body was refused: request ids of lists served to someone else", errors=errors
        )


def conflict_problem(
    conflicts: list[EventConflict], lines: Any, batch: bool, show_stored: bool
) -> ProblemError:
    """409 naming every event whose id is stored with other content, and the fields that differ.

    ``show_stored`` adds the stored values (for platform keys; an investor key learns only
    which fields differ, never another writer's data).
    """
    errors = []
    for conflict in conflicts:
        index = int(lines[conflict.row]) - 1 if lines is not None else conflict.row
        path = f"/events/{index}/event_id" if batch else "/event_id"
        entry = _error(index, path, batch, conflict.message())
        entry["fields"] = conflict.fields
        if show_stored:
            stored = record_json(conflict.stored, EVENT_FIELDS)
            entry["stored"] = {name: stored[name] for name in conflict.fields}
        errors.append(entry)
    noun = "event reuses" if len(errors) == 1 else "events reuse"
    return ProblemError(
        409,
        f"{len(errors)} {noun} a stored event_id with different content; nothing was stored",
        "event-id-conflict",
        errors,
    )


def _error(index: int, path: str, batch: bool, message: str, field: str = "event_id") -> dict[str, Any]:
    entry: dict[str, Any] = {"field": field, "path": path, "message": message}
    if batch:
        entry["index"] = index
    return entry
