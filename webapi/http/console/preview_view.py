"""A rule preview as the rules page shows it: per investor, listings in, out and moved, and metrics.

``matching.preview.RulePreview.to_json`` is the one description of a preview (the API returns
it as is); this module only arranges it for a page: each change as one entry with the
listing's title, entries in the order of the list they end up in, and the offline metrics as a
table with the candidate's change from the active rules. The page leads with the decision (which
rules change, which reset to defaults, the counts and the metrics) and folds each investor's diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matching.replay import METRICS

ENTERED, LEFT, UP, DOWN = "in", "out", "up", "down"
#: Offline metrics where less is better (every other one: more is better).
LOWER_IS_BETTER = frozenset({"ineligible_pairs"})
COUNT_METRICS = frozenset({"ineligible_pairs"})


@dataclass(frozen=True)
class DiffEntry:
    """One listing whose place in one investor's list changes."""

    kind: str  # in, out, up, down
    package_id: str
    title: str | None
    old_rank: int | None
    new_rank: int | None

    @property
    def sort_key(self) -> tuple[int, int]:
        """Listings of the new list by their new rank, then the ones that left by their old rank."""
        if self.new_rank is not None:
            return (0, self.new_rank)
        return (1, self.old_rank or 0)


@dataclass(frozen=True)
class InvestorDiff:
    investor_id: str
    entries: list[DiffEntry]

    def count(self, kind: str) -> int:
        return sum(entry.kind == kind for entry in self.entries)


@dataclass(frozen=True)
class MetricRow:
    """One offline metric: its value under each replayed rule set, and candidate − active."""

    name: str
    values: list[str]
    change: str | None
    verdict: str  # better, worse, same or "" (not comparable)


@dataclass(frozen=True)
class PreviewView:
    k: int
    summary: dict[str, int]
    investors: list[InvestorDiff]
    columns: list[str]
    metrics: list[MetricRow]
    split: dict[str, Any]
    model_version: str
    active_rule_version: int
    rule_changes: Mapping[str, Any]


def investor_diffs(lists: list[Mapping[str, Any]], titles: Mapping[str, str]) -> list[InvestorDiff]:
    """Each changed list of a preview's ``sample.lists`` as entries in list order."""
    diffs = []
    for change in lists:
        entries = [
            DiffEntry(ENTERED, item["id"], titles.get(item["id"]), None, item["rank"])
            for item in change["in"]
        ]
        entries += [
            DiffEntry(LEFT, item["id"], titles.get(item["id"]), item["rank"], None) for item in change["out"]
        ]
        entries += [
            DiffEntry(
                UP if item["to"] < item["from"] else DOWN,
                item["id"],
                titles.get(item["id"]),
                item["from"],
                item["to"],
            )
            for item in change["moved"]
        ]
        diffs.append(InvestorDiff(change["investor_id"], sorted(entries, key=lambda entry: entry.sort_key)))
    return diffs


def metric_rows(results: list[Mapping[str, Any]]) -> tuple[list[str], list[MetricRow]]:
    """The offline table: one column per replayed rule set, one row per metric."""
    columns = [result["name"] for result in results]
    by_name = {result["name"]: result["metrics"] for result in results}
    rows = []
    for metric in METRICS:
        values = [_number(metric, by_name[name].get(metric)) for name in columns]
        active, candidate = by_name.get("active", {}).get(metric), by_name.get("candidate", {}).get(metric)
        change, verdict = None, ""
        if isinstance(active, int | float) and isinstance(candidate, int | float):
            delta = float(candidate) - float(active)
            change = f"{delta:+.0f}" if metric in COUNT_METRICS else f"{delta:+.4f}"
            if abs(delta) < 1e-12:
                verdict = "same"
            else:
                verdict = "better" if (delta < 0) == (metric in LOWER_IS_BETTER) else "worse"
        rows.append(MetricRow(metric, values, change, verdict))
    return columns, rows


def _number(metric: str, value: Any) -> str:
    if not isinstance(value, int | float):
        return "–"
    return f"{value:.0f}" if metric in COUNT_METRICS else f"{value:.4f}"


def preview_view(preview: Mapping[str, Any], titles: Mapping[str, str]) -> PreviewView:
    """The page's form of the API's preview document (``model_version``, ``k``, ``sample``, ``offline``)."""
    sample = preview["sample"]
    columns, metrics = metric_rows(preview["offline"]["results"])
    return PreviewView(
        k=preview["k"],
        summary={name: sample[name] for name in ("investors", "changed", "entered", "left", "moved")},
        investors=investor_diffs(sample["lists"], titles),
        columns=columns,
        metrics=metrics,
        split=preview["offline"]["split"],
        model_version=preview["model_version"],
        active_rule_version=preview["active_rule_version"],
        rule_changes=preview.get("rule_changes") or {"changed": [], "reset": [], "summary": ""},
    )


def previewed_package_ids(preview: Mapping[str, Any]) -> set[str]:
    """Every listing a preview's diff names (to look their titles up)."""
    return {
        item["id"]
        for change in preview["sample"]["lists"]
        for part in ("in", "out", "moved")
        for item in change[part]
    }
