"""Build every investor's profile from the market as it stood at ``now``, in one vectorised pass.

Coverage is total: an investor with no history gets the stated/type prior, so every investor
in the input has a profile. Only events with ``occurred_at <= now`` count, so a profile built
at a training cutoff never sees the future it will be evaluated on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from data.contract import (
    ASSET_TYPES,
    EVENT_FIELDS,
    INVESTOR_FIELDS,
    INVESTOR_TYPES,
    LIST_SEPARATOR,
    PACKAGE_FIELDS,
    PROVINCES,
    REGIONS,
    RISK_APPETITES,
    Field,
)
from profiles.activity import activity
from profiles.distributions import blend, normalised, observed_masses, prior_distributions
from profiles.errors import MissingColumnError
from profiles.event_weights import EventWeights
from profiles.hesitation import hesitation
from profiles.inputs import (
    EventArrays,
    InvestorArrays,
    PackageArrays,
    event_arrays,
    investor_arrays,
    package_arrays,
)
from profiles.priors import appetite_or_default, has_any, prior_ticket_log10, stated_shares
from profiles.profile import InvestorProfile
from profiles.scores import (
    asset_preference_index,
    concentration,
    liquidity_need,
    quick_close_score,
    risk_capacity,
    risky_packages,
    stability,
    weighted_package_mean,
)
from profiles.table import ProfileTable, extra_columns, summary_frame
from profiles.ticket import blended_ticket_log10, observed_ticket_log10, price_ratios, win_rate

Columns = dict[str, object]


@dataclass(frozen=True)
class Evidence:
    """Per-event strength and recency, and what they add up to per investor."""

    strength: np.ndarray  # per event, signed (dismiss < 0)
    recency: np.ndarray  # per event, in (0, 1]
    weight: np.ndarray  # strength x recency
    n_eff: np.ndarray  # per investor: sum of positive weights
    share: np.ndarray  # per investor: n_eff / (n_eff + prior_strength)


def build_profiles(
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    now: datetime,
    weights: EventWeights | None = None,
) -> ProfileTable:
    """Profiles of every investor in ``investors`` from the events that happened by ``now``.

    Parameters
    ----------
    investors, packages, events
        Contract-shaped frames (the columns of ``data.contract``; timestamps naive UTC).
        Events of investors or packages not in the frames are out of scope and skipped.
    now
        The cutoff: later events are ignored and recency is measured back from it.
    weights
        Event strengths, recency half-life and prior strength (defaults: ``EventWeights()``).
    """
    weights = weights or EventWeights()
    people = investor_arrays(investors)
    listings = package_arrays(packages)
    log = event_arrays(events, people, listings, now)
    evidence = weigh(log, weights, len(people))
    stated = {
        "asset_type": stated_shares(people.stated_types, ASSET_TYPES, "preferred_asset_types"),
        "province": stated_shares(people.stated_provinces, PROVINCES, "preferred_provinces"),
    }
    priors = prior_distributions(people, stated)
    observed = {
        d: normalised(m) for d, m in observed_masses(log, listings, evidence.weight, len(people)).items()
    }
    distributions = {d: blend(priors[d], observed[d], evidence.share) for d in priors}

    columns = identity_columns(people, stated, evidence)
    columns.update(ticket_columns(people, listings, log, evidence, weights.prior_strength))
    columns.update(score_columns(people, listings, log, evidence, distributions, columns))
    columns.update(hesitation_columns(listings, log, len(people)))
    acts = activity(log, len(people))
    columns.update(active_days=acts.active_days, days_since_last_action=acts.days_since_last_action)
    columns.update(extra_columns(distributions, stated, acts.event_counts))
    return ProfileTable(summary_frame(people.ids.tolist(), columns), distributions, observed, stated)


def weigh(log: EventArrays, weights: EventWeights, n_investors: int) -> Evidence:
    """Strength x recency per event; the strength-weighted history and behaviour share per investor."""
    strength = weights.strength_by_code()[log.type_code]
    recency = weights.recency(log.age_days)
    weight = strength * recency
    n_eff = np.bincount(log.investor, weights=np.maximum(weight, 0.0), minlength=n_investors)
    return Evidence(strength, recency, weight, n_eff, weights.behaviour_share(n_eff))


def identity_columns(people: InvestorArrays, stated: Mapping[str, np.ndarray], evidence: Evidence) -> Columns:
    """Who the investor is, what it stated, and how much history it has."""
    stated_anything = (
        has_any(stated["asset_type"])
        | has_any(stated["province"])
        | ~np.isnan(people.min_ticket)
        | ~np.isnan(people.max_ticket)
        | (people.appetite_code >= 0)
    )
    return {
        "investor_type": labels_or_none(people.type_code, INVESTOR_TYPES),
        "province": labels_or_none(people.province_code, PROVINCES),
        "home_region": labels_or_none(people.region_code, REGIONS),
        "licensed_amc": people.licensed_amc,
        "capital_cny": people.capital,
        "stated_min_ticket_cny": people.min_ticket,
        "stated_max_ticket_cny": people.max_ticket,
        "risk_appetite": labels_or_none(people.appetite_code, RISK_APPETITES),
        "is_cold": evidence.n_eff <= 0,
        "prior_source": np.where(stated_anything, "stated", "type").astype(object),
        "n_eff": evidence.n_eff,
        "behaviour_share": evidence.share,
    }


def ticket_columns(
    people: InvestorArrays,
    listings: PackageArrays,
    log: EventArrays,
    evidence: Evidence,
    prior_strength: float,
) -> Columns:
    """Typical ticket and range (blended), observed ticket, price ratios and win rate."""
    n = len(people)
    prior_band = prior_ticket_log10(people.type_code, people.capital, people.min_ticket, people.max_ticket)
    observed_band, mass = observed_ticket_log10(log, listings, evidence.strength, evidence.recency, n)
    band = blended_ticket_log10(prior_band, observed_band, mass, prior_strength)
    to_reserve, to_appraisal = price_ratios(log, listings, evidence.recency, n)
    return {
        "ticket_cny": 10.0 ** band[:, 0],
        "ticket_low_cny": 10.0 ** band[:, 1],
        "ticket_high_cny": 10.0 ** band[:, 2],
        "observed_ticket_cny": 10.0 ** observed_band[:, 0],
        "bid_to_reserve": to_reserve,
        "bid_to_appraisal": to_appraisal,
        "win_rate": win_rate(log, max(len(listings), 1), n),
    }


def score_columns(
    people: InvestorArrays,
    listings: PackageArrays,
    log: EventArrays,
    evidence: Evidence,
    distributions: Mapping[str, np.ndarray],
    columns: Columns,
) -> Columns:
    """The three market scores and their parts (needs the ticket columns already computed)."""
    n = len(people)
    risky = weighted_package_mean(log, risky_packages(listings).astype(np.float64), evidence.weight, n)
    quick = weighted_package_mean(log, quick_close_score(listings.window_days), evidence.weight, n)
    appetite = appetite_or_default(people.type_code, people.appetite_code)
    stable = stability(log, listings, evidence.strength, n)
    ticket_log10 = np.log10(np.asarray(columns["ticket_cny"], dtype=np.float64))
    return {
        "risk_capacity": risk_capacity(people.capital, people.type_code, appetite, risky, evidence.share),
        "asset_preference_index": asset_preference_index(distributions["asset_type"], stable),
        "liquidity_need": liquidity_need(
            distributions["region"], ticket_log10, people.type_code, quick, evidence.share
        ),
        "concentration": concentration(distributions["asset_type"]),
        "stability": stable,
        "risky_share": risky,
    }


def hesitation_columns(listings: PackageArrays, log: EventArrays, n_investors: int) -> Columns:
    """Hesitation score and flag, and what the investor's bids had in common."""
    doubts = hesitation(log, listings, n_investors)
    return {
        "hesitation": doubts.hesitation,
        "is_hesitant": doubts.is_hesitant,
        "intent_packages": doubts.intent_packages,
        "dd_packages": doubts.dd_packages,
        "bid_packages": doubts.bid_packages,
        "bid_dd_completeness": doubts.bid_dd_completeness,
        "intent_dd_completeness": doubts.intent_dd_completeness,
        "bid_appraisal_share": doubts.bid_appraisal_share,
    }


def labels_or_none(codes: np.ndarray, vocabulary: tuple[str, ...]) -> np.ndarray:
    """Vocabulary labels of codes, None where the code is -1 (not stated)."""
    labels = np.asarray((*vocabulary, None), dtype=object)
    return labels[np.where(codes >= 0, codes, len(vocabulary))]


def empty_frame(fields: tuple[Field, ...]) -> pd.DataFrame:
    """A zero-row frame with the contract's columns (timestamps typed, so cutoffs compare)."""
    return pd.DataFrame(
        {
            f.name: pd.Series([], dtype="datetime64[ms]" if f.kind in ("timestamp", "date") else object)
            for f in fields
        }
    )


def prior_profile(investor_row: Mapping[str, object], now: datetime | None = None) -> InvestorProfile:
    """The profile of an investor with no history: its stated preferences, else its type's prior.

    ``investor_row`` is one contract row (a mapping, e.g. a parsed CSV line or a store
    record); lists may be ``;``-joined strings or sequences, optional fields may be absent.
    """
    row = {}
    for field in INVESTOR_FIELDS:
        value = investor_row.get(field.name)
        if field.required and value is None and field.name in ("investor_id", "investor_type", "province"):
            raise MissingColumnError("investor row", field.name)
        if isinstance(value, list | tuple | set | frozenset):
            value = LIST_SEPARATOR.join(str(v) for v in value)
        row[field.name] = value
    investors = pd.DataFrame([row], dtype=object)
    for name in ("capital_cny", "min_ticket_cny", "max_ticket_cny"):
        investors[name] = pd.to_numeric(investors[name], errors="coerce").astype(np.float64)
    moment = now if now is not None else pd.Timestamp("1970-01-01")
    table = build_profiles(investors, empty_frame(PACKAGE_FIELDS), empty_frame(EVENT_FIELDS), moment)
    return table[table.investor_ids[0]]
