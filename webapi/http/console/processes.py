"""Every serving process and what it serves, for the console's pages (``data.serving_processes``).

A page is answered by one process, but an activation or a rule change reaches the others only
within their poll interval: a page that says what "this process" serves tells one worker's
truth. These helpers read every process's report (after bringing this process's own up to date)
and say in one sentence how many serve what is active.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import current_app

from data.serving_processes import list_processes
from webapi.http.context import engine, serving_state
from webapi.http.process_heartbeat import heartbeat_of, silent
from webapi.services.model_store import utc_now

Row = Mapping[str, Any]


def serving_processes(serves_active: Callable[[Row], bool]) -> list[dict[str, Any]]:
    """Each reported process, this one marked, with ``on_active`` from ``serves_active`` and ``silent``."""
    serving_state().refresh()  # the poll that is due, so this process reports what it serves now
    heartbeat = heartbeat_of(current_app)
    heartbeat.beat(force=True)  # this process's row is current before the list is read
    with engine().connect() as connection:
        processes = list_processes(connection)
    now = utc_now()
    rows = []
    for process in processes:
        row: dict[str, Any] = {
            "name": f"{process.host} · pid {process.pid}",
            "this": process.process_id == heartbeat.process_id,
            "model_version": process.model_version,
            "rule_version": process.rule_version,
            "seen_at": process.seen_at,
            "silent": silent(process.seen_at, now, heartbeat.seconds),
            "problem": process.problem,
        }
        row["on_active"] = serves_active(row)
        rows.append(row)
    return rows


def model_served(row: Row) -> str:
    return str(row["model_version"]) if row["model_version"] else "no model"


def rules_served(row: Row) -> str:
    return "no rule set" if row["rule_version"] is None else f"rule set version {row['rule_version']}"


def serving_summary(processes: Sequence[Row], target: str, served: Callable[[Row], str] = model_served) -> str:
    """How many live processes serve ``target`` ("the active model B"), in one sentence."""
    live = [process for process in processes if not process["silent"]]
    if not live:
        return "No serving process has reported yet."
    on_active = sum(1 for process in live if process["on_active"])
    count = len(live)
    if count == 1:
        if on_active:
            return f"The 1 serving process serves {target}."
        return (
            f"The 1 serving process serves {served(live[0])}, not {target}; it swaps within its poll "
            "interval (reload this page to follow)."
        )
    if on_active == count:
        return f"All {count} serving processes serve {target}."
    return (
        f"{on_active} of {count} serving processes serve {target}; the others swap to it within their "
        "poll interval (reload this page to follow)."
    )
