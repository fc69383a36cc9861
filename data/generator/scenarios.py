"""Named market scenarios: the knobs that decide what kind of platform the generator simulates.

One simulated market is one guess at what a real platform looks like. A recommender tuned on a
single guess can look good for reasons that do not carry over, so the evaluation runs it on
several worlds that differ where real platforms differ: how much regions matter, how much
investors say about themselves and how truthfully, how many hesitate, how unevenly active they
are, whether circles of investors co-bid beyond what the listings explain, how much price
matters, and how wide each investor's ticket range is.

Every knob defaults to today's market, and the default scenario reproduces it byte for byte
(the committed ``data/sample`` is that market), so a knob is applied only when it moves.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


class UnknownScenarioError(ValueError):
    """A scenario name that is not one of the presets."""


@dataclass(frozen=True)
class Scenario:
    """The knobs of a simulated market; each 1.0 (or 0.0 for circles) leaves today's market as it is.

    - ``regional_recovery``: scales each region's distance from the mean recovery rate and time
      (0 = every region recovers alike, 2 = twice today's east/north-east gap), which shows in
      reserve prices.
    - ``stated_share``: scales the chance an investor states each preference (types, provinces,
      ticket, risk); ``stated_error``: scales the chance a stated preference is wrong.
    - ``hesitant_share``: share of hesitant investors (they bid only on near-complete data rooms).
    - ``activity_skew``: exponent on activity (1 = today); above 1, institutions get far more active
      and individuals sink into a long tail of one-off visitors.
    - ``circle_share`` / ``circle_size`` / ``circle_strength``: share of investors in co-bidding
      circles, their size, and the logit spread of the circle's shared taste for individual
      packages, which no listing column explains (only who bid together reveals it).
    - ``price_sensitivity``: scales how much investors care about the reserve's discount to the
      appraisal or claim (beyond the usual discount of the asset class).
    - ``ticket_dispersion``: scales the width of each investor's ticket-size range.
    """

    name: str = "default"
    description: str = "Today's market: the calibration every other scenario departs from."
    regional_recovery: float = 1.0
    stated_share: float = 1.0
    stated_error: float = 1.0
    hesitant_share: float = 0.17
    activity_skew: float = 1.0
    circle_share: float = 0.0
    circle_size: int = 5
    circle_strength: float = 0.0
    price_sensitivity: float = 1.0
    ticket_dispersion: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (int, float)) and value < 0:
                raise ValueError(f"scenario knob {f.name} must be non-negative, got {value}")
        if not 0.0 <= self.hesitant_share <= 1.0 or not 0.0 <= self.circle_share <= 1.0:
            raise ValueError("scenario shares must lie in [0, 1]")
        if self.circle_size < 2:
            raise ValueError(f"a co-bidding circle needs at least two investors, got {self.circle_size}")

    @property
    def has_circles(self) -> bool:
        """Whether any investor co-bids in a circle."""
        return self.circle_share > 0.0 and self.circle_strength > 0.0

    def knobs(self) -> dict[str, float]:
        """The knob values (everything but the name and description), as recorded with the truth."""
        values = asdict(self)
        return {k: v for k, v in values.items() if k not in ("name", "description")}


DEFAULT = Scenario()

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        DEFAULT,
        Scenario(
            name="circles",
            description="Co-bidding circles: 40% of investors bid with a circle of five on packages "
            "nothing in the listing singles out; regional effects halved.",
            circle_share=0.4,
            circle_strength=2.0,
            regional_recovery=0.5,
        ),
        Scenario(
            name="quiet-profiles",
            description="Few and unreliable stated preferences (a third as many, three times as often "
            "wrong) and twice as many hesitant investors.",
            stated_share=0.35,
            stated_error=3.0,
            hesitant_share=0.35,
        ),
        Scenario(
            name="whales",
            description="Activity skew: a few very active institutions, a long tail of one-off "
            "individuals; wider ticket ranges.",
            activity_skew=1.8,
            ticket_dispersion=1.5,
        ),
        Scenario(
            name="bargain-hunters",
            description="Price decides: 2.5x the sensitivity to the reserve's discount, twice the "
            "regional recovery gap, narrow ticket ranges.",
            price_sensitivity=2.5,
            regional_recovery=2.0,
            ticket_dispersion=0.6,
        ),
        Scenario(
            name="flat-regions",
            description="No regional recovery differences, no hesitant investors, wide tickets, "
            "weak co-bidding circles.",
            regional_recovery=0.0,
            hesitant_share=0.0,
            ticket_dispersion=1.8,
            circle_share=0.25,
            circle_strength=1.0,
        ),
    )
}


def get_scenario(name: str) -> Scenario:
    """The preset called ``name``; an unknown name is an error listing the presets."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise UnknownScenarioError(
            f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}"
        ) from None
