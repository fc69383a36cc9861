"""Time as the generator counts it: whole seconds since the epoch, naive Asia/Shanghai time.

Integer seconds keep the event simulation vectorised and exact; conversion to datetimes
happens only when frames are built.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from data.contract import MARKET_TIMEZONE

DAY = 86_400
HOUR = 3_600

# The market's default "now": a fixed instant, so that generation without an explicit end stays
# reproducible from one day to the next.
DEFAULT_END = datetime(2026, 6, 30)


def local_naive(moment: datetime) -> datetime:
    """``moment`` as naive market-local time (aware datetimes are converted first)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(MARKET_TIMEZONE)).replace(tzinfo=None)
    return moment


def to_seconds(moment: datetime) -> int:
    """Whole seconds since the epoch of a naive market-local datetime."""
    return int(np.datetime64(local_naive(moment).replace(microsecond=0), "s").astype(np.int64))


def as_datetimes(seconds: np.ndarray) -> pd.Series:
    """Seconds since the epoch as a pandas datetime series (second resolution, naive)."""
    return pd.Series(np.asarray(seconds, dtype=np.int64).astype("datetime64[s]"))
