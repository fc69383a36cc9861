"""Re-ranking speed: 500 model candidates to a top 20 under the full rule set, beside the model alone.

A model is trained on a generated market; 20,000 live listings (the market's own listings
re-listed around "now") are folded in. Every rule is switched on: ticket fit with tolerance,
province allow/deny lists on 500 listings and 20 sellers, investor types per seller type,
cross-border, 200 related-party pairs, stated-preference blend, all five boosts, diversity caps
and a daily exposure cap with impressions already counted. Measured one query at a time, one
FAISS thread:

- model only: ``HybridRecommender.recommend`` at k=20 (FAISS top 20, ids out);
- retrieval: the 500 candidates from the same index;
- re-rank: ``Matcher.rerank`` of those 500 candidates to a top 20 with reasons (target p99 < 2 ms),
  under the full rule set and under the default rules;
- recommend: ``Matcher.recommend`` end to end (retrieval + re-rank + reasons), full rule set.

Each line gives wall-clock percentiles and, in brackets, CPU-time percentiles of the same calls:
on a machine shared with other jobs the wall-clock tail measures the scheduler, the CPU time
the code.

    python benchmarks/bench_rerank.py [--investors 2000 --packages 5000 --live 20000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import pandas as pd

from data.contract import PROVINCES
from data.csv_reader import read_market
from data.generator import generate_market, write_market
from matching.matcher import Matcher
from matching.rule_set import (
    DEFAULT_RULES,
    Blend,
    Boost,
    Boosts,
    Diversity,
    Eligibility,
    Exposure,
    ProvinceList,
    RuleSet,
    TicketFit,
)
from recommender.pipeline import train_recommender

QUERIES = 2_000
CANDIDATES = 500


def latencies(call: Callable[[int], object], count: int) -> tuple[np.ndarray, np.ndarray]:
    """Wall-clock and CPU milliseconds per call (CPU time leaves out time other jobs took the core)."""
    wall, cpu = np.empty(count), np.empty(count)
    for n in range(count):
        started, started_cpu = time.perf_counter(), time.process_time()
        call(n)
        wall[n], cpu[n] = time.perf_counter() - started, time.process_time() - started_cpu
    return wall * 1000.0, cpu * 1000.0


def describe(name: str, milliseconds: tuple[np.ndarray, np.ndarray], target: float | None = None) -> str:
    (p50, p99), (cpu50, cpu99) = (np.percentile(m, [50, 99]) for m in milliseconds)
    verdict = (
        "" if target is None else f"  (target p99 < {target} ms: {'met' if p99 < target else 'NOT met'})"
    )
    return (
        f"{name:56s} p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  [cpu p50 {cpu50:5.3f} p99 {cpu99:5.3f}]{verdict}"
    )


def relisted(packages: pd.DataFrame, count: int, now: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """``count`` listings copied from the market and made live around ``now``."""
    rows = packages.sample(count, replace=count > len(packages), random_state=1).reset_index(drop=True)
    return rows.assign(
        package_id=[f"LIVE{n:06d}" for n in range(count)],
        status="active",
        listed_at=now - pd.to_timedelta(rng.uniform(0, 20, count), unit="D"),
        closes_at=now + pd.to_timedelta(rng.uniform(0.5, 40, count), unit="D"),
    )


def full_rules(live: pd.DataFrame, investor_ids: list[str], rng: np.random.Generator) -> RuleSet:
    """Every rule on, with lists big enough to cost something."""
    sellers = sorted(live["seller_id"].dropna().unique().tolist())
    by_package = {
        p: ProvinceList(allow=tuple(rng.choice(PROVINCES, 12, replace=False).tolist()))
        for p in live["package_id"].sample(500, random_state=2)
    }
    by_seller = {
        s: ProvinceList(deny=tuple(rng.choice(PROVINCES, 3, replace=False).tolist())) for s in sellers[:20]
    }
    related = tuple(
        (investor_ids[i], sellers[j])
        for i, j in zip(
            rng.integers(0, len(investor_ids), 200), rng.integers(0, len(sellers), 200), strict=True
        )
    )
    on = Boost(enabled=True, weight=0.05)
    return RuleSet(
        eligibility=Eligibility(
            ticket_fit=TicketFit("tolerance", 1.0),
            provinces_by_package=by_package,
            provinces_by_seller=by_seller,
            investor_types_by_seller_type={
                "court": (
                    "national_amc",
                    "local_amc",
                    "private_fund",
                    "individual",
                    "industrial_capital",
                    "bank",
                )
            },
            cross_border_only=True,
            related_parties=related,
        ),
        blend=Blend(model=1.0, stated=0.2, rules=1.0),
        boosts=Boosts(
            closing_soon=on, newly_listed=on, data_room=on, preferred_province=on, hesitant_transparency=on
        ),
        diversity=Diversity(max_per_asset_type=10, max_per_seller=4, max_per_province=10),
        exposure=Exposure(daily_cap_per_package=200, floor_investors=3),
        candidates=CANDIDATES,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--investors", type=int, default=2_000)
    parser.add_argument("--packages", type=int, default=5_000)
    parser.add_argument("--live", type=int, default=20_000)
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) / "market"
        write_market(generate_market(args.investors, args.packages, seed=5), directory)
        market = read_market(directory)
    now = pd.Timestamp(market.packages["listed_at"].max()) + pd.Timedelta(days=1)
    started = time.perf_counter()
    model, profiles = train_recommender(market.investors, market.packages, market.events, now.to_pydatetime())
    print(
        f"trained on {args.investors:,} investors x {args.packages:,} packages "
        f"in {time.perf_counter() - started:.0f} s"
    )
    live = relisted(market.packages, args.live, now, rng)
    investor_ids = market.investors.loc[market.investors["registered_at"] <= now, "investor_id"].tolist()
    rules = full_rules(live, investor_ids, rng)
    matcher = Matcher.build(
        model,
        profiles,
        market.investors,
        pd.concat([market.packages, live]),
        market.events,
        rules,
        now.to_pydatetime(),
    )
    shown = pd.DataFrame(
        {
            "investor_id": rng.choice(investor_ids, 50_000),
            "package_id": rng.choice(live["package_id"], 50_000),
            "event_type": "impression",
            "occurred_at": now - pd.Timedelta(minutes=5),
        }
    )
    matcher.add_events(shown)
    print(
        f"serving {len(investor_ids):,} investors, {len(model.package_index):,} live listings; "
        f"{len(rules.eligibility.provinces_by_package)} listing and "
        f"{len(rules.eligibility.provinces_by_seller)} "
        f"seller province lists, {len(rules.eligibility.related_parties)} related parties, "
        f"{len(shown):,} impressions today"
    )
    queries = rng.choice(investor_ids, QUERIES).tolist()
    vectors = model.investor_vectors[model.investor_ids.rows(queries)]
    found = [model.package_index.search(vectors[n][None], CANDIDATES)[0] for n in range(QUERIES)]
    found = [replace(f, rows=model.package_ids.ids(f.rows)) for f in found]  # the matcher reranks ids
    default = matcher.with_rules(replace(DEFAULT_RULES, candidates=CANDIDATES))
    for warm in range(50):
        matcher.rerank(queries[warm], found[warm].rows, found[warm].scores, 20)
    print(
        describe(
            "model only: recommend k=20 (FAISS, ids out)",
            latencies(lambda n: model.recommend([queries[n]], 20), QUERIES),
        )
    )
    print(
        describe(
            f"retrieval: {CANDIDATES} candidates from the same index",
            latencies(lambda n: model.package_index.search(vectors[n][None], CANDIDATES), QUERIES),
        )
    )
    print(
        describe(
            f"re-rank {CANDIDATES} -> top 20 with reasons, full rule set",
            latencies(lambda n: matcher.rerank(queries[n], found[n].rows, found[n].scores, 20), QUERIES),
            2.0,
        )
    )
    print(
        describe(
            f"re-rank {CANDIDATES} -> top 20 with reasons, default rules",
            latencies(lambda n: default.rerank(queries[n], found[n].rows, found[n].scores, 20), QUERIES),
            2.0,
        )
    )
    print(
        describe(
            "recommend end to end (retrieval + re-rank), full rule set",
            latencies(lambda n: matcher.recommend(queries[n], 20), QUERIES),
        )
    )
    sizes = [
        len(matcher.rerank(q, f.rows, f.scores, 20).items)
        for q, f in zip(queries[:200], found[:200], strict=True)
    ]
    print(f"lists: mean length {np.mean(sizes):.1f} of 20 under the full rule set")


if __name__ == "__main__":
    main()
