"""Offline replay of a rule set on the last evaluation split: what the rules do to quality.

The split is the evaluation's (``recommender.evaluation.split``): a model fitted on what was
known at a cutoff (``webapi.services.rule_replay.prepare_replay`` fits it; this module never trains) is
judged on the listings of the window after it, all cold. Every test
listing is taken as it stood on its first hour live (status live; "closes in", "listed ago"
measured from then), and one push is replayed over all of them at once: every present
investor's top ``k`` through the whole pipeline (eligibility, blend, boosts, diversity, daily
cap, floor), and every listing's top 50 buyers through the rules in reverse. The raw model is
replayed beside it on the same scores.

Reported per rule set: NDCG@10 and precision@10 (graded relevance of the investors who acted
on test listings), buyer recall@50, ineligible pairs (pairs in the lists that the market's
hard rules or the compared rule set forbid — the rules themselves must show 0), catalogue
coverage (listings in at least one top list) and the share of listings that met the exposure
floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from matching.audience import Audience
from matching.batch_push import Lists, apply_daily_cap, apply_floor
from matching.catalogue import Catalogue
from matching.compiled import CompiledRules, compile_rules
from matching.kernel import BUYERS, PACKAGES, Direction, gather, pair_codes, rank_pass
from matching.rule_set import RuleSet
from matching.selection import caps_check
from profiles import build_profiles
from recommender.evaluation.split import MarketSplit
from recommender.hybrid import HybridRecommender
from recommender.idmap import IdMap

CHUNK = 1_024
NDCG_K = 10
BUYERS_K = 50
FIRST_HOUR = 1.0 / 24.0
METRICS = ("ndcg@10", "precision@10", "buyer_recall@50", "ineligible_pairs", "coverage", "floor_met")


@dataclass(frozen=True)
class ReplaySplit:
    """A split, a model fitted at its cutoff, and the split's market encoded for the rules."""

    split: MarketSplit
    model: HybridRecommender
    catalogue: Catalogue
    audience: Audience
    package_ids: IdMap  # test listings, in catalogue row order
    investor_ids: IdMap  # present investors, in audience row order
    scores: np.ndarray  # present investors × test listings, model scores
    now: np.ndarray  # per test listing: its first hour live, in epoch days
    test_rows: np.ndarray  # audience rows of the investors judged for NDCG (split.test_investor_ids order)


@dataclass(frozen=True)
class ReplayResult:
    """Offline metrics of one rule set (or the raw model) on a replayed split."""

    name: str
    metrics: dict[str, float]
    lists: np.ndarray = field(repr=False)  # present investors × k, test listing rows


def encode_split(split: MarketSplit, model: HybridRecommender) -> ReplaySplit:
    """The split's test listings and present investors as rule arrays, with the model's scores."""
    test = split.test_packages.assign(status="active")
    package_ids = IdMap(test["package_id"].tolist())
    catalogue = Catalogue()
    catalogue.set_rows(np.arange(len(test)), test)
    profiles = build_profiles(split.investors, split.train_packages, split.train_events, split.cutoff)
    investor_ids = IdMap(profiles.investor_ids)
    audience = Audience()
    audience.set_rows(np.arange(len(investor_ids)), profiles.frame)
    scores = model.score(investor_ids.external_ids.tolist(), package_ids.external_ids.tolist())
    now = catalogue.columns["listed"][: len(test)] + FIRST_HOUR
    test_rows = investor_ids.rows(split.test_investor_ids.external_ids.tolist())
    return ReplaySplit(split, model, catalogue, audience, package_ids, investor_ids, scores, now, test_rows)


def replay_rules(replay: ReplaySplit, rules: RuleSet, name: str, k: int = 20) -> ReplayResult:
    """Replay one push under ``rules`` and measure it."""
    compiled = compile_rules(rules, replay.catalogue, replay.package_ids)
    lists = _investor_lists(replay, compiled, max(k, NDCG_K))
    buyers = _buyer_lists(replay, compiled)
    lists, _ = apply_daily_cap(lists, max(k, NDCG_K), rules.exposure.daily_cap_per_package)
    live = np.arange(len(replay.package_ids))
    apply_floor(lists, np.arange(len(lists)), live, buyers, rules.exposure, _diversity_fits(replay, rules))
    return ReplayResult(name, _measure(replay, compiled, rules, lists, buyers.rows, k), lists)


def replay_model(replay: ReplaySplit, judged_by: RuleSet, k: int = 20) -> ReplayResult:
    """The raw model's lists (no rules), with ineligible pairs counted under ``judged_by``."""
    depth = max(k, NDCG_K)
    lists = _top(replay.scores, depth)
    buyers = _top(replay.scores.T, BUYERS_K)
    compiled = compile_rules(judged_by, replay.catalogue, replay.package_ids)
    return ReplayResult("raw model", _measure(replay, compiled, judged_by, lists, buyers, k), lists)


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.lexsort((part, -np.take_along_axis(scores, part, axis=1)), axis=1)
    return np.take_along_axis(part, order, axis=1)


def _attributes(replay: ReplaySplit, side: str, rows: np.ndarray) -> dict[str, np.ndarray]:
    table = replay.audience if side == "investor" else replay.catalogue
    attributes = table.take(rows)
    attributes["row"] = rows
    return attributes


def _codes(
    replay: ReplaySplit, compiled: CompiledRules, investor_rows: np.ndarray, package_rows: np.ndarray
) -> np.ndarray:
    """Removal codes for investors (column vector) × listings (row vector), or matching arrays."""
    investor = _attributes(replay, "investor", investor_rows)
    package = _attributes(replay, "package", package_rows)
    shape = np.broadcast_shapes(np.shape(investor_rows), np.shape(package_rows))
    now = replay.now[package_rows]
    return pair_codes(compiled, PACKAGES, investor, package, replay.investor_ids, now, shape)


def _investor_lists(replay: ReplaySplit, compiled: CompiledRules, depth: int) -> Lists:
    return _lists(replay, compiled, PACKAGES, depth)


def _buyer_lists(replay: ReplaySplit, compiled: CompiledRules) -> Lists:
    return _lists(replay, compiled, BUYERS, min(BUYERS_K, len(replay.investor_ids)))


def _lists(replay: ReplaySplit, compiled: CompiledRules, direction: Direction, depth: int) -> Lists:
    """Every query's list of one direction through the ranking kernel, over every candidate."""
    scores = replay.scores if direction is PACKAGES else replay.scores.T
    queries, candidates = scores.shape
    others = _attributes(replay, direction.candidate, np.arange(candidates))
    rows = np.full((queries, depth), -1, dtype=np.int64)
    values = np.full((queries, depth), -np.inf)
    for start in range(0, queries, CHUNK):
        chunk = np.arange(start, min(start + CHUNK, queries))
        query = _attributes(replay, direction.query, chunk[:, None])
        now = replay.now[None, :] if direction is PACKAGES else replay.now[chunk][:, None]
        shape = (len(chunk), candidates)
        codes = pair_codes(compiled, direction, query, others, replay.investor_ids, now, shape)
        ranking = rank_pass(compiled, direction, query, others, scores[chunk], now, depth, codes)
        rows[chunk], values[chunk] = gather(
            np.broadcast_to(np.arange(candidates), shape), ranking.parts.score, ranking.chosen
        )
    return Lists(rows, values)


def _diversity_fits(replay: ReplaySplit, rules: RuleSet):  # type: ignore[no-untyped-def]
    return caps_check(rules.diversity, replay.catalogue.columns)


def _measure(
    replay: ReplaySplit,
    compiled: CompiledRules,
    rules: RuleSet,
    lists: np.ndarray,
    buyers: np.ndarray,
    k: int,
) -> dict[str, float]:
    split = replay.split
    ndcg, precision = list_metrics(lists[replay.test_rows, :NDCG_K], split.relevance)
    bidders = _bidders(replay)
    recall = buyer_recall(buyers[:, :BUYERS_K], bidders)
    ineligible = _ineligible(replay, compiled, lists[:, :k], investor_side=True)
    ineligible += _ineligible(replay, compiled, buyers, investor_side=False)
    top = lists[:, :k]
    counts = np.bincount(top[top >= 0], minlength=len(replay.package_ids))
    floor_k = min(rules.exposure.floor_top_k, lists.shape[1])
    floor_counts = np.bincount(lists[:, :floor_k][lists[:, :floor_k] >= 0], minlength=len(replay.package_ids))
    return {
        "ndcg@10": ndcg,
        "precision@10": precision,
        "buyer_recall@50": recall,
        "ineligible_pairs": float(ineligible),
        "coverage": float((counts > 0).mean()) if len(counts) else 0.0,
        "floor_met": float((floor_counts >= rules.exposure.floor_investors).mean()) if len(counts) else 0.0,
    }


def _bidders(replay: ReplaySplit) -> sp.csr_matrix:
    """Test listings × present investors (audience rows): 1 where the investor bid."""
    split = replay.split
    columns = replay.investor_ids.rows_or_missing(split.buyer_investor_ids.external_ids.tolist())
    coo = split.bidders.tocoo()
    keep = columns[coo.col] >= 0
    return sp.csr_matrix(
        (coo.data[keep], (coo.row[keep], columns[coo.col[keep]])),
        shape=(len(replay.package_ids), len(replay.investor_ids)),
    )


def _ineligible(replay: ReplaySplit, compiled: CompiledRules, lists: np.ndarray, investor_side: bool) -> int:
    rows, slots = np.nonzero(lists >= 0)
    others = lists[rows, slots]
    investor_rows, package_rows = (rows, others) if investor_side else (others, rows)
    if not len(investor_rows):
        return 0
    return int((_codes(replay, compiled, investor_rows, package_rows) != 0).sum())


def list_metrics(lists: np.ndarray, relevance: sp.csr_matrix) -> tuple[float, float]:
    """Mean NDCG (graded, ``2^g - 1`` gains) and precision of ranked lists (``-1`` padded).

    Rows without any relevant listing are skipped, as ``recommender.evaluation.metrics`` does.
    """
    dense = relevance.toarray()
    evaluated = dense.sum(axis=1) > 0
    if not evaluated.any():
        return 0.0, 0.0
    lists, dense = lists[evaluated], dense[evaluated]
    k = lists.shape[1]
    gains = np.where(lists >= 0, np.take_along_axis(dense, np.maximum(lists, 0), axis=1), 0.0)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = ((2.0**gains - 1.0) * discounts).sum(axis=1)
    ideal = -np.sort(-dense, axis=1)[:, :k]
    idcg = ((2.0**ideal - 1.0) * discounts[: ideal.shape[1]]).sum(axis=1)
    return float((dcg / idcg).mean()), float((gains > 0).sum(axis=1).mean() / k)


def buyer_recall(buyers: np.ndarray, bidders: sp.csr_matrix) -> float:
    """Mean share of each listing's bidders found in its buyer list (listings with bidders only)."""
    dense = bidders.toarray() > 0
    evaluated = dense.sum(axis=1) > 0
    if not evaluated.any():
        return 0.0
    buyers, dense = buyers[evaluated], dense[evaluated]
    found = np.where(buyers >= 0, np.take_along_axis(dense, np.maximum(buyers, 0), axis=1), False)
    return float((found.sum(axis=1) / dense.sum(axis=1)).mean())


def compare(replay: ReplaySplit, rule_sets: Sequence[tuple[str, RuleSet]], k: int = 20) -> list[ReplayResult]:
    """The raw model (judged by the first rule set) and each named rule set, on one replay."""
    results = [replay_model(replay, rule_sets[0][1], k)]
    results += [replay_rules(replay, rules, name, k) for name, rules in rule_sets]
    return results
