"""A short account of what the store holds, for the CLI and the demo."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine, func, select

from data.liveness import live_clause
from data.schema import events_table, investors_table, packages_table


def market_summary_lines(engine: Engine, now: datetime | None = None) -> list[str]:
    """Counts of investors by type, packages by status (and how many are live), events by type."""
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    with engine.connect() as connection:
        investors = _counts(connection, investors_table.c.investor_type)
        packages = _counts(connection, packages_table.c.status)
        events = _counts(connection, events_table.c.event_type)
        live = connection.execute(
            select(func.count()).where(live_clause(packages_table, now))
        ).scalar_one()
    return [
        f"investors: {sum(investors.values())} ({_breakdown(investors)})",
        f"packages:  {sum(packages.values())} ({_breakdown(packages)}); {live} live now",
        f"events:    {sum(events.values())} ({_breakdown(events)})",
    ]


def _counts(connection, column) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rows = connection.execute(select(column, func.count()).group_by(column)).all()
    return {str(value): int(count) for value, count in rows}


def _breakdown(counts: dict[str, int]) -> str:
    if not counts:
        return "none"
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items(), key=lambda kv: -kv[1]))
