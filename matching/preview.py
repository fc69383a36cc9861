"""What-if preview of a candidate rule set against the active one, before anything is saved.

Two views, both computed in memory (nothing is cached on disk):

- lists: for a fixed sample of investors, each one's top k under the active and under the
  candidate rules, and what changes — listings in, out, and moved (old rank → new rank);
- offline: the last evaluation split replayed (``matching.replay``: a model fitted at a cutoff,
  one push over the listings of the window after it) under the raw model, the active rules and
  the candidate rules — NDCG@10, precision@10, buyer recall@50, ineligible pairs, catalogue
  coverage and the share of listings meeting the exposure floor.

The CLI (``assetmatch rules preview``) prints ``lines()``; the web API returns ``to_json()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
import pandas as pd

from data.wording import count
from matching.matcher import Matcher
from matching.replay import METRICS, ReplayResult, ReplaySplit, compare
from matching.rule_set import RuleSet
from recommender.hybrid import HybridRecommender


class MarketFrames(Protocol):
    """Anything with the three contract frames (``data.market_frames.StoredMarket``, a read market)."""

    investors: pd.DataFrame
    packages: pd.DataFrame
    events: pd.DataFrame


@dataclass(frozen=True)
class ListChange:
    """How one investor's top k changes from the active to the candidate rules."""

    investor_id: str
    entered: list[tuple[str, int]]  # (package, new rank)
    left: list[tuple[str, int]]  # (package, old rank)
    moved: list[tuple[str, int, int]]  # (package, old rank, new rank)

    @property
    def changed(self) -> bool:
        return bool(self.entered or self.left or self.moved)

    def to_json(self) -> dict:
        return {
            "investor_id": self.investor_id,
            "in": [{"id": p, "rank": r} for p, r in self.entered],
            "out": [{"id": p, "rank": r} for p, r in self.left],
            "moved": [{"id": p, "from": old, "to": new} for p, old, new in self.moved],
        }


@dataclass(frozen=True)
class RulePreview:
    """The sampled list changes and the offline comparison."""

    k: int
    now: datetime
    changes: list[ListChange]
    offline: list[ReplayResult] = field(default_factory=list)
    split: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        changed = [c for c in self.changes if c.changed]
        return {
            "k": self.k,
            "now": self.now.isoformat(timespec="seconds"),
            "sample": {
                "investors": len(self.changes),
                "changed": len(changed),
                "entered": sum(len(c.entered) for c in self.changes),
                "left": sum(len(c.left) for c in self.changes),
                "moved": sum(len(c.moved) for c in self.changes),
                "lists": [c.to_json() for c in changed],
            },
            "offline": {
                "split": self.split,
                "results": [{"name": r.name, "metrics": dict(r.metrics)} for r in self.offline],
            },
        }

    def package_ids(self) -> set[str]:
        """Every listing the sampled changes name (to look their titles up)."""
        ids: set[str] = set()
        for change in self.changes:
            ids.update(p for p, _ in change.entered)
            ids.update(p for p, _ in change.left)
            ids.update(p for p, _, _ in change.moved)
        return ids

    def lines(self, titles: Mapping[str, str] | None = None) -> list[str]:
        """The preview as text: the counts and the offline metrics first, then each changed list.

        Each changed listing gets its own line, in the order of the list it ends up in, with
        its title when ``titles`` has it: ``in    #13      PKG0001455  Hangzhou office loans``.
        """
        titles = titles or {}
        summary = self.to_json()["sample"]
        whose = "investors'" if summary["investors"] != 1 else "investor's"
        verb = "changes" if summary["changed"] == 1 else "change"
        lines = [
            f"lists: {summary['changed']} of {summary['investors']} sampled {whose} top {self.k} {verb} "
            f"({summary['entered']} in, {summary['left']} out, {summary['moved']} moved)",
        ]
        if self.offline:
            split = self.split
            lines.append(
                f"offline replay: cutoff {split.get('cutoff')}, "
                f"{count(split.get('test_listings', 0), 'listing')} in the window, "
                f"{count(split.get('judged_investors', 0), 'investor')} judged"
            )
            lines.append(f"  {'':10s} " + " ".join(f"{m:>16s}" for m in METRICS))
            for result in self.offline:
                cells = [
                    f"{result.metrics[m]:16.0f}" if m == "ineligible_pairs" else f"{result.metrics[m]:16.4f}"
                    for m in METRICS
                ]
                lines.append(f"  {result.name:10s} " + " ".join(cells))
        for change in self.changes:
            if not change.changed:
                continue
            lines.append(
                f"  {change.investor_id}: {len(change.entered)} in, {len(change.left)} out, "
                f"{len(change.moved)} moved"
            )
            for kind, where, package_id, order in _entries(change):
                title = titles.get(package_id)
                lines.append(f"    {kind:5s} {where:8s} {package_id}" + (f"  {title}" if title else ""))
        return lines


def _entries(change: ListChange) -> list[tuple[str, str, str, tuple[int, int]]]:
    """One investor's changed listings as (kind, rank text, id, order): new list order, then those out."""
    entries = [("in", f"#{rank}", p, (0, rank)) for p, rank in change.entered]
    entries += [("out", f"#{rank}", p, (1, rank)) for p, rank in change.left]
    entries += [
        ("up" if new < old else "down", f"{old}->{new}", p, (0, new)) for p, old, new in change.moved
    ]
    return sorted(entries, key=lambda entry: entry[3])


def list_change(investor_id: str, before: list[str], after: list[str]) -> ListChange:
    """Listings in, out and moved between two ranked lists (ranks are 1-based)."""
    old = {p: rank for rank, p in enumerate(before, start=1)}
    new = {p: rank for rank, p in enumerate(after, start=1)}
    return ListChange(
        investor_id=investor_id,
        entered=[(p, new[p]) for p in after if p not in old],
        left=[(p, old[p]) for p in before if p not in new],
        moved=[(p, old[p], new[p]) for p in after if p in old and old[p] != new[p]],
    )


def sample_investors(
    matcher: Matcher, investors: pd.DataFrame, now: datetime, sample: int, seed: int
) -> list[str]:
    """A reproducible sample of the investors the matcher can serve at ``now``."""
    registered = investors.loc[investors["registered_at"] <= now, "investor_id"].tolist()
    known = [i for i in registered if i in matcher.model.investor_ids]
    if len(known) <= sample:
        return sorted(known)
    rng = np.random.default_rng(seed)
    return sorted(np.asarray(known, dtype=object)[rng.choice(len(known), sample, replace=False)].tolist())


def preview_rules(
    market: MarketFrames,
    model: HybridRecommender,
    active: RuleSet,
    candidate: RuleSet,
    now: datetime,
    sample: int = 50,
    k: int = 20,
    *,
    matcher: Matcher | None = None,
    replay: ReplaySplit | None = None,
    offline: bool = True,
    seed: int = 0,
) -> RulePreview:
    """Compare ``candidate`` with ``active`` on sampled lists and on the replayed evaluation split.

    ``matcher`` reuses a serving matcher (its state is shared, not changed); otherwise one is
    built from ``market`` and ``model`` at ``now`` (indexing the listings live then).
    ``replay`` is the prepared split (``webapi.services.rule_replay`` refits the model's configuration
    at the split's cutoff: the serving model has seen the window, so it cannot be judged on
    it); without one, or with ``offline=False``, the replay is skipped (the quick view).
    """
    if matcher is None:
        matcher = Matcher.build(model, None, market.investors, market.packages, market.events, active, now)
    current, proposed = matcher.with_rules(active), matcher.with_rules(candidate)
    changes = []
    for investor_id in sample_investors(matcher, market.investors, now, sample, seed):
        before = current.recommend(investor_id, k, now).ids
        after = proposed.recommend(investor_id, k, now).ids
        changes.append(list_change(investor_id, before, after))
    results: list[ReplayResult] = []
    split: dict = {}
    if offline and replay is not None:
        results = compare(replay, [("active", active), ("candidate", candidate)], k)
        split = {
            "cutoff": replay.split.cutoff.isoformat(timespec="seconds"),
            "test_listings": len(replay.package_ids),
            "judged_investors": len(replay.test_rows),
            "investors": len(replay.investor_ids),
        }
    return RulePreview(k=k, now=now, changes=changes, offline=results, split=split)
