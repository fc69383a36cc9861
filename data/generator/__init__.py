"""Synthetic distressed-asset market generator.

``generate_market`` builds investors, packages and an event log from hidden investor tastes;
``write_market`` writes them as contract CSV files with the hidden truth beside them in
``truth/``; ``load_truth`` reads that truth back for oracle evaluations.
"""

from .clock import DEFAULT_END
from .market import GeneratedMarket, GeneratorConfigError, generate_market
from .truth import MarketTruth, TruthError, UnknownTruthIdError, load_truth, save_truth
from .writer import write_market

__all__ = [
    "DEFAULT_END",
    "GeneratedMarket",
    "GeneratorConfigError",
    "MarketTruth",
    "TruthError",
    "UnknownTruthIdError",
    "generate_market",
    "load_truth",
    "save_truth",
    "write_market",
]
