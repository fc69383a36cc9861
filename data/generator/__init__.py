"""Synthetic distressed-asset market generator.

``generate_market`` builds investors, packages and an event log from hidden investor tastes;
``write_market`` writes them as contract CSV files with the hidden truth beside them in
``truth/``; ``load_truth`` reads that truth back, and ``MarketOracle`` turns it into the
labels and oracle the evaluations use. ``SCENARIOS`` names the kinds of market it can simulate.
"""

from .clock import DEFAULT_END
from .market import GeneratedMarket, GeneratorConfigError, generate_market
from .outcomes import MarketOracle, expected_outcome, full_exposure_labels
from .scenarios import DEFAULT, SCENARIOS, Scenario, UnknownScenarioError, get_scenario
from .truth import MarketTruth, TruthError, UnknownTruthIdError, load_truth, save_truth
from .writer import write_market

__all__ = [
    "DEFAULT",
    "DEFAULT_END",
    "SCENARIOS",
    "MarketOracle",
    "Scenario",
    "UnknownScenarioError",
    "expected_outcome",
    "full_exposure_labels",
    "get_scenario",
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
