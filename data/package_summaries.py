"""Short descriptions of listings for people to read: id, title, status and dates.

Pages that name listings (a preview's diff, the exposure report) show a title beside each id,
and the exposure report needs the listings that are live now. Both are small column reads, so
they are done here rather than by loading the whole market frame.

Titles and descriptions are returned as stored: they may quote debtors' personal data, and
masking them is the job of whatever shows them (``data.masking``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Row, select

from data.liveness import live_clause
from data.market_frames import instant_text, stored_instants
from data.schema import packages_table

logger = logging.getLogger(__name__)

#: Ids per ``IN (...)`` query: well under every backend's parameter limit.
CHUNK = 500


@dataclass(frozen=True)
class PackageSummary:
    """What a page shows about one listing."""

    package_id: str
    title: str
    description: str | None
    status: str
    seller_id: str | None
    listed_at: datetime
    closes_at: datetime


def _columns(connection: Connection) -> tuple[Any, ...]:
    # Instants as text: a listing stored with an impossible date must not fail the whole page.
    postgres = connection.dialect.name == "postgresql"
    table = packages_table
    return (
        table.c.package_id,
        table.c.title,
        table.c.description,
        table.c.status,
        table.c.seller_id,
        instant_text(table.c.listed_at, postgres),
        instant_text(table.c.closes_at, postgres),
    )


def _summaries(rows: list[Row[Any]]) -> list[PackageSummary]:
    """Summaries of ``rows``, leaving out (and logging) listings whose dates cannot be read."""
    if not rows:
        return []
    listed = stored_instants([row[5] for row in rows])
    closes = stored_instants([row[6] for row in rows])
    summaries = []
    for row, start, end in zip(rows, listed, closes, strict=True):
        if np.isnat(start) or np.isnat(end):
            logger.warning("left out listing %s: its listed_at or closes_at breaks the data contract", row[0])
            continue
        listed_at, closes_at = pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime()
        summaries.append(PackageSummary(*row[:5], listed_at, closes_at))
    return summaries


def package_summaries(connection: Connection, package_ids: Collection[str]) -> dict[str, PackageSummary]:
    """The summaries of the listings among ``package_ids`` that are stored (unknown ids are left out)."""
    ids = sorted(set(package_ids))
    found: dict[str, PackageSummary] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        query = select(*_columns(connection)).where(packages_table.c.package_id.in_(chunk))
        for summary in _summaries(list(connection.execute(query))):
            found[summary.package_id] = summary
    return found


def live_packages(connection: Connection, now: datetime) -> list[PackageSummary]:
    """Listings live at ``now``: a live status, listed by then and not yet closed; by id.

    This is the market's own definition (``data.liveness``); a rule set may hide more of
    them (hours before close), which serving applies.
    """
    table = packages_table
    query = select(*_columns(connection)).where(live_clause(table, now)).order_by(table.c.package_id)
    return _summaries(list(connection.execute(query)))
