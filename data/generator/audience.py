"""Who is shown a package: a candidate audience drawn by coarse, visible segment weighting.

Platform pushes and browsing reach investors by what the platform can see (investor type and
home region against the package's asset type, size and region) and by how active they are.
Only investors already registered when the package is listed can be reached. Drawing a few
dozen candidates per package this way keeps the simulation linear in the number of packages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.contract import AMC_TYPES, INVESTOR_TYPES, REGIONS

from .tastes import TICKET_CENTRE, TYPE_PRIOR

# Mean impressions drawn per package (before duplicates collapse), at full platform size.
IMPRESSIONS_PER_PACKAGE = 19.0
# The platform grows: an early package reaches this share of a late one's audience at least.
EARLY_REACH = 0.35
PUSH_SHARPNESS = 0.8
SIZE_FIT_WIDTH = 1.2
HOME_REGION_BOOST = 2.5
UNLICENSED_BATCH_REACH = 0.3
FOREIGN_INELIGIBLE_REACH = 0.2

_AMC_CODES = [INVESTOR_TYPES.index(t) for t in AMC_TYPES]
_FOREIGN = INVESTOR_TYPES.index("foreign_institution")


@dataclass(frozen=True)
class AudienceIndex:
    """Investors grouped by segment (type x home region), each segment sorted by sign-up time.

    ``cum_activity`` is the running activity total in that order (with a leading zero), so the
    activity mass of a segment's first k investors is a difference of two entries.
    """

    order: np.ndarray
    seg_start: np.ndarray
    reg_sorted: np.ndarray
    cum_activity: np.ndarray
    seg_type: np.ndarray
    seg_region: np.ndarray
    reg_all: np.ndarray
    cum_all: np.ndarray

    @property
    def n_segments(self) -> int:
        return len(self.seg_type)


def build_audience_index(
    investor_type: np.ndarray, home_region: np.ndarray, registered_s: np.ndarray, activity: np.ndarray
) -> AudienceIndex:
    """Index investors for fast activity-weighted draws among those registered by a given time."""
    n_regions = len(REGIONS)
    segment = investor_type * n_regions + home_region
    n_segments = len(INVESTOR_TYPES) * n_regions
    order = np.lexsort((np.arange(len(segment)), registered_s, segment))
    seg_start = np.searchsorted(segment[order], np.arange(n_segments + 1))
    by_time = np.argsort(registered_s, kind="stable")
    return AudienceIndex(
        order=order,
        seg_start=seg_start,
        reg_sorted=registered_s[order],
        cum_activity=np.concatenate(([0.0], np.cumsum(activity[order]))),
        seg_type=np.arange(n_segments) // n_regions,
        seg_region=np.arange(n_segments) % n_regions,
        reg_all=registered_s[by_time],
        cum_all=np.concatenate(([0.0], np.cumsum(activity[by_time]))),
    )


def _eligible_counts(index: AudienceIndex, listed_s: np.ndarray) -> np.ndarray:
    """[packages, segments]: how many of each segment's investors had registered at listing."""
    out = np.empty((len(listed_s), index.n_segments), dtype=np.int64)
    for k in range(index.n_segments):
        lo, hi = index.seg_start[k], index.seg_start[k + 1]
        out[:, k] = np.searchsorted(index.reg_sorted[lo:hi], listed_s, side="right")
    return out


def _segment_weights(
    index: AudienceIndex,
    mass: np.ndarray,
    asset_type: np.ndarray,
    region: np.ndarray,
    log_reserve: np.ndarray,
    licence_required: np.ndarray,
    cross_border: np.ndarray,
) -> np.ndarray:
    """[packages, segments] reach weights from visible attributes only."""
    seg_type = index.seg_type[None, :]
    push = np.exp(PUSH_SHARPNESS * TYPE_PRIOR[seg_type, asset_type[:, None]])
    size_fit = np.exp(-0.5 * ((log_reserve[:, None] - TICKET_CENTRE[seg_type]) / SIZE_FIT_WIDTH) ** 2)
    home = np.where(index.seg_region[None, :] == region[:, None], HOME_REGION_BOOST, 1.0)
    unlicensed = ~np.isin(seg_type, _AMC_CODES)
    licence = np.where(licence_required[:, None] & unlicensed, UNLICENSED_BATCH_REACH, 1.0)
    foreign = np.where(~cross_border[:, None] & (seg_type == _FOREIGN), FOREIGN_INELIGIBLE_REACH, 1.0)
    return mass * push * size_fit * home * licence * foreign


def draw_audience(
    rng: np.random.Generator,
    index: AudienceIndex,
    listed_s: np.ndarray,
    asset_type: np.ndarray,
    region: np.ndarray,
    log_reserve: np.ndarray,
    licence_required: np.ndarray,
    cross_border: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (package row, investor row) impression pairs for a chunk of packages.

    Package rows index the chunk's arrays; pairs come sorted by package row, then investor.
    """
    m = len(listed_s)
    n_elig = _eligible_counts(index, listed_s)
    starts = index.seg_start[:-1][None, :]
    mass = index.cum_activity[starts + n_elig] - index.cum_activity[starts]
    weights = _segment_weights(index, mass, asset_type, region, log_reserve, licence_required, cross_border)
    reach_all = index.cum_all[np.searchsorted(index.reg_all, listed_s, side="right")]
    growth = EARLY_REACH + (1.0 - EARLY_REACH) * reach_all / max(index.cum_all[-1], 1e-300)
    expected = IMPRESSIONS_PER_PACKAGE * growth * rng.lognormal(-0.08, 0.4, m)
    expected = np.where(weights.sum(axis=1) > 0, expected, 0.0)
    counts = rng.poisson(expected)
    row = np.repeat(np.arange(m), counts)

    totals = weights.sum(axis=1, keepdims=True)
    cum = np.cumsum(weights / np.where(totals > 0, totals, 1.0), axis=1)
    cum[:, -1] = 1.0
    flat = (np.arange(m)[:, None] + cum).ravel()
    target = row + rng.random(len(row))
    seg = np.searchsorted(flat, target, side="right") - row * index.n_segments
    seg = np.clip(seg, 0, index.n_segments - 1)

    n_e = n_elig[row, seg]
    lo_pos = index.seg_start[seg]
    lo = index.cum_activity[lo_pos]
    hi = index.cum_activity[lo_pos + n_e]
    pos = np.searchsorted(index.cum_activity, lo + rng.random(len(row)) * (hi - lo), side="right") - 1
    pos = np.clip(pos, lo_pos, lo_pos + n_e - 1)
    keep = n_e > 0
    investor = index.order[pos[keep]]
    key = np.unique(row[keep].astype(np.int64) * len(index.order) + investor)
    return key // len(index.order), key % len(index.order)
