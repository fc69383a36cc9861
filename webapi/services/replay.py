"""Replay served traffic through model versions: how high would each have ranked what investors acted on?

The traffic report (``data.attribution.traffic_report``) judges each version on the lists it
served itself, so versions that served at different times are compared on different traffic.
A replay compares them on the same traffic: every served list in which an investor positively
acted on an item (favorite, due-diligence request, bid, win) is re-ranked by each version's
scores, and the acted item's rank in that re-ranking gives the version's mean reciprocal rank on
exactly those lists and actions, beside the rank it had as served.

It re-orders the items that were shown, so it cannot credit a version for an item the served
list left out. Listings a version never saw get their content vector, as serving gives a new
listing; investors a version never saw (who joined after it was trained) are left out rather
than profiled from behaviour that may include the very actions being replayed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data.attribution import POSITIVE_EVENTS, attributed_events, served_lists
from data.contract import PACKAGE_FIELDS
from data.market_frames import read_frame
from data.model_registry import get_version
from data.schema import packages_table
from recommender.hybrid import HybridRecommender
from recommender.package_features import package_feature_rows
from webapi.services.model_store import load_verified


class UnknownReplayVersionError(LookupError):
    """A version to replay that is not registered."""

    def __init__(self, version: str) -> None:
        super().__init__(f"unknown model version {version!r}")


def replay_versions(
    engine: Engine, versions: list[str], since: Any = None, until: Any = None
) -> list[dict[str, Any]]:
    """Each version's mean reciprocal rank of acted items, re-ranking the same served lists."""
    with engine.connect() as connection:
        found = {name: get_version(connection, name) for name in versions}
        lists = served_lists(connection, since, until)
        acted = attributed_events(connection, since, until)
        pairs = acted[acted["event_type"].isin(POSITIVE_EVENTS) & acted["rank"].notna()]
        pairs = pairs.drop_duplicates(["request_id", "package_id", "investor_id"])
        lists = lists[lists["request_id"].isin(set(pairs["request_id"]))]
        shown = {item for items in lists["items"] for item, _ in items}
        referenced = sorted(shown | set(lists["subject_id"]))
        packages = read_frame(
            connection, packages_table, PACKAGE_FIELDS, packages_table.c.package_id.in_(referenced)
        ).set_index("package_id", drop=False)
    report = []
    for name, version in found.items():
        if version is None:
            raise UnknownReplayVersionError(name)
        model = load_verified(version, engine)
        _index_unseen_packages(model, packages)
        report.append({"version": version.version, **_replay(model, lists, pairs)})
    return report


def _index_unseen_packages(model: HybridRecommender, packages: pd.DataFrame) -> None:
    """Content vectors for listings the version never saw, so it can rank them as serving would."""
    unseen = [package for package in packages.index if package not in model.package_ids]
    if unseen:
        model.index_packages(unseen, package_feature_rows(packages.loc[unseen]))


def _replay(model: HybridRecommender, lists: pd.DataFrame, pairs: pd.DataFrame) -> dict[str, Any]:
    by_request = {request_id: group for request_id, group in pairs.groupby("request_id")}
    replayed, served, skipped = [], [], 0
    for row in lists.itertuples(index=False):
        items = [item for item, _ in row.items]
        scores = _scores(model, row.subject_id, items)
        if scores is None:
            skipped += 1
            continue
        position = {item: index for index, item in enumerate(items)}
        for pair in by_request[row.request_id].itertuples(index=False):
            acted = pair.package_id if pair.package_id in position else pair.investor_id
            replayed.append(1 + int((scores > scores[position[acted]]).sum()))
            served.append(int(pair.rank))
    return {
        "lists": len(lists) - skipped,
        "lists_skipped": skipped,
        "acted_items": len(replayed),
        "mean_reciprocal_rank": float(np.mean(1.0 / np.asarray(replayed))) if replayed else None,
        "served_mean_reciprocal_rank": float(np.mean(1.0 / np.asarray(served))) if served else None,
    }


def _scores(model: HybridRecommender, subject: str, items: list[str]) -> np.ndarray | None:
    """The version's score of each item for the list's subject; None if it cannot score them all."""
    if subject in model.investor_ids and all(item in model.package_ids for item in items):
        return model.score([subject], items)[0]
    if subject in model.package_ids and all(item in model.investor_ids for item in items):
        return model.score(items, [subject])[:, 0]
    return None
