"""What every serving process serves, as each one last reported it.

Each serving process (a gunicorn worker, a development server) keeps one row current: the model
and rule-set versions it serves, why a model failed to load if one did, and when it last
reported. After an activation the workers swap one by one, within their poll interval; this
table is how the console shows that truthfully instead of speaking for the process that
happened to answer. A process that stops cleanly deletes its row; one that was killed leaves a
row whose ``seen_at`` stops moving, and rows silent for a day are removed by the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, update

from data.schema import serving_processes_table

#: A row not refreshed for this long belongs to a process that is gone; it is deleted.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class ServingProcess:
    """One process's report."""

    process_id: str
    host: str
    pid: int
    started_at: datetime
    seen_at: datetime
    model_version: str | None
    rule_version: int | None
    problem: str | None = None


def report_process(connection: Connection, process: ServingProcess) -> None:
    """Insert or refresh ``process``'s row, and forget processes silent for ``FORGET_AFTER``."""
    table = serving_processes_table
    values = {
        "host": process.host,
        "pid": process.pid,
        "started_at": process.started_at,
        "seen_at": process.seen_at,
        "model_version": process.model_version,
        "rule_version": process.rule_version,
        "problem": process.problem,
    }
    mine = table.c.process_id == process.process_id
    updated = connection.execute(update(table).where(mine).values(**values))
    if not updated.rowcount:
        connection.execute(table.insert().values(process_id=process.process_id, **values))
    connection.execute(delete(table).where(table.c.seen_at < process.seen_at - FORGET_AFTER))


def forget_process(connection: Connection, process_id: str) -> None:
    """A process that stops removes its row."""
    table = serving_processes_table
    connection.execute(delete(table).where(table.c.process_id == process_id))


def list_processes(connection: Connection) -> list[ServingProcess]:
    """Every reported process, by host and start time."""
    table = serving_processes_table
    rows = connection.execute(select(table).order_by(table.c.host, table.c.started_at, table.c.pid))
    return [ServingProcess(**row._mapping) for row in rows]
