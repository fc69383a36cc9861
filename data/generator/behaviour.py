"""The feedback log: impressions, views, favourites, due-diligence requests, bids and wins.

For each chunk of packages an audience is drawn (``audience``), every candidate gets an
impression, and the funnel below it is drawn from the true propensities (``propensity``).
All draws are vectorised over the chunk's investor/package pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from data.contract import EVENT_TYPES, PACKAGE_STATUSES

from . import propensity
from .audience import AudienceIndex, draw_audience
from .clock import DAY, HOUR
from .listings import CLOSED, Listings
from .propensity import PackageFeatures
from .truth import MarketTruth

IMPRESSION, VIEW, FAVORITE, DD_REQUEST, BID, WIN, DISMISS = (EVENT_TYPES.index(t) for t in EVENT_TYPES)

# Funnel below a view, as logit offsets on the interest (bidders favourite and ask for files more).
FAVORITE_OFFSET = -4.0
DD_REQUEST_OFFSET = -5.0
HESITANT_DD_BOOST = 2.2
BIDDER_FAVORITE_RATE = 0.5
BIDDER_DD_RATE = (0.45, 0.95)  # (confident, hesitant)
DISMISS_RATE = 0.07
EXTRA_VIEWS = (0.15, 1.5)  # mean revisits (casual viewer, engaged viewer)
DWELL_MEDIAN_SECONDS = 40.0
PACKAGES_PER_CHUNK = 10_000
# Chance that a circle member shown a package passes it on to each circle-mate (word of mouth).
CIRCLE_TIP_RATE = 0.5


@dataclass
class EventArrays:
    """Columns of an event log as arrays (investor/package rows, event type codes, seconds)."""

    investor: np.ndarray
    package: np.ndarray
    event_type: np.ndarray
    occurred_s: np.ndarray
    amount: np.ndarray
    dwell: np.ndarray

    @classmethod
    def concat(cls, parts: list[EventArrays]) -> EventArrays:
        """All parts as one log (an empty log if there are none)."""
        if not parts:
            empty_i = np.zeros(0, dtype=np.int64)
            return cls(empty_i, empty_i, empty_i.astype(np.int8), empty_i, np.zeros(0), np.zeros(0))
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))

    def take(self, rows: np.ndarray) -> EventArrays:
        """A subset or reordering of the rows."""
        return EventArrays(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


def _events(
    inv: np.ndarray,
    pkg: np.ndarray,
    kind: int,
    t: np.ndarray,
    amount: np.ndarray | None = None,
    dwell: np.ndarray | None = None,
) -> EventArrays:
    n = len(inv)
    return EventArrays(
        investor=inv.astype(np.int32),
        package=pkg.astype(np.int32),
        event_type=np.full(n, kind, dtype=np.int8),
        occurred_s=t.astype(np.int64),
        amount=np.full(n, np.nan) if amount is None else amount,
        dwell=np.full(n, np.nan) if dwell is None else dwell,
    )


def _dwell(rng: np.random.Generator, logit: np.ndarray) -> np.ndarray:
    """Seconds spent on a listing page: lognormal, longer for packages the investor likes."""
    base = rng.lognormal(np.log(DWELL_MEDIAN_SECONDS), 0.9, len(logit))
    return np.maximum(np.round(base * np.exp(0.25 * np.clip(logit, -4.0, 4.0))), 1.0)


def _bid_amounts(
    rng: np.random.Generator, reserve: np.ndarray, capital: np.ndarray, logit: np.ndarray
) -> np.ndarray:
    """Bids at or a little above the reserve (keener bidders go higher), within the bidder's capital."""
    premium = 0.005 + rng.exponential(0.03, len(reserve)) + 0.04 * expit(logit)
    amount = np.ceil(reserve * (1.0 + premium) / 100.0) * 100.0
    return np.where(amount > capital, np.maximum(reserve, np.floor(capital / 100.0) * 100.0), amount)


@dataclass(frozen=True)
class _Funnel:
    """Which impressions went on to each later step (one flag per pair)."""

    viewed: np.ndarray
    dismissed: np.ndarray
    favorite: np.ndarray
    dd_request: np.ndarray
    bid: np.ndarray


def _draw_funnel(
    rng: np.random.Generator,
    p_view: np.ndarray,
    p_bid: np.ndarray,
    logit: np.ndarray,
    hesitant: np.ndarray,
    withdrawn: np.ndarray,
) -> _Funnel:
    """Draw each pair's path below its impression; bids use exactly the true bid propensity."""
    u = rng.random((len(logit), 5))
    viewed = u[:, 0] < p_view
    bid = viewed & (u[:, 1] < p_bid) & ~withdrawn
    favorite = viewed & (u[:, 2] < np.where(bid, BIDDER_FAVORITE_RATE, expit(logit + FAVORITE_OFFSET)))
    p_dd = np.where(
        bid,
        np.where(hesitant, BIDDER_DD_RATE[1], BIDDER_DD_RATE[0]),
        expit(logit + DD_REQUEST_OFFSET + HESITANT_DD_BOOST * hesitant),
    )
    return _Funnel(
        viewed=viewed,
        dismissed=~viewed & (u[:, 4] < DISMISS_RATE),
        favorite=favorite,
        dd_request=viewed & (u[:, 3] < p_dd),
        bid=bid,
    )


def _funnel_times(
    rng: np.random.Generator, funnel: _Funnel, listed: np.ndarray, closes: np.ndarray
) -> dict[int, np.ndarray]:
    """Seconds of each step per pair, in order and inside the listing window.

    Impressions come early in the window, views minutes later, favourites hours later, document
    requests a day or two later, and bids towards the close.
    """
    n = len(listed)
    span = closes - listed
    t_imp = listed + np.floor(span * 0.9 * rng.random(n) ** 1.4).astype(np.int64)
    t_view = np.minimum(t_imp + 5 + rng.exponential(600.0, n).astype(np.int64), closes - HOUR // 2)
    t_fav = np.minimum(t_view + 30 + rng.exponential(2.0 * HOUR, n).astype(np.int64), closes - 1200)
    t_dd = np.minimum(t_view + 60 + rng.exponential(1.5 * DAY, n).astype(np.int64), closes - 900)
    t_pre = np.maximum(
        t_view, np.maximum(np.where(funnel.favorite, t_fav, 0), np.where(funnel.dd_request, t_dd, 0))
    )
    return {
        IMPRESSION: t_imp,
        VIEW: t_view,
        DISMISS: t_imp + 2 + rng.exponential(30.0, n).astype(np.int64),
        FAVORITE: t_fav,
        DD_REQUEST: t_dd,
        BID: t_pre + np.floor(rng.beta(2.0, 1.3, n) * (closes - 60 - t_pre)).astype(np.int64),
    }


def _revisits(
    rng: np.random.Generator, funnel: _Funnel, t_view: np.ndarray, closes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Repeat views: engaged viewers come back to a listing more often before it closes."""
    engaged = funnel.favorite | funnel.dd_request | funnel.bid
    counts = np.where(funnel.viewed, rng.poisson(np.where(engaged, EXTRA_VIEWS[1], EXTRA_VIEWS[0])), 0)
    pair = np.repeat(np.arange(len(t_view)), counts)
    room = closes[pair] - 60 - t_view[pair]
    return pair, t_view[pair] + np.floor(rng.random(len(pair)) * room).astype(np.int64)


def simulate_chunk(
    rng: np.random.Generator,
    truth: MarketTruth,
    feats: PackageFeatures,
    listings: Listings,
    index: AudienceIndex,
    rows: np.ndarray,
    region: np.ndarray,
    end_s: int,
    registered_s: np.ndarray | None = None,
) -> EventArrays:
    """The event log of packages ``rows`` (contiguous package rows listed before ``end_s``).

    ``registered_s`` (sign-up second of each investor) is needed only when the truth has
    co-bidding circles, whose members pass packages on to each other.
    """
    local, inv = draw_audience(
        rng,
        index,
        listings.listed_s[rows],
        feats.asset_type[rows],
        region[rows],
        feats.log_reserve[rows],
        feats.licence_required[rows],
        feats.cross_border[rows],
    )
    if truth.circle_of is not None and registered_s is not None:
        local, inv = _circle_tips(rng, truth.circle_of, registered_s, listings.listed_s[rows], local, inv)
    pkg = rows[local]
    logit = propensity.interest_logit(truth, inv, feats, pkg)
    funnel = _draw_funnel(
        rng,
        propensity.view_probability(truth, inv, logit),
        propensity.bid_probability_given_view(truth, inv, feats, pkg, logit),
        logit,
        truth.hesitant_mask[inv],
        listings.status[pkg] == PACKAGE_STATUSES.index("withdrawn"),
    )
    closes = listings.closes_s[pkg]
    times = _funnel_times(rng, funnel, listings.listed_s[pkg], closes)
    again, t_again = _revisits(rng, funnel, times[VIEW], closes)

    viewed, dismissed, fav, dd, bid = (
        funnel.viewed,
        funnel.dismissed,
        funnel.favorite,
        funnel.dd_request,
        funnel.bid,
    )
    amounts = _bid_amounts(rng, feats.reserve[pkg[bid]], truth.capital_cny[inv[bid]], logit[bid])
    log = EventArrays.concat(
        [
            _events(inv, pkg, IMPRESSION, times[IMPRESSION]),
            _events(inv[viewed], pkg[viewed], VIEW, times[VIEW][viewed], dwell=_dwell(rng, logit[viewed])),
            _events(inv[again], pkg[again], VIEW, t_again, dwell=_dwell(rng, logit[again])),
            _events(inv[dismissed], pkg[dismissed], DISMISS, times[DISMISS][dismissed]),
            _events(inv[fav], pkg[fav], FAVORITE, times[FAVORITE][fav]),
            _events(inv[dd], pkg[dd], DD_REQUEST, times[DD_REQUEST][dd]),
            _events(inv[bid], pkg[bid], BID, times[BID][bid], amount=amounts),
        ]
    )
    log = log.take(np.flatnonzero(log.occurred_s < end_s))
    return EventArrays.concat([log, _wins(log, listings, end_s)])


def _circle_tips(
    rng: np.random.Generator,
    circle_of: np.ndarray,
    registered_s: np.ndarray,
    listed_s: np.ndarray,
    local: np.ndarray,
    inv: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The audience plus circle-mates tipped off by a member who was shown the package.

    Circles are what make co-bidding visible in the log: their members see the same packages
    (not only like them), so who acted together predicts who will act together again.
    """
    in_circle = np.flatnonzero(circle_of[inv] >= 0)
    if in_circle.size == 0:
        return local, inv
    order = np.argsort(circle_of, kind="stable")
    sorted_circles = circle_of[order]
    circle = circle_of[inv[in_circle]]
    start = np.searchsorted(sorted_circles, circle, side="left")
    size = np.searchsorted(sorted_circles, circle, side="right") - start
    source = np.repeat(in_circle, size)
    mate = order[np.repeat(start, size) + (np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size))]
    tipped = (rng.random(len(mate)) < CIRCLE_TIP_RATE) & (registered_s[mate] <= listed_s[local[source]])
    all_local = np.concatenate([local, local[source[tipped]]]).astype(np.int64)
    all_inv = np.concatenate([inv, mate[tipped]]).astype(np.int64)
    key = np.unique(all_local * len(circle_of) + all_inv)
    return key // len(circle_of), key % len(circle_of)


def _wins(log: EventArrays, listings: Listings, end_s: int) -> EventArrays:
    """At most one win per closed package: its highest bid (earliest on a tie), at closing time."""
    bids = np.flatnonzero(log.event_type == BID)
    closed = listings.status[log.package[bids]] == CLOSED
    closed &= listings.closes_s[log.package[bids]] <= end_s
    bids = bids[closed]
    if bids.size == 0:
        return EventArrays.concat([])
    pkg, amount, t = log.package[bids], log.amount[bids], log.occurred_s[bids]
    order = np.lexsort((t, -amount, pkg))
    first = np.ones(len(order), dtype=bool)
    first[1:] = pkg[order][1:] != pkg[order][:-1]
    best = bids[order[first]]
    return _events(
        log.investor[best],
        log.package[best],
        WIN,
        listings.closes_s[log.package[best]],
        amount=log.amount[best],
    )


def simulate_events(
    rng: np.random.Generator,
    truth: MarketTruth,
    feats: PackageFeatures,
    listings: Listings,
    index: AudienceIndex,
    region: np.ndarray,
    end_s: int,
    registered_s: np.ndarray | None = None,
) -> EventArrays:
    """The whole market's event log, package chunk by package chunk, sorted by time."""
    live = np.flatnonzero(listings.listed_s < end_s)
    parts = [
        simulate_chunk(
            rng, truth, feats, listings, index, live[start : start + PACKAGES_PER_CHUNK], region, end_s,
            registered_s,
        )
        for start in range(0, len(live), PACKAGES_PER_CHUNK)
    ]
    log = EventArrays.concat(parts)
    order = np.lexsort((log.event_type, log.investor, log.package, log.occurred_s))
    return log.take(order)
