"""Small hand-built contract frames for the profile tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from data.contract import ASSET_CLASS_OF_TYPE, EVENT_FIELDS, INVESTOR_FIELDS, PACKAGE_FIELDS, Field

NOW = pd.Timestamp("2025-01-01")

INVESTOR_DEFAULTS: dict[str, object] = {
    "name": "An Investor",
    "investor_type": "private_fund",
    "province": "Jiangsu",
    "registered_at": pd.Timestamp("2020-01-01"),
    "capital_cny": 500_000_000.0,
    "min_ticket_cny": np.nan,
    "max_ticket_cny": np.nan,
    "preferred_asset_types": None,
    "preferred_provinces": None,
    "risk_appetite": None,
    "licensed_amc": False,
}
PACKAGE_DEFAULTS: dict[str, object] = {
    "title": "A listing",
    "seller_type": "national_amc",
    "asset_class": "credit",
    "asset_type": "corporate_loan",
    "province": "Jiangsu",
    "city": None,
    "principal_cny": 50_000_000.0,
    "claim_total_cny": 60_000_000.0,
    "appraised_value_cny": 40_000_000.0,
    "reserve_price_cny": 20_000_000.0,
    "loan_count": 5,
    "collateral": "secured",
    "litigation_status": "none",
    "dd_completeness": 0.5,
    "listed_at": pd.Timestamp("2024-01-01"),
    "closes_at": pd.Timestamp("2024-02-01"),
    "status": "active",
    "description": None,
    "cross_border_eligible": False,
}
_event_ids = itertools.count()


def investor(investor_id: str, **fields: object) -> dict[str, object]:
    """One investor row: contract defaults overridden by ``fields``."""
    return {"investor_id": investor_id, **INVESTOR_DEFAULTS, **fields}


def package(package_id: str, **fields: object) -> dict[str, object]:
    """One package row; ``asset_type`` implies its class unless the class is given."""
    row = {"package_id": package_id, **PACKAGE_DEFAULTS, **fields}
    if "asset_class" not in fields:
        row["asset_class"] = ASSET_CLASS_OF_TYPE[str(row["asset_type"])]
    return row


def event(
    investor_id: str,
    package_id: str,
    event_type: str,
    days_ago: float = 1.0,
    amount: float | None = None,
    dwell: float | None = None,
) -> dict[str, object]:
    """One event ``days_ago`` days before ``NOW`` (negative: after it)."""
    if amount is None and event_type in ("bid", "win"):
        amount = 25_000_000.0
    return {
        "event_id": f"e{next(_event_ids)}",
        "investor_id": investor_id,
        "package_id": package_id,
        "event_type": event_type,
        "occurred_at": NOW - pd.Timedelta(days=days_ago),
        "amount_cny": np.nan if amount is None else float(amount),
        "dwell_seconds": np.nan if dwell is None else float(dwell),
        "request_id": None,
    }


def repeat(
    n: int, investor_id: str, package_ids: Iterable[str], event_type: str, **kwargs: object
) -> list[dict[str, object]]:
    """``n`` events of one type, cycling over the given packages."""
    cycle = itertools.cycle(package_ids)
    return [event(investor_id, next(cycle), event_type, **kwargs) for _ in range(n)]  # type: ignore[arg-type]


def frame(rows: Iterable[Mapping[str, object]], fields: tuple[Field, ...]) -> pd.DataFrame:
    """A contract frame with exactly the contract's columns, typed as the readers type them."""
    columns = [f.name for f in fields]
    result = pd.DataFrame(list(rows), columns=columns)
    for f in fields:
        if f.kind in ("timestamp", "date"):
            result[f.name] = pd.to_datetime(result[f.name]).astype("datetime64[us]")
        elif f.kind == "decimal":
            result[f.name] = result[f.name].astype(np.float64)
        elif f.kind == "bool":
            result[f.name] = result[f.name].fillna(False).astype(bool)
    return result


def market(
    investors: Iterable[Mapping[str, object]],
    packages: Iterable[Mapping[str, object]],
    events: Iterable[Mapping[str, object]] = (),
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three contract frames."""
    return frame(investors, INVESTOR_FIELDS), frame(packages, PACKAGE_FIELDS), frame(events, EVENT_FIELDS)


# A small catalogue: one package of each kind the tests act on.
CATALOGUE = [
    package("flat", asset_type="residential", seller_type="court", reserve_price_cny=1_500_000.0,
            principal_cny=2_000_000.0, appraised_value_cny=2_200_000.0, province="Shanghai"),
    package("flat2", asset_type="residential", seller_type="court", reserve_price_cny=1_200_000.0,
            principal_cny=1_800_000.0, appraised_value_cny=np.nan, province="Zhejiang"),
    package("land", asset_type="land", seller_type="enterprise", reserve_price_cny=80_000_000.0,
            principal_cny=100_000_000.0, appraised_value_cny=np.nan, province="Gansu"),
    package("land2", asset_type="land", seller_type="enterprise", reserve_price_cny=60_000_000.0,
            principal_cny=90_000_000.0, province="Ningxia"),
    package("corp", asset_type="corporate_loan", seller_type="bank", loan_count=40,
            collateral="unsecured", litigation_status="bankruptcy", reserve_price_cny=3_000_000_000.0,
            principal_cny=9_000_000_000.0, province="Heilongjiang",
            listed_at=pd.Timestamp("2024-01-01"), closes_at=pd.Timestamp("2024-05-01")),
    package("corp2", asset_type="corporate_loan", seller_type="bank", loan_count=25,
            collateral="unsecured", litigation_status="in_litigation", reserve_price_cny=2_000_000_000.0,
            principal_cny=6_000_000_000.0, province="Jilin",
            listed_at=pd.Timestamp("2024-01-01"), closes_at=pd.Timestamp("2024-05-01")),
    package("car", asset_type="vehicles", asset_class="other", seller_type="court",
            reserve_price_cny=150_000.0, principal_cny=200_000.0, province="Shanghai",
            listed_at=pd.Timestamp("2024-01-01"), closes_at=pd.Timestamp("2024-01-05")),
    package("full_dd", dd_completeness=0.95, appraised_value_cny=30_000_000.0),
    package("full_dd2", dd_completeness=0.9, appraised_value_cny=30_000_000.0),
    *[package(f"thin_dd{i}", dd_completeness=0.2, appraised_value_cny=np.nan) for i in range(8)],
]  # fmt: skip
