"""All investors' profiles in columnar storage, with cheap access to one investor.

The table keeps one summary frame (one row per investor, for segments, matching and reports)
and one (investors x categories) matrix per taste dimension. An ``InvestorProfile`` is built
only when one is asked for, and feature rows for many investors are built column-wise.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from data.contract import EVENT_TYPES, INVESTOR_TYPES, LIST_SEPARATOR, PROVINCES, REGIONS, RISK_APPETITES
from profiles.distributions import DIMENSIONS, as_mapping, list_matrix, mapping_matrix
from profiles.errors import UnknownInvestorError
from profiles.features import DEFAULT_FEATURE_GROUPS, STATED_PREFIXES, FeatureRow, feature_rows
from profiles.profile import SCALAR_FIELDS, InvestorProfile, plain

PRIOR_SOURCES = ("stated", "type")
CATEGORICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "investor_type": INVESTOR_TYPES,
    "province": PROVINCES,
    "home_region": REGIONS,
    "risk_appetite": RISK_APPETITES,
    "prior_source": PRIOR_SOURCES,
    **{f"top_{dimension}": categories for dimension, categories in DIMENSIONS.items()},
}
BOOL_COLUMNS = ("licensed_amc", "is_cold", "is_hesitant")
INT_COLUMNS = (
    "active_days",
    "intent_packages",
    "dd_packages",
    "bid_packages",
    *(f"count_{t}" for t in EVENT_TYPES),
)
LIST_COLUMNS = ("stated_asset_types", "stated_provinces")


def summary_frame(investor_ids: Sequence[str], columns: Mapping[str, object]) -> pd.DataFrame:
    """The summary frame with contract vocabularies as categoricals and exact dtypes."""
    frame = pd.DataFrame(dict(columns), index=pd.Index(list(investor_ids), name="investor_id", dtype=object))
    for name in frame.columns:
        if name in CATEGORICAL_COLUMNS:
            frame[name] = pd.Categorical(
                frame[name].astype(object), categories=list(CATEGORICAL_COLUMNS[name])
            )
        elif name in BOOL_COLUMNS:
            frame[name] = frame[name].astype(bool)
        elif name in INT_COLUMNS:
            frame[name] = frame[name].astype(np.int64)
        elif name in LIST_COLUMNS:
            frame[name] = frame[name].astype(object)
        else:
            frame[name] = frame[name].astype(np.float64)
    return frame


def top_labels(matrix: np.ndarray, categories: Sequence[str]) -> np.ndarray:
    """The category with the largest share in each row."""
    return (
        np.asarray(categories, dtype=object)[matrix.argmax(axis=1)]
        if len(matrix)
        else np.array([], dtype=object)
    )


def list_labels(shares: np.ndarray, categories: Sequence[str]) -> np.ndarray:
    """Each row's listed categories ``;``-joined in vocabulary order, None for an empty list.

    Rows are packed into bit masks (at most 31 categories) so each distinct list is joined once.
    """
    masks = (shares > 0).astype(np.int64) @ (np.int64(1) << np.arange(len(categories), dtype=np.int64))
    unique_masks, inverse = np.unique(masks, return_inverse=True)
    labels = [
        LIST_SEPARATOR.join(c for bit, c in enumerate(categories) if mask >> bit & 1) or None
        for mask in unique_masks.tolist()
    ]
    return np.asarray(labels, dtype=object)[inverse] if len(masks) else np.array([], dtype=object)


def column_array(series: pd.Series) -> np.ndarray:
    """A frame column as the numpy array the feature code expects (labels as objects, None for none)."""
    if isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == object:
        labels = series.astype(object).to_numpy(copy=True)
        labels[pd.isna(labels)] = None
        return labels
    return series.to_numpy()


class ProfileTable:
    """Profiles of every investor, in columns; ``table[investor_id]`` gives one ``InvestorProfile``.

    Attributes
    ----------
    frame
        One row per investor, indexed by ``investor_id``: every scalar profile field, the
        stated lists (``;``-joined), ``count_<event_type>`` and ``top_<dimension>`` (the
        category with the largest blended share).
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        distributions: Mapping[str, np.ndarray],
        observed: Mapping[str, np.ndarray],
        stated: Mapping[str, np.ndarray],
    ) -> None:
        self.frame = frame
        self._distributions = dict(distributions)
        self._observed = dict(observed)
        self._stated = dict(stated)
        self._positions = {investor_id: row for row, investor_id in enumerate(frame.index.tolist())}
        self._columns = {name: column_array(frame[name]) for name in SCALAR_FIELDS}
        self._counts = frame[[f"count_{t}" for t in EVENT_TYPES]].to_numpy()

    def __len__(self) -> int:
        return len(self._positions)

    def __contains__(self, investor_id: object) -> bool:
        return investor_id in self._positions

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._positions)

    @property
    def investor_ids(self) -> list[str]:
        """Every investor id, in table order."""
        return list(self._positions)

    def position(self, investor_id: str) -> int:
        """The row of one investor; an unknown id is refused by name."""
        try:
            return self._positions[investor_id]
        except (KeyError, TypeError):
            raise UnknownInvestorError(investor_id) from None

    def distribution(self, dimension: str, observed: bool = False) -> pd.DataFrame:
        """One taste dimension for all investors (rows) and its categories (columns).

        ``observed=True`` gives behaviour only (all-zero rows without history).
        """
        matrix = (self._observed if observed else self._distributions)[dimension]
        return pd.DataFrame(matrix, index=self.frame.index, columns=list(DIMENSIONS[dimension]))

    def __getitem__(self, investor_id: str) -> InvestorProfile:
        row = self.position(investor_id)
        scalars = {name: plain(self._columns[name][row]) for name in SCALAR_FIELDS}
        stated = {
            dimension: tuple(
                c
                for c, share in zip(DIMENSIONS[dimension], self._stated[dimension][row], strict=True)
                if share > 0
            )
            for dimension in STATED_PREFIXES
        }
        observed = {
            dimension: as_mapping(matrix[row], dimension) if matrix[row].sum() > 0 else {}
            for dimension, matrix in self._observed.items()
        }
        return InvestorProfile(
            investor_id=investor_id,
            stated_asset_types=stated["asset_type"],
            stated_provinces=stated["province"],
            event_counts={t: int(n) for t, n in zip(EVENT_TYPES, self._counts[row], strict=True)},
            distributions={d: as_mapping(m[row], d) for d, m in self._distributions.items()},
            observed=observed,
            **scalars,  # type: ignore[arg-type]
        )

    def feature_rows(
        self, investor_ids: Sequence[str], groups: Collection[str] = DEFAULT_FEATURE_GROUPS
    ) -> list[FeatureRow]:
        """``{feature: weight}`` rows for the given investors, in the given order."""
        rows = np.fromiter((self.position(i) for i in investor_ids), dtype=np.int64, count=len(investor_ids))
        return feature_rows(
            {name: column[rows] for name, column in self._columns.items()},
            {dimension: matrix[rows] for dimension, matrix in self._distributions.items()},
            {dimension: matrix[rows] for dimension, matrix in self._stated.items()},
            groups,
        )

    @classmethod
    def from_profiles(cls, profiles: Iterable[InvestorProfile]) -> ProfileTable:
        """A table holding the given profiles (e.g. cold-start priors next to a built table)."""
        profiles = list(profiles)
        columns: dict[str, object] = {name: [getattr(p, name) for p in profiles] for name in SCALAR_FIELDS}
        distributions = {d: mapping_matrix([p.distributions[d] for p in profiles], d) for d in DIMENSIONS}
        observed = {d: mapping_matrix([p.observed.get(d, {}) for p in profiles], d) for d in DIMENSIONS}
        stated = {
            "asset_type": list_matrix([p.stated_asset_types for p in profiles], "asset_type"),
            "province": list_matrix([p.stated_provinces for p in profiles], "province"),
        }
        counts = np.array([[p.event_counts.get(t, 0) for t in EVENT_TYPES] for p in profiles], dtype=np.int64)
        columns.update(extra_columns(distributions, stated, counts.reshape(-1, len(EVENT_TYPES))))
        return cls(summary_frame([p.investor_id for p in profiles], columns), distributions, observed, stated)


def extra_columns(
    distributions: Mapping[str, np.ndarray], stated: Mapping[str, np.ndarray], counts: np.ndarray
) -> dict[str, object]:
    """Frame columns derived from the matrices: stated lists, event counts, top categories."""
    columns: dict[str, object] = {
        "stated_asset_types": list_labels(stated["asset_type"], DIMENSIONS["asset_type"]),
        "stated_provinces": list_labels(stated["province"], DIMENSIONS["province"]),
    }
    for position, event_type in enumerate(EVENT_TYPES):
        columns[f"count_{event_type}"] = counts[:, position]
    for dimension, matrix in distributions.items():
        columns[f"top_{dimension}"] = top_labels(matrix, DIMENSIONS[dimension])
    return columns
