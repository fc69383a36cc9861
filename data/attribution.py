"""Attribution: which served list an investor's action came from, and how each version did.

Every recommendation response is recorded in ``served_lists`` under its ``request_id``, with
the model and rule-set versions that produced it and the items in served order. Feedback
events that carry the same ``request_id`` are joined to that list, which tells which versions
produced what the investor acted on and at which rank. Summed per version, that is an offline
report on real traffic: how many lists and items each version served, how often investors
acted on them, and how high the items they acted on were ranked.

``items`` is a JSON array in served order, of ids or of objects holding the id under ``id``,
``package_id`` or ``investor_id`` (and optionally their ``rank``). The acted item is the
event's package in a list of packages (an investor's recommendations) or its investor in a list
of investors (a package's buyers); an action on an item not in the list is off-list (no rank).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, or_, select

from data.schema import events_table, served_lists_table
from data.served_lists import RECOMMENDATIONS

# Actions that say the investor wanted the item; views are counted apart (a click-through rate).
POSITIVE_EVENTS: tuple[str, ...] = ("favorite", "dd_request", "bid", "win")
COUNTED_EVENTS: tuple[str, ...] = ("view", *POSITIVE_EVENTS, "dismiss")
ITEM_ID_KEYS = ("id", "package_id", "investor_id")
GROUP_COLUMNS = frozenset({"model_version", "rule_version", "kind"})
ATTRIBUTED_COLUMNS = (
    "event_row_id", "request_id", "investor_id", "package_id", "event_type", "occurred_at",
    "served_at", "kind", "subject_id", "model_version", "rule_version", "rank",
)


class UnknownGroupingError(ValueError):
    """A report grouped by something other than a served list's version columns."""

    def __init__(self, column: str) -> None:
        super().__init__(f"cannot group served lists by {column!r}: expected one of {sorted(GROUP_COLUMNS)}")


def served_items(items_json: str) -> list[tuple[str, int]]:
    """(id, 1-based rank) of a served list's items: an item's own ``rank``, else its position."""
    items = json.loads(items_json)
    if not isinstance(items, list):
        raise ValueError(f"served items must be a JSON array, got {type(items).__name__}")
    return [_item(item, position) for position, item in enumerate(items, start=1)]


def _item(item: Any, position: int) -> tuple[str, int]:
    if isinstance(item, str):
        return item, position
    if isinstance(item, dict):
        rank = item.get("rank")
        rank = rank if isinstance(rank, int) and not isinstance(rank, bool) and rank >= 1 else position
        for key in ITEM_ID_KEYS:
            if isinstance(item.get(key), str):
                return item[key], rank
    raise ValueError(f"a served item must be an id or an object with one of {ITEM_ID_KEYS}, got {item!r}")


def served_lists(
    connection: Connection, since: datetime | None = None, until: datetime | None = None
) -> pd.DataFrame:
    """Served lists in [since, until): request id, when, kind, subject, versions and item count."""
    table = served_lists_table
    query = select(
        table.c.request_id, table.c.served_at, table.c.kind, table.c.subject_id,
        table.c.model_version, table.c.rule_version, table.c["items"],
    )
    query = _window(query, table.c.served_at, since, until)
    frame = pd.DataFrame(
        connection.execute(query).fetchall(),
        columns=["request_id", "served_at", "kind", "subject_id", "model_version", "rule_version", "items"],
    )
    frame["items"] = frame["items"].map(served_items)
    frame["item_count"] = frame["items"].map(len).astype("int64")
    return frame


def attributed_events(
    connection: Connection, since: datetime | None = None, until: datetime | None = None
) -> pd.DataFrame:
    """Events joined with the served list named by their ``request_id`` (lists served in [since, until)).

    One row per event, with the list's versions and the 1-based rank of the acted item in it
    (NaN when the item is not in the list). Events without a ``request_id``, or whose request
    served no recorded list, are not attributed; nor are events quoting a recommendations list
    served to another investor (such feedback would pour into that investor's figures).
    """
    events, lists = events_table, served_lists_table
    query = select(
        events.c.id, events.c.request_id, events.c.investor_id, events.c.package_id, events.c.event_type,
        events.c.occurred_at, lists.c.served_at, lists.c.kind, lists.c.subject_id, lists.c.model_version,
        lists.c.rule_version, lists.c["items"],
    ).join(
        lists,
        and_(
            events.c.request_id == lists.c.request_id,
            # A recommendations list served one investor: another's events quoting it are not its traffic.
            or_(lists.c.kind != RECOMMENDATIONS, lists.c.subject_id == events.c.investor_id),
        ),
    )
    query = _window(query, lists.c.served_at, since, until).order_by(events.c.id)
    rows = connection.execute(query).fetchall()
    frame = pd.DataFrame(rows, columns=[*ATTRIBUTED_COLUMNS[:-1], "items"])
    positions: dict[str, dict[str, int]] = {}
    ranks = np.full(len(frame), np.nan)
    for row, (request_id, items, package_id, investor_id) in enumerate(
        zip(frame["request_id"], frame["items"], frame["package_id"], frame["investor_id"], strict=True)
    ):
        if request_id not in positions:
            positions[request_id] = {}
            for item, rank in served_items(items):
                positions[request_id].setdefault(item, rank)
        where = positions[request_id]
        rank = where.get(package_id) or where.get(investor_id)
        if rank is not None:
            ranks[row] = rank
    frame["rank"] = ranks
    return frame.drop(columns="items")[list(ATTRIBUTED_COLUMNS)]


def traffic_report(
    lists: pd.DataFrame, attributed: pd.DataFrame, by: Sequence[str] = ("model_version",)
) -> list[dict[str, Any]]:
    """Per version (or ``by`` columns): what was served, what investors did with it, at which ranks.

    ``impressions`` are items served; ``view_rate`` is viewed items per impression (a
    click-through rate); ``action_rate`` is positively acted items (favorite, due-diligence
    request, bid, win) per impression; ``list_action_rate`` is the share of lists with one;
    ``mean_reciprocal_rank`` averages 1/rank over positively acted items found in their list;
    ``list_mrr`` averages, over all lists, 1/rank of each list's best-ranked acted item (0 if none).
    """
    for column in by:
        if column not in GROUP_COLUMNS:
            raise UnknownGroupingError(column)
    keys = list(by)
    list_groups = _group_labels(lists, keys)
    event_groups = _group_labels(attributed, keys)
    report = []
    for label in sorted(set(list_groups), key=lambda values: [("" if v is None else str(v)) for v in values]):
        group_lists = lists[[group == label for group in list_groups]]
        acted = attributed[[group == label for group in event_groups]]
        acted = acted[acted["request_id"].isin(set(group_lists["request_id"]))]
        report.append({**dict(zip(keys, label, strict=True)), **_traffic(group_lists, acted)})
    return report


def _group_labels(frame: pd.DataFrame, keys: list[str]) -> list[tuple[Any, ...]]:
    """Each row's group as plain values (None for a missing version, ints for rule versions)."""
    columns = [frame[key].map(_plain).tolist() for key in keys]
    return list(zip(*columns, strict=True)) if columns else [() for _ in range(len(frame))]


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (int, np.integer, float, np.floating)):
        return int(value)
    return str(value)


def _traffic(lists: pd.DataFrame, acted: pd.DataFrame) -> dict[str, Any]:
    impressions = int(lists["item_count"].sum())
    counts = acted["event_type"].value_counts()
    positive = acted[acted["event_type"].isin(POSITIVE_EVENTS)]
    positive_pairs = positive.drop_duplicates(["request_id", "package_id", "investor_id"])
    ranked = positive_pairs.dropna(subset=["rank"])
    viewed = acted[acted["event_type"] == "view"].drop_duplicates(["request_id", "package_id", "investor_id"])
    best_rank = ranked.groupby("request_id")["rank"].min()
    return {
        "lists": len(lists),
        "impressions": impressions,
        "attributed_events": len(acted),
        "actions": {event_type: int(counts.get(event_type, 0)) for event_type in COUNTED_EVENTS},
        "acted_items": len(positive_pairs),
        "off_list_actions": int(positive_pairs["rank"].isna().sum()),
        "view_rate": _ratio(len(viewed), impressions),
        "action_rate": _ratio(len(positive_pairs), impressions),
        "list_action_rate": _ratio(positive_pairs["request_id"].nunique(), len(lists)),
        "mean_reciprocal_rank": float((1.0 / ranked["rank"]).mean()) if len(ranked) else None,
        "list_mrr": _ratio(float((1.0 / best_rank).sum()), len(lists)),
    }


def _ratio(part: float, whole: float) -> float | None:
    return float(part / whole) if whole else None


def _window(query: Any, column: Any, since: datetime | None, until: datetime | None) -> Any:
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query
