"""Assemble a whole market: investors, packages, the event log and the hidden truth.

Each part draws from its own random stream (spawned from the seed), so a change to, say, the
listing text never shifts the investors' behaviour, and the same seed gives the same market.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from data.contract import (
    ASSET_CLASSES,
    ASSET_TYPES,
    COLLATERAL_KINDS,
    EVENT_FIELDS,
    EVENT_TYPES,
    LITIGATION_STATUSES,
    PACKAGE_FIELDS,
    PACKAGE_STATUSES,
    PROVINCES,
    SELLER_TYPES,
)

from .audience import build_audience_index
from .behaviour import WIN, EventArrays, simulate_events
from .circles import Circles, draw_circles
from .clock import DEFAULT_END, as_datetimes, local_naive, to_seconds
from .geography import city_names, region_index_of_province
from .listings import CLOSED, Listings, draw_listings
from .population import Population, draw_population, investors_frame
from .propensity import PackageFeatures
from .scenarios import DEFAULT, Scenario, UnknownScenarioError, get_scenario
from .tastes import HiddenTastes, draw_tastes
from .text import listing_texts
from .truth import MarketTruth

# Named random streams, spawned from the seed in this order (a stream added at the end leaves
# the earlier ones, and so the default market, unchanged).
_STREAMS = ("population", "tastes", "profile", "listings", "text", "personal_data", "behaviour", "circles")


class GeneratorConfigError(ValueError):
    """Market sizes or seed that the generator cannot work with."""


@dataclass(frozen=True, eq=False)
class GeneratedMarket:
    """A synthetic market: the three contract tables plus the hidden truth behind them.

    Frames hold contract columns in contract order; timestamps are naive market-local pandas
    datetimes (``registered_at`` at midnight), missing optional values are NaN, list cells are
    ``;``-joined text and flags are bools.
    """

    investors: pd.DataFrame
    packages: pd.DataFrame
    events: pd.DataFrame
    truth: MarketTruth


def generate_market(
    n_investors: int,
    n_packages: int,
    seed: int,
    end: datetime | None = None,
    scenario: Scenario | str = DEFAULT,
) -> GeneratedMarket:
    """Generate a market of ``n_investors`` and ``n_packages`` whose history ends at ``end``.

    ``end`` (default ``DEFAULT_END``, a fixed date, so output stays reproducible) is "now" for
    the market: listings span the two years before it, packages closing after it are live
    (``active``/``upcoming``) and no event happens after it. ``scenario`` (a ``Scenario`` or a
    preset name from ``SCENARIOS``) decides what kind of platform is simulated; the default is
    today's market. Same arguments, same market.
    """
    if isinstance(scenario, str):
        try:
            scenario = get_scenario(scenario)
        except UnknownScenarioError as error:
            raise GeneratorConfigError(str(error)) from None
    if n_investors < 1 or n_packages < 1:
        raise GeneratorConfigError(
            f"need at least one investor and one package, got {n_investors}, {n_packages}"
        )
    if seed < 0:
        raise GeneratorConfigError(f"seed must be non-negative, got {seed}")
    end_moment = local_naive(DEFAULT_END if end is None else end)
    end_s = to_seconds(end_moment)
    streams = np.random.SeedSequence(seed).spawn(len(_STREAMS))
    rngs = {name: np.random.default_rng(s) for name, s in zip(_STREAMS, streams, strict=True)}

    population = draw_population(rngs["population"], n_investors, end_s)
    tastes = draw_tastes(
        rngs["tastes"], population.investor_type, population.province, population.capital, scenario
    )
    investors = investors_frame(rngs["profile"], population, tastes, scenario)

    listings = draw_listings(rngs["listings"], n_packages, end_s, scenario.regional_recovery)
    titles, descriptions = listing_texts(rngs["text"], rngs["personal_data"], listings)
    package_ids = np.array([f"PKG{j:0{max(7, len(str(n_packages)))}d}" for j in range(1, n_packages + 1)])
    circles = draw_circles(rngs["circles"], n_investors, n_packages, scenario)
    truth = _truth(seed, end_moment, population, tastes, package_ids, listings, scenario, circles)
    packages = packages_frame(package_ids, listings, titles, descriptions)

    feats = PackageFeatures.from_frame(
        packages, listings.sector, None if circles is None else circles.package_latent
    )
    region = region_index_of_province()
    index = build_audience_index(
        population.investor_type, region[population.province], population.registered_s, tastes.activity
    )
    log = simulate_events(
        rngs["behaviour"], truth, feats, listings, index, region[listings.province], end_s, population.registered_s
    )

    sold = np.zeros(n_packages, dtype=bool)
    sold[log.package[log.event_type == WIN]] = True
    status = np.where(
        listings.status == CLOSED,
        np.where(sold, PACKAGE_STATUSES.index("sold"), PACKAGE_STATUSES.index("unsold")),
        listings.status,
    )
    packages["status"] = np.asarray(PACKAGE_STATUSES, dtype=object)[status]
    events = events_frame(log, population.investor_ids, package_ids)
    return GeneratedMarket(investors=investors, packages=packages, events=events, truth=truth)


def _truth(
    seed: int,
    end: datetime,
    population: Population,
    tastes: HiddenTastes,
    package_ids: np.ndarray,
    listings: Listings,
    scenario: Scenario,
    circles: Circles | None,
) -> MarketTruth:
    """Collect the hidden state into a ``MarketTruth`` (arrays typed as they are saved)."""
    return MarketTruth(
        seed=int(seed),
        end=end.isoformat(),
        investor_ids=population.investor_ids,
        investor_type=population.investor_type.astype(np.int8),
        capital_cny=population.capital.astype(np.float64),
        licensed_amc=population.licensed_amc,
        taste_group=tastes.taste_group,
        blend=tastes.blend,
        hesitant_mask=tastes.hesitant_mask,
        dd_threshold=tastes.dd_threshold,
        ticket_centre=tastes.ticket_centre,
        ticket_width=tastes.ticket_width,
        risk_tolerance=tastes.risk_tolerance,
        price_sensitivity=tastes.price_sensitivity,
        bid_bias=tastes.bid_bias,
        activity=tastes.activity,
        type_weight=tastes.type_weight,
        province_weight=tastes.province_weight,
        sector_weight=tastes.sector_weight,
        group_region=tastes.group_region,
        group_type_weight=tastes.group_type_weight,
        group_province_weight=tastes.group_province_weight,
        group_sector_weight=tastes.group_sector_weight,
        package_ids=package_ids,
        package_sector=listings.sector.astype(np.int8),
        circle_of=None if circles is None else circles.circle_of,
        circle_taste=None if circles is None else circles.circle_taste,
        package_latent=None if circles is None else circles.package_latent,
        scenario=scenario.name,
        scenario_knobs=None if scenario == DEFAULT else scenario.knobs(),
    )


def _names(vocab: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    return np.asarray(vocab, dtype=object)[codes]


def packages_frame(
    package_ids: np.ndarray, listings: Listings, titles: list[str], descriptions: list[str]
) -> pd.DataFrame:
    """The packages table in contract column order (status still preliminary for closed ones)."""
    status = np.where(listings.status == CLOSED, PACKAGE_STATUSES.index("unsold"), listings.status)
    frame = pd.DataFrame(
        {
            "package_id": package_ids.astype(object),
            "title": titles,
            "seller_type": _names(SELLER_TYPES, listings.seller),
            "asset_class": _names(ASSET_CLASSES, listings.asset_class),
            "asset_type": _names(ASSET_TYPES, listings.asset_type),
            "province": _names(PROVINCES, listings.province),
            "city": city_names(listings.province, listings.city_index),
            "principal_cny": listings.principal,
            "claim_total_cny": listings.claim,
            "appraised_value_cny": listings.appraised,
            "reserve_price_cny": listings.reserve,
            "loan_count": listings.loan_count.astype(np.int64),
            "collateral": _names(COLLATERAL_KINDS, listings.collateral),
            "litigation_status": _names(LITIGATION_STATUSES, listings.litigation),
            "dd_completeness": listings.dd,
            "listed_at": as_datetimes(listings.listed_s),
            "closes_at": as_datetimes(listings.closes_s),
            "status": _names(PACKAGE_STATUSES, status),
            "description": descriptions,
            "cross_border_eligible": listings.cross_border.astype(bool),
            "seller_id": _seller_ids(listings),
        }
    )
    return frame[[f.name for f in PACKAGE_FIELDS]]


def _seller_ids(listings) -> np.ndarray:  # type: ignore[no-untyped-def]
    """One seller per seller type and province (a bank's provincial branch, a provincial court)."""
    types = _names(SELLER_TYPES, listings.seller)
    provinces = _names(PROVINCES, listings.province)
    return np.array([f"{t}-{p.lower()}" for t, p in zip(types, provinces, strict=True)], dtype=object)


def events_frame(log: EventArrays, investor_ids: np.ndarray, package_ids: np.ndarray) -> pd.DataFrame:
    """The events table in contract column order, numbered in time order."""
    n = len(log.investor)
    width = max(8, len(str(n)))
    frame = pd.DataFrame(
        {
            "event_id": [f"EV{i:0{width}d}" for i in range(1, n + 1)],
            "investor_id": investor_ids.astype(object)[log.investor],
            "package_id": package_ids.astype(object)[log.package],
            "event_type": _names(EVENT_TYPES, log.event_type),
            "occurred_at": as_datetimes(log.occurred_s),
            "amount_cny": log.amount,
            "dwell_seconds": log.dwell,
            "request_id": np.full(n, np.nan),
        }
    )
    return frame[[f.name for f in EVENT_FIELDS]]
