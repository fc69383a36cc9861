"""Feedback in: one event or a batch, validated by the contract, stored once, folded in at once.

An event is acknowledged only after it is committed, so a 2xx means it is stored. Repeats are
recognised by ``event_id`` (or, without one, by the id derived from the event's content, as an
import does) and counted as duplicates instead of being stored twice, so a client that is unsure
whether a request went through simply sends it again. A repeat must be the same event: an id
stored with other content is a 409 conflict and the whole batch is refused (nothing stored), so
no event is ever dropped silently. An investor key's ids are scoped to its investor and its
``request_id``s must name lists that served it (:mod:`webapi.http.api.event_scope`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from flask import Blueprint, Response, current_app

from data.api_keys import INVESTOR, PLATFORM
from data.bulk_write import insert_new_events
from data.contract import EVENT_FIELDS
from data.event_conflicts import EventConflictError
from data.json_records import read_json_records, storable_id
from data.wording import count
from webapi.http.api.auth import current_caller, require, require_own_investor
from webapi.http.api.event_scope import conflict_problem, refuse_foreign_request_ids, scope_investor_event_ids
from webapi.http.api.params import json_body
from webapi.http.api.problems import ProblemError
from webapi.http.context import engine, fold_in_now, served_lists, serving_state
from webapi.services import metrics
from webapi.services.market_records import stored_market_ids

bp = Blueprint("events", __name__)

#: Events that change lists at once (the listing leaves the investor's list): folded in before
#: the response. Other events (impressions, views, bids...) reach the matcher with the next poll,
#: within POLL_SECONDS, so a high rate of impression write-backs costs no extra poll each.
AT_ONCE = ("dismiss", "win")
#: How far ahead of the server's clock an event may be dated (clients' clocks drift).
FUTURE_TOLERANCE = pd.Timedelta(minutes=10)


@bp.post("/v1/events")
@require(PLATFORM, INVESTOR)
def post_events() -> Response:
    """Store one event object, or ``{"events": [...]}``; 201 if any was new, 200 if all were repeats.

    409 if any event's id is stored with other content (then none is stored).
    """
    items, batch = _items(json_body())
    limit = int(current_app.config["MAX_EVENTS_PER_REQUEST"])
    if len(items) > limit:
        raise ProblemError(413, f"a batch holds at most {limit} events, got {len(items)}; split it")
    require_own_investor(
        [
            item["investor_id"].strip()
            for item in items
            if isinstance(item, dict) and isinstance(item.get("investor_id"), str)
        ]
    )
    caller = current_caller()
    own = caller.investor_id if caller.role == INVESTOR else None
    if own is not None:
        items = scope_investor_event_ids(items, own, batch)
    store = engine()
    investors, packages = stored_market_ids(
        store, _referenced(items, "investor_id"), _referenced(items, "package_id")
    )
    events = read_json_records(items, EVENT_FIELDS, "events" if batch else "", investors, packages)
    refuse_future_events(events, serving_state().clock(), batch)
    if own is not None and events["request_id"].notna().any():
        served_lists().flush()  # this process's own recent lists count too
        with store.connect() as connection:
            refuse_foreign_request_ids(connection, events, own, batch)
    try:
        with store.begin() as connection:
            accepted = insert_new_events(connection, events)
    except EventConflictError as error:
        raise conflict_problem(error.conflicts, events.attrs.get("lines"), batch, own is None) from None
    duplicates = len(items) - accepted
    metrics.events_ingested(accepted, duplicates)
    if accepted and events["event_type"].isin(AT_ONCE).any():
        fold_in_now("events")
    body = {"accepted": accepted, "duplicates": duplicates, "event_ids": events["event_id"].tolist()}
    response = current_app.json.response(body)
    response.status_code = 201 if accepted else 200
    return response


def refuse_future_events(events: pd.DataFrame, now: datetime, batch: bool) -> None:
    """422 for events that claim to happen after ``now`` plus :data:`FUTURE_TOLERANCE`.

    Serving moves its market clock forward to the newest event it folds in (so replays with a
    pinned clock advance), so one event dated years ahead would make every listing look closed
    to that worker: what has not happened yet is refused at the door.
    """
    latest = pd.Timestamp(now) + FUTURE_TOLERANCE
    ahead = np.flatnonzero((events["occurred_at"] > latest).to_numpy())
    if not ahead.size:
        return
    errors = [
        {
            "field": "occurred_at",
            "path": f"/events/{index}/occurred_at" if batch else "/occurred_at",
            "message": f"is after the server's clock ({pd.Timestamp(now).isoformat()} UTC) "
            f"by more than {int(FUTURE_TOLERANCE.total_seconds() // 60)} minutes",
        }
        for index in ahead.tolist()
    ]
    raise ProblemError(422, f"{count(len(errors), 'event')} dated in the future", errors=errors)


def _items(body: Any) -> tuple[list[Any], bool]:
    if isinstance(body, dict) and "events" in body:
        events = body["events"]
        if not isinstance(events, list) or not events:
            raise ProblemError(
                422,
                "events must be a non-empty array of event objects",
                errors=[{"field": "events", "path": "/events", "message": "must be a non-empty array"}],
            )
        extra = sorted(set(body) - {"events"})
        if extra:
            raise ProblemError(
                422,
                "a batch body holds only events",
                errors=[{"field": name, "path": f"/{name}", "message": "unknown field"} for name in extra],
            )
        return events, True
    if isinstance(body, dict):
        return [body], False
    raise ProblemError(
        422,
        'send one event object or {"events": [...]}',
        errors=[{"path": "/", "message": "must be an event object or a batch object"}],
    )


def _referenced(items: list[Any], field: str) -> set[str]:
    """The ids the items refer to (stripped, as the contract reads cells) that could be stored at all."""
    values = (item.get(field) for item in items if isinstance(item, dict))
    return {value.strip() for value in values if isinstance(value, str) and storable_id(value.strip())}
