"""Short descriptions of listings for people to read: id, title, status and dates.

Pages that name listings (a preview's diff, the exposure report) show a title beside each id,
and the exposure report needs the listings that are live now. Both are small column reads, so
they are done here rather than by loading the whole market frame.

Titles and descriptions are returned as stored: they may quote debtors' personal data, and
masking them is the job of whatever shows them (``data.masking``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from data.liveness import live_clause
from data.schema import packages_table

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


_COLUMNS = (
    packages_table.c.package_id,
    packages_table.c.title,
    packages_table.c.description,
    packages_table.c.status,
    packages_table.c.seller_id,
    packages_table.c.listed_at,
    packages_table.c.closes_at,
)


def package_summaries(connection: Connection, package_ids: Collection[str]) -> dict[str, PackageSummary]:
    """The summaries of the listings among ``package_ids`` that are stored (unknown ids are left out)."""
    ids = sorted(set(package_ids))
    found: dict[str, PackageSummary] = {}
    for start in range(0, len(ids), CHUNK):
        query = select(*_COLUMNS).where(packages_table.c.package_id.in_(ids[start : start + CHUNK]))
        for row in connection.execute(query):
            found[row.package_id] = PackageSummary(*row)
    return found


def live_packages(connection: Connection, now: datetime) -> list[PackageSummary]:
    """Listings live at ``now``: a live status, listed by then and not yet closed; by id.

    This is the market's own definition (``data.liveness``); a rule set may hide more of
    them (hours before close), which serving applies.
    """
    table = packages_table
    query = select(*_COLUMNS).where(live_clause(table, now)).order_by(table.c.package_id)
    return [PackageSummary(*row) for row in connection.execute(query)]
