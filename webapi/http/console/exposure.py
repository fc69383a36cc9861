"""The exposure page: each live listing's reach against the floor, worst first, and who got it.

What counts as reaching an investor, and the two sources (served lists, the batch push), are
defined in ``webapi.services.exposure_report``; the floor is the active rule set's. The page
shows a chart of reach over all live listings, then the listings a page of ``PAGE_SIZE`` at a
time; each listing below the floor on the page says why (``matching.floor_shortfall``: the
market's or the rule set's eligibility, else the push's own reason or the served window).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import abort, current_app, render_template, request

from data.package_summaries import live_packages, package_summaries
from matching.errors import UnknownPackageError
from matching.floor_shortfall import eligibility_shortfall
from webapi.http.console.blueprint import bp
from webapi.http.console.exposure_chart import reach_chart
from webapi.http.context import engine, serving_state
from webapi.services.exposure_report import (
    PUSH,
    PUSH_FILE,
    SERVED,
    SOURCES,
    Exposures,
    PackageExposure,
    exposure_report,
    push_exposures,
    served_exposures,
)
from webapi.services.model_store import NoActiveModelError
from webapi.services.rule_versions import active_rules
from webapi.services.serving import ModelUnavailableError

DAYS = (1, 1, 90)  # default, low, high
PAGE_SIZE = 50


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
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(_page_number(), pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return render_template(
        "console/exposure.html",
        report=report,
        rows=shown,
        why=_why_below(shown, exposures, report.floor_investors, now),
        chart=reach_chart([row.in_top for row in report.rows], report.floor_investors, report.floor_top_k),
        page_number=page,
        page_count=pages,
        first=(page - 1) * PAGE_SIZE + 1,
        total=len(rows),
        exposures=exposures,
        source=source,
        days=days,
        only_below=only_below,
        rule_version=rule_version,
        now=now,
    )


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def _why_below(
    rows: list[PackageExposure], exposures: Exposures, floor: int, now: datetime
) -> dict[str, str]:
    """Why each listing on the page is below the floor: the rules first, then the source's reason."""
    below = [row.package.package_id for row in rows if row.below_floor]
    if not below:
        return {}
    reasons: dict[str, str] = {}
    try:
        with serving_state().serving() as snapshot:
            for package_id in below:
                try:
                    found = eligibility_shortfall(snapshot.matcher, package_id, None, now)
                except UnknownPackageError:
                    found = None
                if found is not None:
                    reasons[package_id] = found
    except (NoActiveModelError, ModelUnavailableError):
        pass  # no model loaded: the page still shows the counts and the push's own reasons
    for package_id in below:
        if package_id in reasons:
            continue
        if package_id in exposures.below_floor_reasons:
            reasons[package_id] = exposures.below_floor_reasons[package_id]
        elif exposures.source == PUSH:
            reasons[package_id] = "enough investors eligible, but the push's lists had no room"
        else:
            reasons[package_id] = (
                f"enough investors eligible; fewer than {floor} were served it in this window"
            )
    return reasons


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
