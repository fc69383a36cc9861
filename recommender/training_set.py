"""Assemble a ``TrainingSet`` from the market as it stood at a cutoff time.

Only what was known at ``cutoff`` goes in: investors registered by then, packages listed by
then, events that happened by then. The same function builds the validation and the final
training sets, so tuning and evaluation see the world the same way serving does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import scipy.sparse as sp

from profiles import DEFAULT_FEATURE_GROUPS, EventWeights, ProfileTable
from recommender.idmap import IdMap
from recommender.interactions import interaction_matrix
from recommender.package_features import package_feature_rows

FeatureRow = Mapping[str, float]


@dataclass(frozen=True)
class TrainingSet:
    """What a fit needs: the ids, their feature rows and the net evidence between them."""

    investor_ids: IdMap
    package_ids: IdMap
    evidence: sp.csr_matrix
    investor_features: Sequence[FeatureRow]
    package_features: Sequence[FeatureRow]


def build_training_set(
    investors: pd.DataFrame,
    packages: pd.DataFrame,
    events: pd.DataFrame,
    profiles: ProfileTable,
    cutoff: datetime,
    event_weights: EventWeights | None = None,
    feature_groups: Collection[str] = DEFAULT_FEATURE_GROUPS,
) -> TrainingSet:
    """The training set of everything known at ``cutoff`` (profiles must be built at the same cutoff)."""
    weights = event_weights or EventWeights()
    known_investors = investors[investors["registered_at"] <= cutoff]
    known_packages = packages[packages["listed_at"] <= cutoff]
    investor_ids = IdMap(known_investors["investor_id"])
    package_ids = IdMap(known_packages["package_id"])
    evidence = interaction_matrix(
        events, investor_ids, package_ids, dict(weights.weights), weights.half_life_days, cutoff
    )
    return TrainingSet(
        investor_ids=investor_ids,
        package_ids=package_ids,
        evidence=evidence,
        investor_features=profiles.feature_rows(investor_ids.external_ids.tolist(), feature_groups),
        package_features=package_feature_rows(known_packages),
    )
