"""Stages 2 and 3, score blend and boosts: the final score of every eligible pair.

``score = blend.model · model + blend.stated · stated + blend.rules · (Σ boost weights − below-band penalty)``

- ``model``: the hybrid model's score, scaled to [0, 1] over each list's eligible candidates
  (so a weight means the same thing for every investor, whatever its score spread);
- ``stated``: how well the listing matches what the investor stated (asset type; province, or
  its region at half), averaged over the dimensions it stated, in [0, 1];
- boosts: each adds its weight when its condition holds;
- ticket: a listing whose reserve is below the investor's (widened) ticket band is affordable,
  so eligibility keeps it, but it loses ``ticket_fit.below_band_penalty``.

With the default weights (model 1, stated 0, boosts off) the order is exactly the model's.
Every part is kept per pair, so each ranked item can say what moved it and by how much.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from data.contract import ASSET_TYPES, PROVINCES
from matching.rule_set import RuleSet

Arrays = Mapping[str, np.ndarray]
BOOST_NAMES = (
    "closing_soon", "newly_listed", "data_room", "preferred_province", "hesitant_transparency", "featured"
)


@dataclass(frozen=True)
class ScoreParts:
    """Per pair: the final score and each part's contribution to it."""

    score: np.ndarray
    model: np.ndarray  # weighted contribution of the model score
    stated: np.ndarray  # weighted contribution of the stated-preference match
    type_match: np.ndarray  # bool: asset type among the stated ones
    place_match: np.ndarray  # 1 province, 0.5 region, 0 neither
    boosts: dict[str, np.ndarray]  # boost name -> its contribution (0 where it does not hold)
    ticket: np.ndarray | None = None  # the below-band penalty (<= 0), None when it is off


def ticket_widening(rules: RuleSet) -> float | None:
    """How far the ticket fit widens the band (1 = strict), None when the fit is off."""
    fit = rules.eligibility.ticket_fit
    if fit.mode == "off":
        return None
    return 1.0 + (max(0.0, float(fit.tolerance)) if fit.mode == "tolerance" else 0.0)


def below_band(rules: RuleSet, investor: Arrays, package: Arrays) -> np.ndarray | None:
    """Pairs whose reserve is below the investor's widened ticket band (None: fit off)."""
    widen = ticket_widening(rules)
    if widen is None:
        return None
    return package["reserve"] * widen < investor["low"]


def _bit(masks: np.ndarray, codes: np.ndarray) -> np.ndarray:
    return (masks >> np.maximum(codes, 0).astype(np.int64)) & 1 == 1


def featured_mask(rules: RuleSet, package: Arrays) -> np.ndarray:
    """Listings the operator features: of a featured asset type or in a featured province."""
    types = [ASSET_TYPES.index(t) for t in rules.boosts.featured_asset_types]
    provinces = [PROVINCES.index(p) for p in rules.boosts.featured_provinces]
    return np.isin(package["asset_type"], types) | np.isin(package["province"], provinces)


def scaled_model_scores(model_scores: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Model scores scaled to [0, 1] along the last axis over eligible entries (1 when all equal)."""
    low = np.where(eligible, model_scores, np.inf).min(axis=-1, keepdims=True, initial=np.inf)
    high = np.where(eligible, model_scores, -np.inf).max(axis=-1, keepdims=True, initial=-np.inf)
    spread = high - low
    with np.errstate(invalid="ignore"):
        scaled = np.where(spread > 0, (model_scores - low) / np.where(spread > 0, spread, 1.0), 1.0)
    return np.where(np.isfinite(scaled), scaled, 0.0)


def score_parts(
    rules: RuleSet,
    investor: Arrays,
    package: Arrays,
    model_scores: np.ndarray,
    eligible: np.ndarray,
    now: float | np.ndarray,
) -> ScoreParts:
    """Blend and boosts for every pair (ineligible pairs are scored too, for the removed list)."""
    blend, boosts = rules.blend, rules.boosts
    model = blend.model * scaled_model_scores(model_scores, eligible)
    stated_types, stated_provinces = investor["stated_types"], investor["stated_provinces"]
    has_types, has_places = stated_types != 0, stated_provinces != 0
    type_match = has_types & _bit(stated_types, package["asset_type"])
    province_match = has_places & _bit(stated_provinces, package["province"])
    region_match = has_places & _bit(investor["stated_regions"], package["region"])
    place = np.where(province_match, 1.0, np.where(region_match, 0.5, 0.0))
    dimensions = np.maximum(has_types.astype(np.float64) + has_places, 1.0)
    stated = blend.stated * (type_match + place) / dimensions
    score = model + stated
    effects: dict[str, np.ndarray] = {}
    weight = blend.rules
    if boosts.closing_soon.enabled and boosts.closing_soon.weight:
        left = package["closes"] - now
        effects["closing_soon"] = (
            weight * boosts.closing_soon.weight * ((left > 0) & (left <= boosts.closing_soon_days))
        )
    if boosts.newly_listed.enabled and boosts.newly_listed.weight:
        age = now - package["listed"]
        effects["newly_listed"] = (
            weight * boosts.newly_listed.weight * ((age >= 0) & (age <= boosts.newly_listed_days))
        )
    if boosts.data_room.enabled and boosts.data_room.weight:
        effects["data_room"] = weight * boosts.data_room.weight * (package["dd"] >= boosts.data_room_min_dd)
    if boosts.preferred_province.enabled and boosts.preferred_province.weight:
        effects["preferred_province"] = weight * boosts.preferred_province.weight * place
    if boosts.hesitant_transparency.enabled and boosts.hesitant_transparency.weight:
        transparent = (package["dd"] >= boosts.hesitant_min_dd) & package["appraised"]
        effects["hesitant_transparency"] = (
            weight * boosts.hesitant_transparency.weight * (investor["hesitant"] & transparent)
        )
    if boosts.featured.enabled and boosts.featured.weight:
        effects["featured"] = weight * boosts.featured.weight * featured_mask(rules, package)
    for effect in effects.values():
        score = score + effect
    ticket = None
    penalty = rules.eligibility.ticket_fit.below_band_penalty
    below = below_band(rules, investor, package)
    if below is not None and penalty and weight:
        ticket = np.where(below, -weight * penalty, 0.0)
        score = score + ticket
    return ScoreParts(
        score=np.broadcast_to(score, model.shape),
        model=model,
        stated=np.broadcast_to(stated, model.shape),
        type_match=np.broadcast_to(type_match, model.shape),
        place_match=np.broadcast_to(place, model.shape),
        boosts={name: np.broadcast_to(effect, model.shape) for name, effect in effects.items()},
        ticket=None if ticket is None else np.broadcast_to(ticket, model.shape),
    )
