"""Package exposure: how many investors each live listing reached, and which fall below the floor.

The rule set's exposure floor asks that every live listing be in at least
``exposure.floor_investors`` investors' top ``exposure.floor_top_k``. Two records say what
investors actually got, and the report reads either:

``served``
    The recommendation lists the API served (``served_lists``, kind ``recommendations``) in
    the last ``days`` days: an investor counts for a listing if any list served to them in the
    window held it. This is what investors were shown on request.
``push``
    The latest daily batch push (``assetmatch rank --out``), the JSON file at ``PUSH_FILE``
    (default ``<instance>/push.json``, where ``scripts/demo.sh`` writes it): each investor's
    ranked list as pushed, and why each listing it left below the floor stayed there.

A listing reaches an investor "in the top" when its best rank there is at most
``floor_top_k``; it is below the floor when fewer than ``floor_investors`` investors have it
there. Listings are those live now by the market's definition (``data.package_summaries``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection

from data.attribution import served_lists
from data.package_summaries import PackageSummary
from data.served_lists import RECOMMENDATIONS

SERVED, PUSH = "served", "push"
SOURCES = (SERVED, PUSH)
PUSH_FILE = "push.json"


@dataclass
class Delivery:
    """One investor's exposure to one listing: best rank, how often, when last."""

    investor_id: str
    rank: int
    times: int = 1
    last_at: datetime | None = None
    model_version: str | None = None
    rule_version: int | None = None

    def add(
        self, rank: int, at: datetime | None, model_version: str | None, rule_version: int | None
    ) -> None:
        self.rank = min(self.rank, rank)
        self.times += 1
        if at is not None and (self.last_at is None or at >= self.last_at):
            self.last_at, self.model_version, self.rule_version = at, model_version, rule_version


@dataclass
class Exposures:
    """Who got which listing, by listing then investor, from one source."""

    source: str
    description: str
    deliveries: dict[str, dict[str, Delivery]] = field(default_factory=dict)
    problem: str | None = None  # why the source could not be read (nothing is counted then)
    below_floor_reasons: dict[str, str] = field(default_factory=dict)  # the push's own "why"

    def record(
        self,
        package_id: str,
        investor_id: str,
        rank: int,
        at: datetime | None = None,
        model_version: str | None = None,
        rule_version: int | None = None,
    ) -> None:
        investors = self.deliveries.setdefault(package_id, {})
        found = investors.get(investor_id)
        if found is None:
            investors[investor_id] = Delivery(investor_id, rank, 1, at, model_version, rule_version)
        else:
            found.add(rank, at, model_version, rule_version)

    def of(self, package_id: str) -> list[Delivery]:
        """The investors a listing reached, best rank first."""
        return sorted(self.deliveries.get(package_id, {}).values(), key=lambda d: (d.rank, d.investor_id))


@dataclass(frozen=True)
class PackageExposure:
    """One live listing's reach against the floor."""

    package: PackageSummary
    in_top: int  # investors with it in their top floor_top_k
    reached: int  # investors who got it at any rank
    below_floor: bool


@dataclass(frozen=True)
class ExposureReport:
    rows: list[PackageExposure]  # worst first
    floor_investors: int
    floor_top_k: int

    @property
    def below(self) -> list[PackageExposure]:
        return [row for row in self.rows if row.below_floor]


def served_exposures(connection: Connection, now: datetime, days: int) -> Exposures:
    """Recommendation lists served since ``now - days``."""
    since = now - timedelta(days=days)
    description = (
        f"recommendation lists the API served in the last {days} day{'s' if days != 1 else ''} "
        f"(since {since:%Y-%m-%d %H:%M} UTC)"
    )
    exposures = Exposures(SERVED, description)
    frame = served_lists(connection, since=since)
    frame = frame[frame["kind"] == RECOMMENDATIONS]
    for investor_id, at, model_version, rule_version, items in zip(
        frame["subject_id"],
        frame["served_at"],
        frame["model_version"],
        frame["rule_version"],
        frame["items"],
        strict=True,
    ):
        version = None if rule_version is None or rule_version != rule_version else int(rule_version)
        for package_id, rank in items:
            exposures.record(package_id, investor_id, rank, at.to_pydatetime(), model_version, version)
    return exposures


def push_exposures(path: Path) -> Exposures:
    """The batch push file at ``path`` (its investors' ranked lists)."""
    exposures = Exposures(PUSH, f"the latest batch push, {path}")
    try:
        stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        exposures.problem = f"no batch push at {path}: write one with `assetmatch rank --out {path}`"
        return exposures
    except (OSError, ValueError) as error:
        exposures.problem = f"the batch push at {path} cannot be read: {error}"
        return exposures
    investors = payload.get("investors") if isinstance(payload, Mapping) else None
    if not isinstance(investors, Mapping):
        exposures.problem = f"the batch push at {path} has no investors' lists"
        return exposures
    exposures.description = f"the latest batch push, {path} (written {stamp})"
    below_floor = payload.get("below_floor")
    for entry in below_floor if isinstance(below_floor, list) else []:
        if isinstance(entry, Mapping) and isinstance(entry.get("package_id"), str):
            if isinstance(entry.get("reason"), str):
                exposures.below_floor_reasons[entry["package_id"]] = entry["reason"]
    for investor_id, package_ids in investors.items():
        if isinstance(package_ids, list):
            for rank, package_id in enumerate(package_ids, start=1):
                if isinstance(package_id, str):
                    exposures.record(package_id, str(investor_id), rank)
    return exposures


def exposure_report(
    live: Iterable[PackageSummary], exposures: Exposures, floor_investors: int, floor_top_k: int
) -> ExposureReport:
    """Every live listing's reach, worst first: fewest investors in the top, then soonest to close."""
    rows = []
    for package in live:
        delivered = exposures.deliveries.get(package.package_id, {})
        in_top = sum(delivery.rank <= floor_top_k for delivery in delivered.values())
        rows.append(PackageExposure(package, in_top, len(delivered), in_top < floor_investors))
    rows.sort(key=lambda row: (row.in_top, row.reached, row.package.closes_at, row.package.package_id))
    return ExposureReport(rows, floor_investors, floor_top_k)
