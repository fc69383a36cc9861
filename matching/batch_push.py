"""The daily batch push through the rule set: every investor's list and every listing's buyers.

Both directions run the ranking kernel serving runs (``matching.kernel``), vectorised over
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

import numpy as np

from data.wording import count
from matching.eligibility import FOREIGN, needs_licence, servable
from matching.floor_shortfall import Shortfall, floor_shortfalls
from matching.kernel import BUYERS, PACKAGES, Direction, ranked_rows, widened
from matching.matcher import Matcher
from matching.rule_set import Exposure
from matching.selection import caps_check

BATCH = 2_048
FLOOR_SLOTS_PER_INVESTOR = 3
CAP_ROUNDS = 20
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
    state, size = matcher.state, len(matcher.model.package_ids)
    live = live_package_rows(matcher)
    every = np.zeros(size, dtype=bool)
    every[live] = True
    licence = np.zeros(size, dtype=bool)
    licence[live] = needs_licence(matcher.compiled(), matcher.package_attributes(live))
    if blocked is not None:
        every &= ~blocked[:size]
    licensed = state.audience.columns["licensed"][investor_rows]
    groups = [(licensed, every), (~licensed, every & ~licence)]
    ids = matcher.model.investor_ids.ids(investor_rows)
    exclude = [_never_rows(state.never_again.get(i), matcher.model.package_ids) for i in ids]
    if held is not None:
        exclude = [np.concatenate([e, h]) for e, h in zip(exclude, held, strict=True)]
    return _rank_queries(matcher, PACKAGES, investor_rows, groups, exclude, depth, on_progress)


def rank_buyer_rows(
    matcher: Matcher, package_rows: np.ndarray, k: int, on_progress: Progress | None
) -> Lists:
    """Each listing's top ``k`` investor rows under the rules in reverse."""
    state, size = matcher.state, len(matcher.model.investor_ids)
    known = state.audience.columns["known"][:size]
    licensed = known & state.audience.columns["licensed"][:size]
    needs = needs_licence(matcher.compiled(), matcher.package_attributes(package_rows))
    groups = [(needs, licensed), (~needs, known)]
    ids = matcher.model.package_ids.ids(package_rows)
    exclude = [_never_rows(state.never_by_package.get(p), matcher.model.investor_ids) for p in ids]
    return _rank_queries(matcher, BUYERS, package_rows, groups, exclude, k, on_progress)


def _rank_queries(
    matcher: Matcher,
    direction: Direction,
    query_rows: np.ndarray,
    groups: list[tuple[np.ndarray, np.ndarray]],
    exclude: list[np.ndarray],
    depth: int,
    on_progress: Progress | None,
) -> Lists:
    """Rank every query in batches, through the kernel, with the widening search.

    ``groups`` pairs a mask over the queries with the candidate rows they may be searched over
    (the market's hard rules as an allowed set: licence); ``exclude`` holds each query's rows
    that must never come back (never-again, rows it already holds).
    """
    today = matcher.state.advance(None)
    pool = _pool(matcher, depth)
    query_ids = matcher.ids(direction.query).ids(query_rows)
    out_rows = np.full((len(query_rows), depth), -1, dtype=np.int64)
    out_scores = np.full((len(query_rows), depth), -np.inf, dtype=np.float64)
    for members, allowed in groups:
        group = np.flatnonzero(members)
        for start in range(0, len(group), BATCH):
            positions = group[start : start + BATCH]
            batch = _Batch(matcher, direction, query_rows[positions], allowed, today, pool, depth)
            ids, never = [query_ids[p] for p in positions.tolist()], [exclude[p] for p in positions.tolist()]
            chosen_rows, chosen_scores = batch.rank(ids, never)
            out_rows[positions], out_scores[positions] = chosen_rows, chosen_scores
            if on_progress:
                on_progress(len(positions))
    return Lists(out_rows, out_scores)


@dataclass
class _Batch:
    """One batch of queries of one direction, searched over one allowed set."""

    matcher: Matcher
    direction: Direction
    rows: np.ndarray
    allowed: np.ndarray
    today: float
    pool: int
    depth: int

    def rank(self, ids: list[str], exclude: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The batch's lists: the kernel over its candidates, searched wider or exactly where short."""
        self.ids, self.exclude = ids, exclude
        indexed = self.matcher.indexed(self.direction.candidate)
        return widened(self.search, self.rerank, self.exact, len(self.rows), self.pool, self.depth, indexed)

    def search(self, queries: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
        """The top ``width`` allowed rows for some of the batch's queries, packed (``-1`` padded)."""
        ids, exclude = [self.ids[q] for q in queries.tolist()], [self.exclude[q] for q in queries.tolist()]
        found = self.matcher.state.retrieve(self.direction.query, ids, width, self.allowed, exclude)
        return _packed(found, width)

    def rerank(
        self, queries: np.ndarray, candidates: np.ndarray, scores: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        matcher, direction = self.matcher, self.direction
        query = matcher.attributes(direction.query, self.rows[queries][:, None])
        others = matcher.attributes(direction.candidate, np.maximum(candidates, 0))
        return ranked_rows(
            matcher.compiled(),
            direction,
            query,
            others,
            candidates,
            scores,
            matcher.model.investor_ids,
            self.today,
            self.depth,
        )

    def exact(self, query: int) -> tuple[np.ndarray, np.ndarray]:
        """One query searched over the allowed rows it may be shown, and only those."""
        attributes = self.matcher.attributes(self.direction.query, np.int64(self.rows[query]))
        among = np.flatnonzero(self.allowed)
        found = self.matcher.search_eligible(
            self.direction, self.ids[query], attributes, among, self.pool, self.today
        )
        chosen, values = self.rerank(np.array([query]), *_packed([found], self.pool))
        return chosen[0], values[0]


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
