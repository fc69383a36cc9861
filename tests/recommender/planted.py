"""A planted-structure market: two camps of investors, each acting only on its own kind of listing.

Like implicit's checkerboard fixture, any model that learns anything must recover it: a new
listing of a camp's kind has to come back first for that camp's investors.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.hybrid import TrainingSet
from recommender.idmap import IdMap

CAMPS = ("north", "south")
INVESTORS_PER_CAMP = 20
PACKAGES_PER_CAMP = 30


def package_row(camp: str, number: int) -> dict[str, float]:
    return {f"type={camp}": 1.0, f"word={camp}land": 0.5, f"size={number % 3}": 1.0}


def investor_row(camp: str) -> dict[str, float]:
    return {"investor_type=fund": 1.0, f"home={camp}": 1.0}


def planted_training_set(seed: int = 0) -> TrainingSet:
    rng = np.random.default_rng(seed)
    investor_ids = [f"{camp}-inv-{n}" for camp in CAMPS for n in range(INVESTORS_PER_CAMP)]
    package_ids = [f"{camp}-pkg-{n}" for camp in CAMPS for n in range(PACKAGES_PER_CAMP)]
    evidence = np.zeros((len(investor_ids), len(package_ids)), dtype=np.float32)
    for camp_number in range(len(CAMPS)):
        users = slice(camp_number * INVESTORS_PER_CAMP, (camp_number + 1) * INVESTORS_PER_CAMP)
        items = slice(camp_number * PACKAGES_PER_CAMP, (camp_number + 1) * PACKAGES_PER_CAMP)
        block = rng.random((INVESTORS_PER_CAMP, PACKAGES_PER_CAMP)) < 0.3
        evidence[users, items] = block * rng.choice([1.0, 3.0, 5.0], size=block.shape)
    return TrainingSet(
        investor_ids=IdMap(investor_ids),
        package_ids=IdMap(package_ids),
        evidence=sp.csr_matrix(evidence),
        investor_features=[investor_row(i.split("-")[0]) for i in investor_ids],
        package_features=[package_row(p.split("-")[0], int(p.rsplit("-", 1)[1])) for p in package_ids],
    )
