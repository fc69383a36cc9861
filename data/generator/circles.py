"""Co-bidding circles: small sets of investors who go after the same packages for reasons no
listing column shows (a shared adviser, a syndicate, a word-of-mouth tip).

Each circle has a taste vector and each package a hidden latent vector, both random; a member's
interest logit in a package gains their dot product. Nothing visible about the package explains
the boost, so only who bid together before (collaborative filtering) can reveal a circle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scenarios import Scenario

LATENT_DIMENSIONS = 6
NO_CIRCLE = -1


@dataclass(frozen=True)
class Circles:
    """Circle membership (``NO_CIRCLE`` for loners), each circle's taste and each package's latent."""

    circle_of: np.ndarray  # int32 per investor
    circle_taste: np.ndarray  # [circles, LATENT_DIMENSIONS]; logit boost = taste · package latent
    package_latent: np.ndarray  # [packages, LATENT_DIMENSIONS]


def draw_circles(rng: np.random.Generator, n_investors: int, n_packages: int, scenario: Scenario) -> Circles | None:
    """Circles of ``scenario.circle_size`` random investors covering ``circle_share`` of them.

    The boost a member gets from a package is normal with standard deviation
    ``circle_strength`` (a unit-variance circle taste against a package latent of variance
    1/d per dimension), the same for every member of the circle. None when the scenario has none.
    """
    if not scenario.has_circles:
        return None
    n_circles = int(round(n_investors * scenario.circle_share / scenario.circle_size))
    circle_of = np.full(n_investors, NO_CIRCLE, dtype=np.int32)
    if n_circles > 0:
        members = rng.permutation(n_investors)[: n_circles * scenario.circle_size]
        circle_of[members] = np.repeat(np.arange(n_circles, dtype=np.int32), scenario.circle_size)
    taste = scenario.circle_strength * rng.normal(0.0, 1.0, (max(n_circles, 1), LATENT_DIMENSIONS))
    latent = rng.normal(0.0, 1.0 / np.sqrt(LATENT_DIMENSIONS), (n_packages, LATENT_DIMENSIONS))
    return Circles(circle_of=circle_of, circle_taste=taste, package_latent=latent)
