"""The ranking kernel: one pass of stages 1-6 over a batch of queries and their candidates.

Every ranked list the engine produces goes through :func:`rank_pass` — a serving list
(``matching.matcher``), the batch push in both directions (``matching.batch_push``) and the
offline replay of a rule set (``matching.replay``): removal codes (eligibility, with one
licence check, one related-party mask and the one definition of live), the score blend and
boosts, then diversity, exposure and top-k (``matching.selection``). A :class:`Direction`
says which side asks: packages for an investor, or investors (buyers) for a package; the
rules are the same read in reverse. :func:`widened` is the one "search again when the rules
leave a list short" used by serving and the batch push.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from matching.compiled import CompiledRules
from matching.eligibility import CODE, removal_codes
from matching.rule_set import Diversity
from matching.scoring import ScoreParts, score_parts
from matching.selection import select
from recommender.idmap import IdMap

Arrays = Mapping[str, np.ndarray]
NO_DIVERSITY = Diversity()
WIDEN = 8  # the batch push's second, wider search for the lists the rules left short


@dataclass(frozen=True)
class Direction:
    """Which side is the query: ``query`` ("investor" or "package") ranks the other side."""

    query: str
    candidate: str
    reason: str  # how a list's reasons speak of it: "investor" (its listings) or "buyer"

    def pair(self, query: Arrays, candidates: Arrays) -> tuple[Arrays, Arrays]:
        """(investor, package) attributes, whichever side asks."""
        return (query, candidates) if self.query == "investor" else (candidates, query)


PACKAGES = Direction("investor", "package", "investor")  # an investor's listings
BUYERS = Direction("package", "investor", "buyer")  # a listing's investors


@dataclass(frozen=True)
class Ranking:
    """One pass: removal codes (diversity and exposure removals included), score parts, picks."""

    codes: np.ndarray  # queries × candidates, 0 = kept eligible
    parts: ScoreParts
    chosen: np.ndarray  # queries × depth candidate positions, best first, -1 padded


def related_mask(
    compiled: CompiledRules, investor_ids: IdMap, investor_rows: np.ndarray, sellers: np.ndarray
) -> np.ndarray | None:
    """True where (investor row, seller code) is a blocked related party; None when none is.

    The one related-party test, in both directions: ``investor_rows`` and ``sellers`` broadcast
    against each other (one investor against its candidate listings, one listing's seller
    against its candidate investors, or whole batches), ``-1`` rows never match.
    """
    if not compiled.related_by_investor:
        return None
    names = list(compiled.related_by_investor)
    blocked_rows = investor_ids.rows_or_missing(names)
    mask: np.ndarray | None = None
    for name, row in zip(names, blocked_rows.tolist(), strict=True):
        if row < 0:
            continue
        hit = np.asarray(investor_rows) == row
        if not hit.any():
            continue
        pairs = hit & np.isin(sellers, compiled.related_by_investor[name])
        mask = pairs if mask is None else mask | pairs
    if mask is None:
        return None
    return np.broadcast_to(mask, np.broadcast_shapes(np.shape(investor_rows), np.shape(sellers)))


def pair_codes(
    compiled: CompiledRules,
    direction: Direction,
    query: Arrays,
    candidates: Arrays,
    investor_ids: IdMap,
    now: float | np.ndarray,
    shape: tuple[int, ...],
    never: np.ndarray | None = None,
) -> np.ndarray:
    """Stage 1 for every (query, candidate) pair: the first rule each fails, 0 when eligible.

    Both attribute sets carry ``row`` (the investor's row in ``investor_ids``, the package's
    catalogue row); ``never`` holds the never-again codes per pair when the search did not
    already leave those pairs out.
    """
    investor, package = direction.pair(query, candidates)
    related = related_mask(compiled, investor_ids, investor["row"], package["seller"])
    return removal_codes(compiled, investor, package, now, shape, never, related)


def rank_pass(
    compiled: CompiledRules,
    direction: Direction,
    query: Arrays,
    candidates: Arrays,
    scores: np.ndarray,
    now: float | np.ndarray,
    depth: int,
    codes: np.ndarray,
    over_cap: np.ndarray | None = None,
) -> Ranking:
    """Stages 2-6 over stage 1's ``codes`` (queries × candidates): blend, boosts, diversity, exposure, top-k.

    ``scores`` are the model's per pair; ``over_cap`` marks candidates over today's exposure
    cap. Diversity caps apply to an investor's listings only (a buyer list has none).
    """
    rules = compiled.rules
    investor, package = direction.pair(query, candidates)
    codes = np.array(codes, dtype=np.int8, copy=True)
    parts = score_parts(rules, investor, package, scores, codes == 0, now)
    if direction is PACKAGES:
        chosen = select(parts.score, codes, depth, rules.diversity, package, over_cap)
    else:
        chosen = select(np.asarray(parts.score), codes, depth, NO_DIVERSITY, {}, over_cap)
    return Ranking(codes, parts, chosen)


def ranked_rows(
    compiled: CompiledRules,
    direction: Direction,
    query: Arrays,
    candidates: Arrays,
    rows: np.ndarray,
    scores: np.ndarray,
    investor_ids: IdMap,
    now: float | np.ndarray,
    depth: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Stages 1-6 over padded candidate rows (``-1``: no candidate); the chosen rows and final scores."""
    codes = pair_codes(compiled, direction, query, candidates, investor_ids, now, rows.shape)
    codes[rows < 0] = CODE["not_live"]
    ranking = rank_pass(compiled, direction, query, candidates, scores, now, depth, codes)
    return gather(rows, ranking.parts.score, ranking.chosen)


def gather(candidates: np.ndarray, scores: np.ndarray, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The chosen candidates' rows and scores (``-1`` and ``-inf`` where a list is short)."""
    valid = chosen >= 0
    safe = np.maximum(chosen, 0)
    rows = np.where(valid, np.take_along_axis(candidates, safe, axis=1), -1)
    values = np.where(
        valid, np.take_along_axis(np.broadcast_to(scores, candidates.shape), safe, axis=1), -np.inf
    )
    return rows, values


Search = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]
Rerank = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
Exact = Callable[[int], tuple[np.ndarray, np.ndarray]]


def widened(
    search: Search,
    rerank: Rerank,
    exact: Exact,
    count: int,
    pool: int,
    depth: int,
    indexed: int,
    wider: int = WIDEN,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank ``count`` queries; those the rules leave short are searched again wider, then exactly.

    ``search(queries, width)`` gives candidates and model scores, ``rerank`` the chosen rows and
    scores, ``exact(query)`` one query searched over its eligible rows only. A query whose search
    came back with fewer than ``width`` candidates has seen every allowed row and stays as it is;
    ``wider=1`` skips the wider search (serving goes straight to the exact one). So a rule never
    leaves a list short while eligible candidates remain.
    """
    everyone = np.arange(count)
    candidates, scores = search(everyone, pool)
    rows, values = rerank(everyone, candidates, scores)
    short = everyone[((rows >= 0).sum(axis=1) < depth) & ((candidates >= 0).sum(axis=1) == pool)]
    wide = min(pool * wider, indexed)
    if len(short) and wide > pool:
        candidates, scores = search(short, wide)
        wider_rows, wider_values = rerank(short, candidates, scores)
        rows[short], values[short] = wider_rows, wider_values
        short = short[((wider_rows >= 0).sum(axis=1) < depth) & ((candidates >= 0).sum(axis=1) == wide)]
    for query in short.tolist():
        rows[query], values[query] = exact(query)
    return rows, values
