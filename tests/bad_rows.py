"""Rows that break the data contract, written into a store with raw SQL, around every check.

The API and the importer refuse such values; these rows stand for what gets in anyway (a manual
fix, an older version's laxer checks). The store must go on serving, training and ranking with
them left out. On SQLite the instants are the text the store held after a year-1 timestamp was
accepted (year 0 in UTC) and after ``9999-12-31T23:59:59-14:00`` was (year 10000); PostgreSQL
holds its own equivalents.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

#: The ids of the rows written, by table; events of ``BAD_PACKAGE`` and ``BAD_INVESTOR`` break
#: nothing themselves but are left out with them.
BAD_INVESTOR = "INV-BAD-1900"
BAD_PACKAGE = "PKG-BAD-10000"
BAD_EVENTS = ("ev-bad-year-0", "ev-bad-year-10000", "ev-bad-amount", "ev-bad-dwell", "ev-bad-type")
ORPHAN_EVENTS = ("ev-on-bad-package", "ev-of-bad-investor")
GOOD_INVESTOR = "INV000001"
GOOD_PACKAGE = "PKG0000001"


def impossible_instants(dialect: str) -> tuple[str, str]:
    """A year-0 and a year-10000 instant as each backend can hold them."""
    if dialect == "postgresql":
        return "0001-01-01 00:00:00 BC", "10000-01-01 13:59:59"
    return "0000-12-31 15:54:17.000000", "10000-01-01 13:59:59.000000"


def insert_bad_rows(connection: Connection) -> None:
    """Write one investor, one package and seven events that a contract read must leave out."""
    year_0, year_10000 = impossible_instants(connection.dialect.name)
    # PostgreSQL takes text for a timestamp only through a cast; SQLite stores the text as it is
    instant = "CAST({} AS timestamp)" if connection.dialect.name == "postgresql" else "{}"
    connection.execute(
        text(
            "INSERT INTO investors (investor_id, name, investor_type, province, registered_at, capital_cny,"
            " licensed_amc) VALUES (:id, 'Old Timer', 'bank', 'Beijing', '1900-01-01 00:00:00', 1000000, false)"
        ),
        {"id": BAD_INVESTOR},
    )
    connection.execute(
        text(
            "INSERT INTO packages (package_id, title, seller_type, asset_class, asset_type, province,"
            " principal_cny, reserve_price_cny, loan_count, collateral, litigation_status, dd_completeness,"
            " listed_at, closes_at, status, cross_border_eligible) VALUES (:id, 'Far future', 'court',"
            " 'real_estate', 'residential', 'Jiangsu', 1000000, 900000, 1, 'secured', 'none', 0.5,"
            f" '2026-06-01 00:00:00', {instant.format(':closes')}, 'active', false)"
        ),
        {"id": BAD_PACKAGE, "closes": year_10000},
    )
    rows = [
        ("ev-bad-year-0", GOOD_INVESTOR, GOOD_PACKAGE, "view", year_0, None, None),
        ("ev-bad-year-10000", GOOD_INVESTOR, GOOD_PACKAGE, "view", year_10000, None, None),
        ("ev-bad-amount", GOOD_INVESTOR, GOOD_PACKAGE, "bid", "2026-06-10 00:00:00", 1e300, None),
        ("ev-bad-dwell", GOOD_INVESTOR, GOOD_PACKAGE, "view", "2026-06-10 00:00:00", None, -5.0),
        ("ev-bad-type", GOOD_INVESTOR, GOOD_PACKAGE, "hack", "2026-06-10 00:00:00", None, None),
        ("ev-on-bad-package", GOOD_INVESTOR, BAD_PACKAGE, "view", "2026-06-10 00:00:00", None, 30.0),
        ("ev-of-bad-investor", BAD_INVESTOR, GOOD_PACKAGE, "view", "2026-06-10 00:00:00", None, 30.0),
    ]
    statement = text(
        "INSERT INTO events (event_id, investor_id, package_id, event_type, occurred_at, amount_cny,"
        f" dwell_seconds) VALUES (:event_id, :investor_id, :package_id, :event_type,"
        f" {instant.format(':occurred_at')}, :amount_cny, :dwell_seconds)"
    )
    names = ("event_id", "investor_id", "package_id", "event_type", "occurred_at", "amount_cny", "dwell_seconds")
    connection.execute(statement, [dict(zip(names, row, strict=True)) for row in rows])
