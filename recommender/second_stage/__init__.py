"""The learned second stage over the hybrid's candidates, in both directions.

``SecondStage.rerank`` re-orders one investor's first-stage candidates (LightGBM LambdaRank);
``SecondStage.rank_buyers`` orders one listing's first-stage buyer candidates by P(bid) (a
LightGBM classifier). ``train_second_stage`` fits both on pseudo-cold time folds of history;
``explain`` turns per-feature contributions into readable reasons. See docs/recommender.md,
"Second stage".
"""

from recommender.second_stage.context import InvestorContext, PackageContext
from recommender.second_stage.explain import explain
from recommender.second_stage.features import CATEGORICAL_FEATURES, FEATURE_GROUPS, FEATURE_NAMES, FirstStage
from recommender.second_stage.folds import Fold, fit_fold, fold_cutoffs, fold_examples, train_second_stage
from recommender.second_stage.model import Examples, SecondStage, SecondStageParams

__all__ = [
    "CATEGORICAL_FEATURES",
    "FEATURE_GROUPS",
    "FEATURE_NAMES",
    "Examples",
    "FirstStage",
    "Fold",
    "InvestorContext",
    "PackageContext",
    "SecondStage",
    "SecondStageParams",
    "explain",
    "fit_fold",
    "fold_cutoffs",
    "fold_examples",
    "train_second_stage",
]
