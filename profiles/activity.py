"""Activity and recency: how much an investor does, and how long ago it last did something.

Impressions are things shown to the investor, not things it did, so they are counted but do
not make a day active or reset recency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.contract import EVENT_TYPES
from profiles.inputs import EventArrays

PASSIVE_EVENTS = ("impression",)


@dataclass(frozen=True)
class Activity:
    """Activity columns, one row per investor."""

    event_counts: np.ndarray  # investors x EVENT_TYPES, raw counts
    active_days: np.ndarray
    days_since_last_action: np.ndarray  # NaN for never


def activity(events: EventArrays, n_investors: int) -> Activity:
    """Event counts by type, distinct active days and days since the last action."""
    n_types = len(EVENT_TYPES)
    flat = events.investor.astype(np.int64) * n_types + events.type_code
    counts = np.bincount(flat, minlength=n_investors * n_types).reshape(n_investors, n_types)
    passive = np.isin(events.type_code, [EVENT_TYPES.index(t) for t in PASSIVE_EVENTS])
    acting = events.investor[~passive]
    days = events.day[~passive]
    first_day = int(days.min()) if len(days) else 0
    span = int(days.max()) - first_day + 1 if len(days) else 1
    day_keys = np.unique(acting.astype(np.int64) * span + (days - first_day))
    active_days = np.bincount(day_keys // span, minlength=n_investors)
    last_age = np.full(n_investors, np.inf)
    np.minimum.at(last_age, acting, events.age_days[~passive])
    return Activity(
        event_counts=counts,
        active_days=active_days,
        days_since_last_action=np.where(np.isinf(last_age), np.nan, last_age),
    )
