"""The daily batch push through the rule set: every investor's list and every listing's buyers.

Both directions run the same pipeline as serving (``matching.matcher``), vectorised over
batches of 2,048 queries: the market's hard rules inside retrieval (licence as an allowed
set, never-again as exclusions, so they never leave a list short), then the rule set's
eligibility, blend, boosts and diversity as arrays over each batch's candidate matrix.

Exposure is then settled across the whole push (docs/matching.md):

- daily cap: a listing goes to at most ``exposure.daily_cap_per_package`` investors' lists;
  where more lists hold it, the investors who rank it highest keep it and the others get
  their next candidate (repeated until no listing is over the cap);
- floor: every live listing should be in at least ``exposure.floor_investors`` investors' top
  ``exposure.floor_top_k``. A listing below the floor is lifted into the bottom of the top of
  interested investors who do not have it there yet — its own buyer list first, then investors
  holding it further down their lists — never displacing a listing that is itself at its floor.
  An investor takes at most three lifted listings at first; where that leaves listings below
  the floor (typically bank batches that only the few licensed AMCs may buy), further rounds
  allow more lifts per investor, up to all but one place of the top, so the floor holds for
  every listing with enough eligible buyers whenever their lists have room.

Lists the rules leave short are searched again eight times wider, then over exactly the
eligible rows, so rules never cut a list short while eligible candidates remain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from data.contract import ASSET_CLASSES, SELLER_TYPES
from data.wording import count
from matching.eligibility import CODE, FOREIGN, removal_codes, servable
from matching.floor_shortfall import Shortfall, floor_shortfalls
from matching.matcher import NO_DIVERSITY, Matcher
from matching.rule_set import Exposure
from matching.scoring import score_parts
from matching.selection import caps_check, select
from recommender.retrieval import VectorIndex

BATCH = 2_048
FLOOR_SLOTS_PER_INVESTOR = 3
CAP_ROUNDS = 20
WIDEN = 8  # a second, wider search for the lists the rules left short
Progress = Callable[[int], None]


@dataclass(frozen=True)
class PushResult:
    """The push, and what the exposure stage did to it."""

    investors: dict[str, list[str]]  # investor -> its top k listings
    packages: dict[str, list[str]]  # live listing -> its top buyers
    floor_lifted: int  # listings the floor put into more investors' top lists
    floor_unmet: int  # live listings still below the floor (too few eligible, interested investors)
    capped: int  # listings the daily cap withheld from some lists
    below_floor: tuple[Shortfall, ...] = ()  # each listing still below the floor, and why
    floor_top_k: int = 20
    empty_cross_border: int = 0  # foreign institutions left with nothing by cross_border_only

    def summary(self) -> str:
        return (
            f"exposure floor lifted {count(self.floor_lifted, 'listing')} "
            f"({self.floor_unmet} still below it); daily cap trimmed {count(self.capped, 'listing')}"
        )

    def lines(self) -> list[str]:
        """The summary, each listing still below the floor with why, and lists a rule emptied."""
        out = [self.summary()]
        out += [f"  below the floor: {shortfall.line(self.floor_top_k)}" for shortfall in self.below_floor]
        if self.empty_cross_border:
            out.append(
                f"{count(self.empty_cross_border, 'foreign institution')} got an empty list: "
                "eligibility.cross_border_only is on and no listing they may otherwise buy is "
                "cross_border_eligible"
            )
        return out


@dataclass
class Lists:
    """Ranked rows per query (``-1`` padded), best first, with their final scores."""

    rows: np.ndarray
    scores: np.ndarray


def batch_push(
    matcher: Matcher,
    investor_ids: Sequence[str],
    k: int,
    buyers_k: int,
    on_progress: Progress | None = None,
) -> PushResult:
    """Rank every investor's top ``k`` and every live listing's top ``buyers_k`` under the rules."""
    exposure = matcher.rules.exposure
    cap = exposure.daily_cap_per_package
    depth = k + (k if cap is not None else 0)  # spare candidates replace what the cap withholds
    investor_rows = np.array([matcher.state.investor_row(i) for i in investor_ids], dtype=np.int64)
    investor_lists = rank_investor_rows(matcher, investor_rows, depth, on_progress)
    live_rows = live_package_rows(matcher)
    buyer_lists = rank_buyer_rows(matcher, live_rows, buyers_k, on_progress)
    lists, capped = apply_daily_cap(investor_lists, k, cap)
    if cap is not None:
        lists = refill_capped(matcher, investor_rows, lists, k, cap)
    lifted, unmet = apply_floor(
        lists, investor_rows, live_rows, buyer_lists, exposure, diversity_check(matcher)
    )
    package_ids, investor_id_map = matcher.model.package_ids, matcher.model.investor_ids
    investors = {i: package_ids.ids(row[row >= 0]) for i, row in zip(investor_ids, lists, strict=True)}
    return PushResult(
        investors=investors,
        packages={
            p: investor_id_map.ids(row[row >= 0])
            for p, row in zip(package_ids.ids(live_rows), buyer_lists.rows, strict=True)
        },
        floor_lifted=lifted,
        floor_unmet=unmet,
        capped=capped,
        below_floor=tuple(floor_shortfalls(matcher, investors, package_ids.ids(live_rows))) if unmet else (),
        floor_top_k=exposure.floor_top_k,
        empty_cross_border=_emptied_by_cross_border(matcher, investor_rows, lists),
    )


def _emptied_by_cross_border(matcher: Matcher, investor_rows: np.ndarray, lists: np.ndarray) -> int:
    """Foreign institutions whose list is empty while ``cross_border_only`` is on."""
    if not matcher.rules.eligibility.cross_border_only or not len(investor_rows):
        return 0
    foreign = matcher.state.audience.columns["type"][investor_rows] == FOREIGN
    return int((foreign & ((lists >= 0).sum(axis=1) == 0)).sum())


def live_package_rows(matcher: Matcher) -> np.ndarray:
    """Indexed listings live now under the hard rules (closing-soon tightening included)."""
    state = matcher.state
    today = state.advance(None)
    rows = matcher.model.package_index.stored_rows()
    package = matcher.package_attributes(rows)
    live = servable(matcher.compiled(), package, today)
    return np.sort(rows[live])


def _pool(matcher: Matcher, k: int) -> int:
    return max(k, min(matcher.rules.candidates, max(2 * k, k + 50)))


def _packed(results: list, width: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.full((len(results), width), -1, dtype=np.int64)
    scores = np.zeros((len(results), width), dtype=np.float64)
    for position, result in enumerate(results):
        rows[position, : len(result.rows)] = result.rows
        scores[position, : len(result.rows)] = result.scores
    return rows, scores


def refill_capped(
    matcher: Matcher, investor_rows: np.ndarray, lists: np.ndarray, k: int, cap: int
) -> np.ndarray:
    """Lists the cap left short get their next candidates among listings still under the cap."""
    for _ in range(3):
        short = np.flatnonzero((lists >= 0).sum(axis=1) < k)
        if not len(short):
            break
        full = np.bincount(lists[lists >= 0], minlength=len(matcher.model.package_ids)) >= cap
        held = [row[row >= 0] for row in lists[short]]
        more = rank_investor_rows(matcher, investor_rows[short], k, None, blocked=full, held=held)
        trial = lists.copy()
        for n, position in enumerate(short.tolist()):
            combined = np.concatenate([held[n], more.rows[n][more.rows[n] >= 0]])[:k]
            trial[position] = -1
            trial[position, : len(combined)] = combined
        before = int((lists >= 0).sum())
        trial, _ = apply_daily_cap(
            Lists(trial, np.zeros(trial.shape)), k, cap
        )  # earlier places keep priority
        if int((trial >= 0).sum()) <= before:
            break
        lists = trial
    return lists


def rank_investor_rows(
    matcher: Matcher,
    investor_rows: np.ndarray,
    depth: int,
    on_progress: Progress | None,
    blocked: np.ndarray | None = None,
    held: list[np.ndarray] | None = None,
) -> Lists:
    """Each investor's top ``depth`` listing rows under eligibility, blend, boosts and diversity.

    ``blocked`` (a mask over package rows) and ``held`` (rows per investor) are left out too.
    """
    state, model = matcher.state, matcher.model
    compiled = matcher.compiled()
    today = state.advance(None)
    pool = _pool(matcher, depth)
    live = live_package_rows(matcher)
    every = np.zeros(len(model.package_ids), dtype=bool)
    every[live] = True
    catalogue = state.catalogue.columns
    licence = np.zeros(len(model.package_ids), dtype=bool)
    licence[live] = (
        (catalogue["seller_type"][live] == _BANK)
        & (catalogue["asset_class"][live] == _CREDIT)
        & (catalogue["loans"][live] >= compiled.licence_min_loans)
    )
    if blocked is not None:
        every &= ~blocked[: len(every)]
    allowed_unlicensed = every & ~licence
    licensed = state.audience.columns["licensed"][investor_rows]
    out_rows = np.full((len(investor_rows), depth), -1, dtype=np.int64)
    out_scores = np.full((len(investor_rows), depth), -np.inf, dtype=np.float64)
    ids = model.investor_ids
    for is_licensed in (True, False):
        group = np.flatnonzero(licensed == is_licensed)
        allowed = every if is_licensed else allowed_unlicensed
        for start in range(0, len(group), BATCH):
            positions = group[start : start + BATCH]
            rows = investor_rows[positions]
            query_ids = ids.ids(rows)
            exclude = [_never_rows(state.never_again.get(i), model.package_ids) for i in query_ids]
            if held is not None:
                exclude = [
                    np.concatenate([e, held[p]]) for e, p in zip(exclude, positions.tolist(), strict=True)
                ]
            search = partial(_search, model.package_index, model.investor_vectors[rows], allowed, exclude)
            rerank = partial(_rerank_investor_queries, matcher, rows, query_ids, depth, today)
            exact = partial(_exact_investor, matcher, rows, query_ids, allowed, pool, depth, today)
            chosen_rows, chosen_scores = _escalating(
                search, rerank, exact, len(rows), pool, depth, len(model.package_index)
            )
            out_rows[positions], out_scores[positions] = chosen_rows, chosen_scores
            if on_progress:
                on_progress(len(positions))
    return Lists(out_rows, out_scores)


def _rerank_investors(
    matcher: Matcher,
    rows: np.ndarray,
    query_ids: list[str],
    candidates: np.ndarray,
    scores: np.ndarray,
    depth: int,
    today: float,
) -> tuple[np.ndarray, np.ndarray]:
    compiled, rules = matcher.compiled(), matcher.rules
    investor = matcher.investor_attributes(rows[:, None])
    package = matcher.package_attributes(np.maximum(candidates, 0))
    related = None
    blocked = [
        (n, compiled.related_by_investor[i])
        for n, i in enumerate(query_ids)
        if i in compiled.related_by_investor
    ]
    if blocked:
        related = np.zeros(candidates.shape, dtype=bool)
        for n, sellers in blocked:
            related[n] = np.isin(package["seller"][n], sellers)
    codes = removal_codes(compiled, investor, package, today, candidates.shape, None, related)
    codes[candidates < 0] = CODE["not_live"]
    parts = score_parts(rules, investor, package, scores, codes == 0, today)
    chosen = select(parts.score, codes, depth, rules.diversity, package)
    return _gather(candidates, parts.score, chosen)


def rank_buyer_rows(
    matcher: Matcher, package_rows: np.ndarray, k: int, on_progress: Progress | None
) -> Lists:
    """Each listing's top ``k`` investor rows under the rules in reverse."""
    state, model = matcher.state, matcher.model
    compiled = matcher.compiled()
    today = state.advance(None)
    pool = _pool(matcher, k)
    known = state.audience.columns["known"][: len(model.investor_ids)]
    licensed = known & state.audience.columns["licensed"][: len(model.investor_ids)]
    catalogue = state.catalogue.columns
    needs_licence = (
        (catalogue["seller_type"][package_rows] == _BANK)
        & (catalogue["asset_class"][package_rows] == _CREDIT)
        & (catalogue["loans"][package_rows] >= compiled.licence_min_loans)
    )
    out_rows = np.full((len(package_rows), k), -1, dtype=np.int64)
    out_scores = np.full((len(package_rows), k), -np.inf, dtype=np.float64)
    for licence_group in (True, False):
        group = np.flatnonzero(needs_licence == licence_group)
        allowed = licensed if licence_group else known
        for start in range(0, len(group), BATCH):
            positions = group[start : start + BATCH]
            rows = package_rows[positions]
            query_ids = model.package_ids.ids(rows)
            exclude = [_never_rows(state.never_by_package.get(p), model.investor_ids) for p in query_ids]
            search = partial(_search, model.investor_index, model.package_vectors[rows], allowed, exclude)
            rerank = partial(_rerank_buyer_queries, matcher, rows, k, today)
            exact = partial(_exact_buyers, matcher, rows, query_ids, allowed, pool, k, today)
            chosen_rows, chosen_scores = _escalating(
                search, rerank, exact, len(rows), pool, k, len(model.investor_index)
            )
            out_rows[positions], out_scores[positions] = chosen_rows, chosen_scores
            if on_progress:
                on_progress(len(positions))
    return Lists(out_rows, out_scores)


def _search(
    index: VectorIndex,
    vectors: np.ndarray,
    allowed: np.ndarray,
    exclude: list[np.ndarray],
    queries: np.ndarray,
    width: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The top ``width`` allowed rows for some of a batch's queries, packed (``-1`` padded)."""
    found = index.search(vectors[queries], width, allowed, [exclude[q] for q in queries])
    return _packed(found, width)


def _rerank_investor_queries(
    matcher: Matcher,
    rows: np.ndarray,
    query_ids: list[str],
    depth: int,
    today: float,
    queries: np.ndarray,
    candidates: np.ndarray,
    scores: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    return _rerank_investors(
        matcher, rows[queries], [query_ids[q] for q in queries], candidates, scores, depth, today
    )


def _exact_investor(
    matcher: Matcher,
    rows: np.ndarray,
    query_ids: list[str],
    allowed: np.ndarray,
    pool: int,
    depth: int,
    today: float,
    query: int,
) -> tuple[np.ndarray, np.ndarray]:
    """One investor's list searched over the listings it may be shown, and only those."""
    model = matcher.model
    investor = matcher.investor_attributes(np.int64(rows[query]))
    pool_rows = np.flatnonzero(allowed)
    eligible = matcher.package_codes(query_ids[query], investor, pool_rows, today)[0] == 0
    mask = np.zeros(len(model.package_ids), dtype=bool)
    mask[pool_rows[eligible]] = True
    (found,) = model.package_index.search(model.investor_vectors[rows[query]][None], pool, mask)
    candidates, scores = _packed([found], pool)
    chosen, values = _rerank_investors(
        matcher, rows[query : query + 1], [query_ids[query]], candidates, scores, depth, today
    )
    return chosen[0], values[0]


def _rerank_buyer_queries(
    matcher: Matcher,
    rows: np.ndarray,
    k: int,
    today: float,
    queries: np.ndarray,
    candidates: np.ndarray,
    scores: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    return _rerank_buyers(matcher, rows[queries], candidates, scores, k, today)


def _exact_buyers(
    matcher: Matcher,
    rows: np.ndarray,
    query_ids: list[str],
    allowed: np.ndarray,
    pool: int,
    k: int,
    today: float,
    query: int,
) -> tuple[np.ndarray, np.ndarray]:
    """One listing's buyers searched over the investors who may buy it, and only those."""
    model = matcher.model
    package = matcher.package_attributes(np.int64(rows[query]))
    pool_rows = np.flatnonzero(allowed)
    eligible = matcher.investor_codes(query_ids[query], package, pool_rows, today)[0] == 0
    mask = np.zeros(len(model.investor_ids), dtype=bool)
    mask[pool_rows[eligible]] = True
    (found,) = model.investor_index.search(model.package_vectors[rows[query]][None], pool, mask)
    candidates, scores = _packed([found], pool)
    chosen, values = _rerank_buyers(matcher, rows[query : query + 1], candidates, scores, k, today)
    return chosen[0], values[0]


def _escalating(
    search: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]],
    rerank: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    exact: Callable[[int], tuple[np.ndarray, np.ndarray]],
    count: int,
    pool: int,
    depth: int,
    indexed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank ``count`` queries; those the rules leave short are searched again wider, then exactly.

    ``search(queries, width)`` gives candidates and model scores, ``rerank`` the chosen rows and
    scores, ``exact(query)`` one query searched over its eligible rows only. A query whose search
    came back with fewer than ``width`` candidates has seen every allowed row and stays as it is.
    """
    everyone = np.arange(count)
    candidates, scores = search(everyone, pool)
    rows, values = rerank(everyone, candidates, scores)
    short = everyone[((rows >= 0).sum(axis=1) < depth) & ((candidates >= 0).sum(axis=1) == pool)]
    wide = min(pool * WIDEN, indexed)
    if len(short) and wide > pool:
        candidates, scores = search(short, wide)
        wider_rows, wider_values = rerank(short, candidates, scores)
        rows[short], values[short] = wider_rows, wider_values
        short = short[((wider_rows >= 0).sum(axis=1) < depth) & ((candidates >= 0).sum(axis=1) == wide)]
    for query in short.tolist():
        rows[query], values[query] = exact(query)
    return rows, values


def _rerank_buyers(
    matcher: Matcher, rows: np.ndarray, candidates: np.ndarray, scores: np.ndarray, k: int, today: float
) -> tuple[np.ndarray, np.ndarray]:
    compiled, rules, model = matcher.compiled(), matcher.rules, matcher.model
    package = matcher.package_attributes(rows[:, None])
    investor = matcher.investor_attributes(np.maximum(candidates, 0))
    related = None
    sellers = package["seller"][:, 0]
    blocked = [
        (n, compiled.related_by_seller[int(s)])
        for n, s in enumerate(sellers.tolist())
        if int(s) in compiled.related_by_seller
    ]
    if blocked:
        related = np.zeros(candidates.shape, dtype=bool)
        for n, investor_ids in blocked:
            marked = model.investor_ids.rows_or_missing(sorted(investor_ids))
            related[n] = np.isin(candidates[n], marked[marked >= 0])
    codes = removal_codes(compiled, investor, package, today, candidates.shape, None, related)
    codes[candidates < 0] = CODE["not_live"]
    parts = score_parts(rules, investor, package, scores, codes == 0, today)
    chosen = select(parts.score, codes, k, NO_DIVERSITY, {})
    return _gather(candidates, parts.score, chosen)


def _gather(candidates: np.ndarray, scores: np.ndarray, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    valid = chosen >= 0
    safe = np.maximum(chosen, 0)
    rows = np.where(valid, np.take_along_axis(candidates, safe, axis=1), -1)
    values = np.where(
        valid, np.take_along_axis(np.broadcast_to(scores, candidates.shape), safe, axis=1), -np.inf
    )
    return rows, values


def _never_rows(pairs: dict[str, str] | None, ids) -> np.ndarray:  # type: ignore[no-untyped-def]
    if not pairs:
        return np.empty(0, dtype=np.int64)
    rows = ids.rows_or_missing(list(pairs))
    return rows[rows >= 0]


def apply_daily_cap(lists: Lists, k: int, cap: int | None) -> tuple[np.ndarray, int]:
    """Each investor's top ``k`` with no listing in more than ``cap`` lists; and how many were capped.

    Where a listing is over the cap, the investors who rank it highest (then score it highest)
    keep it; the others move up their next candidates. Repeated until nothing is over.
    """
    rows = lists.rows
    valid = rows >= 0
    capped: set[int] = set()
    for _ in range(CAP_ROUNDS if cap is not None else 0):
        position = np.cumsum(valid, axis=1)
        in_top = valid & (position <= k)
        packages = rows[in_top]
        counts = np.bincount(packages, minlength=int(rows.max()) + 1 if rows.size else 0)
        over = np.flatnonzero(counts > cap)
        if not len(over):
            break
        capped.update(over.tolist())
        investor, slot = np.nonzero(in_top)
        hit = np.isin(packages, over)
        investor, slot, packages = investor[hit], slot[hit], packages[hit]
        score = lists.scores[investor, slot]
        order = np.lexsort((-score, position[investor, slot], packages))
        packages_sorted = packages[order]
        starts = np.searchsorted(packages_sorted, packages_sorted, side="left")
        rank = np.arange(len(order)) - starts
        drop = order[rank >= cap]
        valid[investor[drop], slot[drop]] = False
    position = np.cumsum(valid, axis=1)
    keep = valid & (position <= k)
    out = np.full((len(rows), k), -1, dtype=np.int64)
    investor, slot = np.nonzero(keep)
    out[investor, position[investor, slot] - 1] = rows[investor, slot]
    return out, len(capped)


def apply_floor(
    lists: np.ndarray,
    investor_rows: np.ndarray,
    live_rows: np.ndarray,
    buyers: Lists,
    exposure: Exposure,
    diversity_fits: Callable[[np.ndarray], bool] | None = None,
) -> tuple[int, int]:
    """Lift live listings below the floor into interested investors' top lists (in place).

    ``lists`` holds the top k package rows of the investors at ``investor_rows``; ``buyers``
    the ranked eligible buyers of each of ``live_rows``. Interested investors are tried in
    two rounds: first each listing's own buyers, best first; then investors who already hold
    the listing further down their list (beyond the top), the highest-placed first. Returns
    how many listings were lifted and how many are still below the floor.
    """
    top_k = min(exposure.floor_top_k, lists.shape[1])
    if exposure.floor_investors <= 0 or top_k <= 0 or not len(live_rows) or not len(lists):
        return 0, 0
    floor = _Floor(
        lists, top_k, max(int(lists.max()) + 1, int(live_rows.max()) + 1), exposure, diversity_fits
    )
    position_of = {row: n for n, row in enumerate(investor_rows.tolist())}
    most = max(top_k - 1, 1)  # a lifted listing never takes every place of a top, unless it has one
    limits = sorted({min(limit, most) for limit in (FLOOR_SLOTS_PER_INVESTOR, top_k // 2, most)})
    for limit in (limit for limit in limits if limit > 0):
        floor.allow(limit)
        below = floor.below(live_rows)
        if not len(below):
            break
        for package_position in below.tolist():
            package = int(live_rows[package_position])
            for investor_row in buyers.rows[package_position].tolist():
                if (
                    investor_row < 0
                    or not floor.wants(package)
                    or floor.lift(package, position_of.get(investor_row))
                ):
                    break
        _lift_from_the_tail(floor, live_rows)
    floor.write_back()
    return len(floor.lifted), int(len(floor.below(live_rows)))


def _lift_from_the_tail(floor: _Floor, live_rows: np.ndarray) -> None:
    """Lift listings still below the floor from further down the lists that hold them."""
    still_below = np.zeros(floor.size, dtype=bool)
    still_below[live_rows[floor.below(live_rows)]] = True
    if not still_below.any():
        return
    current = floor.current()
    tail = current[:, floor.top_k :]
    holders, places = np.nonzero(still_below[np.maximum(tail, 0)] & (tail >= 0))
    for place in np.argsort(places, kind="stable").tolist():
        package = int(tail[holders[place], places[place]])
        if floor.wants(package):
            floor.lift(package, int(holders[place]))


class _Floor:
    """The state of the floor's lifts: listings in each top, lifts per investor, edited lists."""

    def __init__(
        self,
        lists: np.ndarray,
        top_k: int,
        size: int,
        exposure: Exposure,
        diversity_fits: Callable[[np.ndarray], bool] | None,
    ) -> None:
        self.lists, self.top_k, self.size = lists, top_k, size
        self.floor, self.cap = exposure.floor_investors, exposure.daily_cap_per_package
        self.diversity_fits = diversity_fits
        top = lists[:, :top_k]
        self.in_top = np.bincount(top[top >= 0], minlength=size).tolist()
        self.everywhere = np.bincount(lists[lists >= 0], minlength=size).tolist()
        self.lifts: dict[int, int] = {}
        self.edited: dict[int, list[int]] = {}
        self.limit = FLOOR_SLOTS_PER_INVESTOR
        self.capacity = self.limit * len(lists)
        self.lifted: set[int] = set()

    def allow(self, limit: int) -> None:
        """Allow up to ``limit`` lifted listings per investor from now on."""
        self.capacity = limit * len(self.lists) - sum(self.lifts.values())
        self.limit = limit

    def current(self) -> np.ndarray:
        """The lists with the lifts so far."""
        out = self.lists.copy()
        for n, row in self.edited.items():
            out[n] = row
        return out

    def below(self, live_rows: np.ndarray) -> np.ndarray:
        """Positions in ``live_rows`` of the listings below the floor."""
        return np.flatnonzero(np.asarray(self.in_top)[live_rows] < self.floor)

    def wants(self, package: int) -> bool:
        return self.in_top[package] < self.floor and self.capacity > 0

    def lift(self, package: int, n: int | None) -> bool:
        """Try to lift ``package`` into investor ``n``'s top; True when the cap forbids any more."""
        used = self.lifts.get(n, 0) if n is not None else self.limit
        if used >= self.limit:
            return False
        row = self.edited.get(n)  # type: ignore[arg-type]
        if row is None:
            row = self.edited[n] = self.lists[n].tolist()  # type: ignore[index]
        held = row.index(package) if package in row else -1
        top_k, in_top = self.top_k, self.in_top
        if 0 <= held < top_k:
            return False
        if row[top_k - 1] >= 0 and in_top[row[top_k - 1 - used]] <= self.floor:
            return False  # the listing it would push out of the top would fall below its own floor
        if held < 0 and self.cap is not None and self.everywhere[package] >= self.cap:
            return True
        new_row, displaced = _lifted(row, package, top_k, used)
        if self.diversity_fits is not None and not self.diversity_fits(np.asarray(new_row[: len(row)])):
            return False
        if held < 0:  # the list grew by one: its last listing drops off the end
            self.everywhere[package] += 1
            if new_row[len(row)] >= 0:
                self.everywhere[new_row[len(row)]] -= 1
        self.edited[n] = new_row[: len(row)]  # type: ignore[index]
        in_top[package] += 1
        if displaced >= 0:
            in_top[displaced] -= 1
        self.lifts[n] = used + 1  # type: ignore[index]
        self.capacity -= 1
        self.lifted.add(package)
        return False

    def write_back(self) -> None:
        for n, row in self.edited.items():
            self.lists[n] = row


def _lifted(row: list[int], package: int, top_k: int, lifts: int) -> tuple[list[int], int]:
    """``row`` with ``package`` lifted into its top ``top_k``, and the listing that drops out of it.

    Lifted listings sit at the bottom of the top: the newest lift goes just above the earlier
    ones, and the last listing the ranking itself put in the top moves down one place.
    """
    rest = [r for r in row if r != package]
    filled = sum(1 for r in rest if r >= 0)
    if filled < top_k:  # a short list: the listing takes the first empty place
        return rest[:filled] + [package] + rest[filled:], -1
    organic_end = top_k - lifts
    displaced = rest[organic_end - 1]
    return rest[: organic_end - 1] + [package] + rest[organic_end:top_k] + [displaced] + rest[
        top_k:
    ], displaced


def diversity_check(matcher: Matcher) -> Callable[[np.ndarray], bool] | None:
    """Whether a list of package rows keeps the rule set's diversity caps (None: no caps)."""
    return caps_check(matcher.rules.diversity, matcher.state.catalogue.columns)


_BANK = SELLER_TYPES.index("bank")
_CREDIT = ASSET_CLASSES.index("credit")
