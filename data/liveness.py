"""The market's one definition of a live listing, in every form the layers need it.

A listing is live at ``now`` when its status is live (``data.contract.LIVE_STATUSES``), it
was listed by ``now`` (``listed_at <= now``) and it has not closed yet (``closes_at > now``).
The store's summary counts with :func:`live_clause`, the recommender indexes with
:func:`live_rows_mask`, matching's eligibility applies :func:`live` to its arrays and the API
answers "is this listing live?" with :func:`listing_live`: one rule, so every surface reports
the same live listings on the same database. A rule set may hide more of them (hours before
close), which matching applies on top.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Table, and_

from data.contract import LIVE_STATUSES


def live(status_live: object, listed: object, closes: object, now: object) -> np.ndarray:
    """Live as a boolean array: a live status, listed by ``now``, not yet closed.

    Works on arrays (epoch days, as matching holds them; ``now`` may be an array aligned with
    them) and on single instants alike.
    """
    listed_by_now = np.asarray(np.asarray(listed) <= now, dtype=bool)
    still_open = np.asarray(np.asarray(closes) > now, dtype=bool)
    return np.asarray(status_live, dtype=bool) & listed_by_now & still_open


def listing_live(status: str, listed_at: object, closes_at: object, now: object) -> bool:
    """:func:`live` for one stored listing (``status`` as the contract writes it)."""
    return bool(live(status in LIVE_STATUSES, listed_at, closes_at, now))


def live_rows_mask(packages: pd.DataFrame, now: datetime) -> np.ndarray:
    """:func:`live` over a packages frame of the contract: True per live row."""
    status_live = packages["status"].isin(LIVE_STATUSES).to_numpy()
    return live(status_live, packages["listed_at"].to_numpy(), packages["closes_at"].to_numpy(), now)


def live_packages(packages: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """The rows of a packages frame live at ``now``."""
    return packages[live_rows_mask(packages, now)]


def live_clause(table: Table, now: datetime) -> ColumnElement[Any]:
    """:func:`live` as a SQL condition on the stored packages table."""
    return and_(
        table.c.status.in_(sorted(LIVE_STATUSES)),
        table.c.listed_at <= now,
        table.c.closes_at > now,
    )
