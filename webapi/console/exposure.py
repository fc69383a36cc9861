"""The exposure page: each live listing's reach against the floor, worst first, and who got it.

What counts as reaching an investor, and the two sources (served lists, the batch push), are
defined in ``webapi.console.exposure_report``; the floor is the active rule set's.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, render_template, request

from data.package_summaries import live_packages, package_summaries
from matching.rule_versions import active_rules
from webapi.api.context import engine, serving_state
from webapi.console.blueprint import bp
from webapi.console.exposure_report import (
    PUSH,
    PUSH_FILE,
    SERVED,
    SOURCES,
    Exposures,
    exposure_report,
    push_exposures,
    served_exposures,
)

DAYS = (1, 1, 90)  # default, low, high
MAX_ROWS = 500


def _options() -> tuple[str, int]:
    source = request.args.get("source", SERVED)
    if source not in SOURCES:
        source = SERVED
    default, low, high = DAYS
    try:
        days = int(request.args.get("days", default))
    except ValueError:
        days = default
    return source, min(max(days, low), high)


def push_file() -> Path:
    """Where the batch push is read from: ``PUSH_FILE``, else ``<instance>/push.json``."""
    configured = current_app.config.get("PUSH_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / PUSH_FILE


def _exposures(source: str, days: int) -> Exposures:
    if source == PUSH:
        return push_exposures(push_file())
    with engine().connect() as connection:
        return served_exposures(connection, serving_state().clock(), days)


@bp.get("/exposure")
def exposure_page() -> str:
    source, days = _options()
    only_below = request.args.get("below") == "on"
    now = serving_state().clock()
    with engine().connect() as connection:
        rule_version, rules = active_rules(connection)
        live = live_packages(connection, now)
    exposures = _exposures(source, days)
    report = exposure_report(live, exposures, rules.exposure.floor_investors, rules.exposure.floor_top_k)
    rows = report.below if only_below else report.rows
    return render_template(
        "console/exposure.html",
        report=report,
        rows=rows[:MAX_ROWS],
        hidden=max(0, len(rows) - MAX_ROWS),
        exposures=exposures,
        source=source,
        days=days,
        only_below=only_below,
        rule_version=rule_version,
        now=now,
    )


@bp.get("/exposure/<package_id>")
def package_exposure(package_id: str) -> str:
    """Who got one listing, best rank first."""
    source, days = _options()
    with engine().connect() as connection:
        rule_version, rules = active_rules(connection)
        package = package_summaries(connection, [package_id]).get(package_id)
    if package is None:
        abort(404)
    exposures = _exposures(source, days)
    deliveries = exposures.of(package_id)
    top_k = rules.exposure.floor_top_k
    return render_template(
        "console/exposure_package.html",
        package=package,
        deliveries=deliveries,
        in_top=sum(d.rank <= top_k for d in deliveries),
        floor_investors=rules.exposure.floor_investors,
        floor_top_k=top_k,
        exposures=exposures,
        source=source,
        days=days,
        rule_version=rule_version,
    )
