"""The market data contract: vocabularies, column specifications and market rules.

Everything that reads or writes market data (CSV import, the store, the generator, the
evaluations) takes its vocabulary from here, so the contract lives in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

INVESTOR_TYPES: tuple[str, ...] = (
    "national_amc",
    "local_amc",
    "bank",
    "private_fund",
    "industrial_capital",
    "foreign_institution",
    "individual",
)
AMC_TYPES: frozenset[str] = frozenset({"national_amc", "local_amc"})

SELLER_TYPES: tuple[str, ...] = ("bank", "national_amc", "local_amc", "court", "trust", "enterprise")

ASSET_TYPES_BY_CLASS: dict[str, tuple[str, ...]] = {
    "credit": ("consumer_loan", "sme_loan", "corporate_loan"),
    "real_estate": ("residential", "commercial_property", "industrial_property", "land"),
    "equity": ("equity_stake", "trust_beneficiary_right"),
    "other": ("receivables", "equipment", "vehicles"),
}
ASSET_CLASSES: tuple[str, ...] = tuple(ASSET_TYPES_BY_CLASS)
ASSET_TYPES: tuple[str, ...] = tuple(t for types in ASSET_TYPES_BY_CLASS.values() for t in types)
ASSET_CLASS_OF_TYPE: dict[str, str] = {
    asset_type: asset_class
    for asset_class, types in ASSET_TYPES_BY_CLASS.items()
    for asset_type in types
}

COLLATERAL_KINDS: tuple[str, ...] = ("secured", "guaranteed", "unsecured")
LITIGATION_STATUSES: tuple[str, ...] = ("none", "in_litigation", "judgment", "enforcement", "bankruptcy")
PACKAGE_STATUSES: tuple[str, ...] = ("upcoming", "active", "sold", "unsold", "withdrawn")
LIVE_STATUSES: frozenset[str] = frozenset({"upcoming", "active"})
RISK_APPETITES: tuple[str, ...] = ("conservative", "balanced", "aggressive")
EVENT_TYPES: tuple[str, ...] = ("impression", "view", "favorite", "dd_request", "bid", "win", "dismiss")
AMOUNT_REQUIRED_EVENTS: frozenset[str] = frozenset({"bid", "win"})

PROVINCES: tuple[str, ...] = (
    "Beijing", "Tianjin", "Hebei", "Shanxi", "InnerMongolia", "Liaoning", "Jilin", "Heilongjiang",
    "Shanghai", "Jiangsu", "Zhejiang", "Anhui", "Fujian", "Jiangxi", "Shandong", "Henan", "Hubei",
    "Hunan", "Guangdong", "Guangxi", "Hainan", "Chongqing", "Sichuan", "Guizhou", "Yunnan", "Tibet",
    "Shaanxi", "Gansu", "Qinghai", "Ningxia", "Xinjiang",
)  # fmt: skip

# Regions as the market reads them: east-coast provinces recover most and fastest, the
# north-east and north-west least and slowest.
REGION_OF_PROVINCE: dict[str, str] = {
    **dict.fromkeys(("Jiangsu", "Zhejiang", "Shanghai", "Guangdong", "Shandong", "Fujian"), "east_coast"),
    **dict.fromkeys(("Beijing", "Tianjin", "Hebei", "Hainan"), "north_coast"),
    **dict.fromkeys(("Shanxi", "Anhui", "Jiangxi", "Henan", "Hubei", "Hunan"), "central"),
    **dict.fromkeys(("Chongqing", "Sichuan", "Guizhou", "Yunnan", "Guangxi", "Tibet"), "south_west"),
    **dict.fromkeys(("Liaoning", "Jilin", "Heilongjiang"), "north_east"),
    **dict.fromkeys(("InnerMongolia", "Shaanxi", "Gansu", "Qinghai", "Ningxia", "Xinjiang"), "north_west"),
}
REGIONS: tuple[str, ...] = tuple(dict.fromkeys(REGION_OF_PROVINCE.values()))

# A bank's batch of this many non-performing loans or more may only go to a licensed AMC.
BANK_BATCH_MIN_LOANS = 10


def requires_amc_licence(seller_type: str, asset_class: str, loan_count: int) -> bool:
    """Whether a package is a bank NPL batch that only licensed AMCs may buy."""
    return seller_type == "bank" and asset_class == "credit" and loan_count >= BANK_BATCH_MIN_LOANS


# Ranges every stored value keeps to, so one typing mistake or hostile request cannot store a
# value that the store's types, the engine's date arithmetic or the models cannot hold (a year 1
# timestamp with an offset becomes year 0 in UTC, and year 9999 becomes year 10000).
#: Dates and timestamps must fall in these calendar years of the market's time zone, once any
#: offset they were written with is applied.
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
#: Every amount in CNY is below this ceiling (10^15, a thousand times the largest bank balance sheet).
AMOUNT_CEILING_CNY = 1e15
#: A view lasts at most a day.
MAX_DWELL_SECONDS = 86_400
#: The most underlying loans one package can bundle (also what a 32-bit store column holds).
MAX_LOAN_COUNT = 10_000_000


FieldKind = Literal["string", "enum", "decimal", "int", "bool", "date", "timestamp", "list"]


@dataclass(frozen=True)
class Field:
    """One CSV column of the contract and the checks its values must pass."""

    name: str
    kind: FieldKind
    required: bool = True
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    minimum_exclusive: bool = False
    maximum: float | None = None
    unique: bool = False
    default: str | None = None


INVESTOR_FIELDS: tuple[Field, ...] = (
    Field("investor_id", "string", unique=True),
    Field("name", "string"),
    Field("investor_type", "enum", choices=INVESTOR_TYPES),
    Field("province", "enum", choices=PROVINCES),
    Field("registered_at", "date"),
    Field("capital_cny", "decimal", minimum=0, maximum=AMOUNT_CEILING_CNY),
    Field("min_ticket_cny", "decimal", required=False, minimum=0, maximum=AMOUNT_CEILING_CNY),
    Field("max_ticket_cny", "decimal", required=False, minimum=0, maximum=AMOUNT_CEILING_CNY),
    Field("preferred_asset_types", "list", required=False, choices=ASSET_TYPES),
    Field("preferred_provinces", "list", required=False, choices=PROVINCES),
    Field("risk_appetite", "enum", required=False, choices=RISK_APPETITES),
    Field("licensed_amc", "bool"),
)

PACKAGE_FIELDS: tuple[Field, ...] = (
    Field("package_id", "string", unique=True),
    Field("title", "string"),
    Field("seller_type", "enum", choices=SELLER_TYPES),
    Field("asset_class", "enum", choices=ASSET_CLASSES),
    Field("asset_type", "enum", choices=ASSET_TYPES),
    Field("province", "enum", choices=PROVINCES),
    Field("city", "string", required=False),
    Field("principal_cny", "decimal", minimum=0, minimum_exclusive=True, maximum=AMOUNT_CEILING_CNY),
    Field("claim_total_cny", "decimal", required=False, minimum=0, maximum=AMOUNT_CEILING_CNY),
    Field("appraised_value_cny", "decimal", required=False, minimum=0, maximum=AMOUNT_CEILING_CNY),
    Field("reserve_price_cny", "decimal", minimum=0, minimum_exclusive=True, maximum=AMOUNT_CEILING_CNY),
    Field("loan_count", "int", minimum=1, maximum=MAX_LOAN_COUNT),
    Field("collateral", "enum", choices=COLLATERAL_KINDS),
    Field("litigation_status", "enum", choices=LITIGATION_STATUSES),
    Field("dd_completeness", "decimal", minimum=0, maximum=1),
    Field("listed_at", "timestamp"),
    Field("closes_at", "timestamp"),
    Field("status", "enum", choices=PACKAGE_STATUSES),
    Field("description", "string", required=False),
    Field("cross_border_eligible", "bool", required=False, default="false"),
    Field("seller_id", "string", required=False),
)

EVENT_FIELDS: tuple[Field, ...] = (
    Field("event_id", "string", required=False, unique=True),
    Field("investor_id", "string"),
    Field("package_id", "string"),
    Field("event_type", "enum", choices=EVENT_TYPES),
    Field("occurred_at", "timestamp"),
    Field(
        "amount_cny", "decimal", required=False, minimum=0, minimum_exclusive=True, maximum=AMOUNT_CEILING_CNY
    ),
    Field("dwell_seconds", "decimal", required=False, minimum=0, maximum=MAX_DWELL_SECONDS),
    Field("request_id", "string", required=False),
)

MARKET_FILES: dict[str, tuple[Field, ...]] = {
    "investors.csv": INVESTOR_FIELDS,
    "packages.csv": PACKAGE_FIELDS,
    "events.csv": EVENT_FIELDS,
}

# Naive timestamps in market files are local time in the market's time zone.
MARKET_TIMEZONE = "Asia/Shanghai"
LIST_SEPARATOR = ";"
