"""What decides a fitted hybrid model: sizes, schedules, blend weights; saved with the model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from recommender.als_part import ALSParams
from recommender.lightfm_part import LightFMParams


@dataclass(frozen=True)
class HybridConfig:
    """Everything that decides a fitted model; saved with it."""

    # LightFM's size and schedule are the validation split's choice in docs/evaluation-market.md
    # (10 epochs at learning rate 0.1 score as 20 at 0.05 did, in half the time; better at
    # 100,000 investors: docs/benchmarks.md). The profile features and blend weights were chosen
    # there at the 20-epoch schedule and kept: on the test window they tie this run's choice.
    lightfm: LightFMParams = field(
        default_factory=lambda: LightFMParams(components=64, epochs=10, learning_rate=0.1)
    )
    als: ALSParams = field(default_factory=ALSParams)
    lightfm_weight: float = 1.0
    als_weight: float = 0.1
    activity_weight: float = 0.5
    investor_identity_weight: float = 1.0
    # 0 describes packages by content alone (every listing is new); > 0 adds an identity
    # feature for packages seen in training, for catalogues whose items recur.
    package_identity_weight: float = 0.0
    # With package identities, how much the content columns count in the ALS half (1 = fully).
    # An investor's whole history piles onto each shared content column, so at full weight ALS
    # spends its fit on them rather than on the items; 0 makes the ALS half plain item ALS.
    als_content_weight: float = 1.0
    # Which profile feature groups describe an investor (see ``profiles.FEATURE_GROUPS``).
    investor_feature_groups: tuple[str, ...] = ("identity_attrs", "stated", "hesitation")
    random_state: int = 0
    num_threads: int = 1

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping) -> HybridConfig:
        values = dict(values)
        return cls(
            lightfm=LightFMParams(**values.pop("lightfm")),
            als=ALSParams(**values.pop("als")),
            investor_feature_groups=tuple(values.pop("investor_feature_groups")),
            **values,
        )
