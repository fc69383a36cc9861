"""Investor profiles: stated preferences blended with observed behaviour, for every investor.

``build_profiles`` turns the market at a cutoff into a ``ProfileTable``; ``prior_profile``
profiles a brand-new investor from what it stated, or from its type, province and capital.
"""

from profiles.builder import build_profiles, prior_profile
from profiles.distributions import DIMENSIONS
from profiles.errors import (
    DuplicateInvestorError,
    InvalidValueError,
    InvalidWeightsError,
    MissingColumnError,
    ProfileError,
    UnknownFeatureGroupError,
    UnknownInvestorError,
)
from profiles.event_weights import DEFAULT_WEIGHTS, EventWeights
from profiles.features import DEFAULT_FEATURE_GROUPS, FEATURE_GROUPS, FeatureRow
from profiles.profile import InvestorProfile
from profiles.table import ProfileTable

__all__ = [
    "DEFAULT_FEATURE_GROUPS",
    "DEFAULT_WEIGHTS",
    "DIMENSIONS",
    "FEATURE_GROUPS",
    "DuplicateInvestorError",
    "EventWeights",
    "FeatureRow",
    "InvalidValueError",
    "InvalidWeightsError",
    "InvestorProfile",
    "MissingColumnError",
    "ProfileError",
    "ProfileTable",
    "UnknownFeatureGroupError",
    "UnknownInvestorError",
    "build_profiles",
    "prior_profile",
]
