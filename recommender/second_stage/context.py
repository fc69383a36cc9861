"""What the second stage knows about investors and listings, as arrays it can gather from fast.

Everything here is available online: an investor's side comes from its profile (stated
preferences, behavioural distributions, ticket, hesitation) and its recent bids, a listing's
side from the listing row alone (never its status, which is only known after it closes). A
brand-new listing gets its row from ``PackageContext.add``; a brand-new investor its profile
prior from ``InvestorContext.build``. Both are append-only, like ``IdMap``: rows never move,
so a fold-in never invalidates a row number held by a caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from data.contract import (
    ASSET_TYPES,
    INVESTOR_TYPES,
    LIST_SEPARATOR,
    PROVINCES,
    REGION_OF_PROVINCE,
    REGIONS,
    RISK_APPETITES,
    requires_amc_licence,
)
from profiles import DIMENSIONS, ProfileTable
from recommender.idmap import IdMap

# Bids (a win counts) this far back are "this year" in the features and the reasons.
BID_HISTORY_DAYS = 365
BID_EVENTS = ("bid", "win")
# Package-row columns a dimension's category is read from (region is derived from province).
DIMENSION_COLUMNS = {d: d for d in DIMENSIONS if d != "region"}
INVESTOR_NUMBERS = (
    "n_eff", "behaviour_share", "bid_packages", "win_rate", "days_since_last_action", "active_days",
    "ticket_cny", "ticket_low_cny", "ticket_high_cny", "observed_ticket_cny",
    "stated_min_ticket_cny", "stated_max_ticket_cny", "bid_to_appraisal", "bid_to_reserve",
    "hesitation", "bid_dd_completeness", "capital_cny",
)  # fmt: skip
INVESTOR_FLAGS = ("is_hesitant", "licensed_amc", "is_cold")
INVESTOR_CODES = {
    "investor_type": INVESTOR_TYPES,
    "province": PROVINCES,
    "home_region": REGIONS,
    "risk_appetite": RISK_APPETITES,
}
BID_COUNT_KINDS = ("asset_type", "province", "asset_type_province")


def codes_of(values: pd.Series | np.ndarray, vocabulary: Sequence[str]) -> np.ndarray:
    """Vocabulary positions of labels, -1 for missing or unknown (LightGBM reads -1 as missing)."""
    labels = pd.Categorical(np.asarray(values, dtype=object), categories=list(vocabulary))
    return labels.codes.astype(np.int64)


def cell_of(asset_type: np.ndarray, province: np.ndarray, kind: str) -> np.ndarray:
    """The bid-count cell of a listing for one kind of count (-1 where a code is missing)."""
    if kind == "asset_type":
        return asset_type
    if kind == "province":
        return province
    return np.where((asset_type >= 0) & (province >= 0), asset_type * len(PROVINCES) + province, -1)


CELLS = {
    "asset_type": len(ASSET_TYPES),
    "province": len(PROVINCES),
    "asset_type_province": len(ASSET_TYPES) * len(PROVINCES),
}


@dataclass(frozen=True)
class SparseCounts:
    """Counts per (investor row, cell), stored as sorted keys so a block looks up in one search."""

    keys: np.ndarray  # investor_row * n_cells + cell, sorted, unique
    counts: np.ndarray
    n_cells: int

    def lookup(self, rows: np.ndarray, cells: np.ndarray) -> np.ndarray:
        keys = rows.astype(np.int64) * self.n_cells + cells
        found = np.searchsorted(self.keys, keys)
        found = np.minimum(found, max(len(self.keys) - 1, 0))
        hit = (cells >= 0) & (len(self.keys) > 0)
        if len(self.keys):
            hit &= self.keys[found] == keys
        return np.where(hit, self.counts[found] if len(self.keys) else 0.0, 0.0)

    @classmethod
    def of(cls, rows: np.ndarray, cells: np.ndarray, n_cells: int) -> SparseCounts:
        keep = cells >= 0
        keys, counts = np.unique(rows[keep].astype(np.int64) * n_cells + cells[keep], return_counts=True)
        return cls(keys, counts.astype(np.float64), n_cells)

    def shifted(self, offset: int) -> SparseCounts:
        """The same counts for rows moved down by ``offset`` (when appended to another table)."""
        return SparseCounts(self.keys + np.int64(offset) * self.n_cells, self.counts, self.n_cells)

    @staticmethod
    def concat(first: SparseCounts, second: SparseCounts) -> SparseCounts:
        keys = np.concatenate([first.keys, second.keys])
        order = np.argsort(keys, kind="stable")
        return SparseCounts(keys[order], np.concatenate([first.counts, second.counts])[order], first.n_cells)


@dataclass(frozen=True)
class InvestorContext:
    """Per investor: profile numbers, codes, behavioural and blended shares, stated lists, bid counts."""

    ids: IdMap
    numbers: Mapping[str, np.ndarray]
    codes: Mapping[str, np.ndarray]
    observed: Mapping[str, np.ndarray]  # dimension -> investors x categories, behaviour only
    blended: Mapping[str, np.ndarray]  # dimension -> investors x categories, prior + behaviour
    stated: Mapping[str, np.ndarray]  # "asset_type"/"province" -> investors x categories, 0/1
    bid_counts: Mapping[str, SparseCounts]

    @classmethod
    def build(
        cls, profiles: ProfileTable, packages: pd.DataFrame, events: pd.DataFrame, now: datetime,
        investor_ids: Sequence[str] | None = None,
    ) -> InvestorContext:
        """The context of ``investor_ids`` (default: every profiled investor) as known at ``now``.

        Only events strictly before ``now`` count, so a context built at a training cutoff is
        the same whether or not later events exist.
        """
        ids = list(profiles.investor_ids if investor_ids is None else investor_ids)
        for investor_id in ids:
            profiles.position(investor_id)  # an investor without a profile is refused by name
        frame = profiles.frame.loc[ids]
        numbers = {name: frame[name].to_numpy(dtype=np.float64) for name in INVESTOR_NUMBERS}
        numbers.update({name: frame[name].to_numpy(dtype=bool).astype(np.float64) for name in INVESTOR_FLAGS})
        codes = {name: codes_of(frame[name], vocabulary) for name, vocabulary in INVESTOR_CODES.items()}
        observed = {d: profiles.distribution(d, observed=True).loc[ids].to_numpy() for d in DIMENSIONS}
        blended = {d: profiles.distribution(d).loc[ids].to_numpy() for d in ("asset_type", "province")}
        stated = {
            "asset_type": _list_matrix(frame["stated_asset_types"], ASSET_TYPES),
            "province": _list_matrix(frame["stated_provinces"], PROVINCES),
        }
        bid_counts = _bid_counts(ids, packages, events, now)
        return cls(IdMap(ids), numbers, codes, observed, blended, stated, bid_counts)

    def __len__(self) -> int:
        return len(self.ids)

    def extended(self, other: InvestorContext) -> InvestorContext:
        """This context with ``other``'s investors appended (new investors folded in); ids must be new."""
        clash = [i for i in other.ids.external_ids.tolist() if i in self.ids]
        if clash:
            raise ValueError(f"investors already in the context: {clash[:5]}")
        offset = len(self)

        def stack(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {name: np.concatenate([a[name], b[name]]) for name in a}

        return InvestorContext(
            IdMap([*self.ids.external_ids.tolist(), *other.ids.external_ids.tolist()]),
            stack(self.numbers, other.numbers),
            stack(self.codes, other.codes),
            stack(self.observed, other.observed),
            stack(self.blended, other.blended),
            stack(self.stated, other.stated),
            {
                kind: SparseCounts.concat(counts, other.bid_counts[kind].shifted(offset))
                for kind, counts in self.bid_counts.items()
            },
        )


    def upserted(self, other: InvestorContext) -> InvestorContext:
        """This context with ``other``'s investors written over (known ids) or appended (new ids).

        How serving folds in an investor whose profile changed (new events, an edited row) or
        who just registered: the second stage reads its crosses at once.
        """
        ids = other.ids.external_ids.tolist()
        known = np.array([i in self.ids for i in ids], dtype=bool)
        result = self
        if known.any():
            targets = self.ids.rows([i for i, k in zip(ids, known, strict=True) if k], "investor")
            sources = np.flatnonzero(known)
            for store, new in (
                (self.numbers, other.numbers), (self.codes, other.codes), (self.observed, other.observed),
                (self.blended, other.blended), (self.stated, other.stated),
            ):
                for name in store:
                    store[name][targets] = new[name][sources]  # type: ignore[index]
            counts = {}
            for kind, mine in self.bid_counts.items():
                theirs = other.bid_counts[kind]
                keep = ~np.isin(mine.keys // mine.n_cells, targets)
                mapping = np.full(len(other), -1, dtype=np.int64)
                mapping[sources] = targets
                their_rows, their_cells = theirs.keys // theirs.n_cells, theirs.keys % theirs.n_cells
                take = np.isin(their_rows, sources)
                keys = mapping[their_rows[take]] * mine.n_cells + their_cells[take]
                moved = SparseCounts(keys, theirs.counts[take], mine.n_cells)
                kept = SparseCounts(mine.keys[keep], mine.counts[keep], mine.n_cells)
                counts[kind] = SparseCounts.concat(kept, moved)
            result = InvestorContext(
                self.ids, self.numbers, self.codes, self.observed, self.blended, self.stated, counts
            )
        if not known.all():
            result = result.extended(other.subset(np.flatnonzero(~known)))
        return result

    def subset(self, rows: np.ndarray) -> InvestorContext:
        """The investors at ``rows``, in that order (their own context)."""
        mapping = np.full(len(self), -1, dtype=np.int64)
        mapping[rows] = np.arange(len(rows))
        counts = {}
        for kind, mine in self.bid_counts.items():
            owner = mine.keys // mine.n_cells
            take = mapping[owner] >= 0
            keys = mapping[owner[take]] * mine.n_cells + mine.keys[take] % mine.n_cells
            counts[kind] = SparseCounts(keys, mine.counts[take], mine.n_cells)
            order = np.argsort(counts[kind].keys, kind="stable")
            counts[kind] = SparseCounts(counts[kind].keys[order], counts[kind].counts[order], mine.n_cells)

        def pick(store: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {name: values[rows] for name, values in store.items()}

        return InvestorContext(
            IdMap(self.ids.external_ids[rows].tolist()), pick(self.numbers), pick(self.codes),
            pick(self.observed), pick(self.blended), pick(self.stated), counts,
        )


def _list_matrix(cells: pd.Series, vocabulary: Sequence[str]) -> np.ndarray:
    position = {c: i for i, c in enumerate(vocabulary)}
    matrix = np.zeros((len(cells), len(vocabulary)))
    for row, cell in enumerate(cells.tolist()):
        if isinstance(cell, str) and cell:
            for value in cell.split(LIST_SEPARATOR):
                if value in position:
                    matrix[row, position[value]] = 1.0
    return matrix


def _bid_counts(
    investor_ids: Sequence[str], packages: pd.DataFrame, events: pd.DataFrame, now: datetime
) -> dict[str, SparseCounts]:
    """Distinct packages each investor bid on in the year before ``now``, per listing cell."""
    since = now - timedelta(days=BID_HISTORY_DAYS)
    in_year = (events["occurred_at"] < now) & (events["occurred_at"] >= since)
    bids = events[events["event_type"].isin(BID_EVENTS) & in_year][["investor_id", "package_id"]]
    bids = bids.drop_duplicates()
    investor_rows = IdMap(investor_ids).rows_or_missing(bids["investor_id"].tolist())
    listing = packages.set_index("package_id").reindex(bids["package_id"].tolist())
    asset_type = codes_of(listing["asset_type"], ASSET_TYPES)
    province = codes_of(listing["province"], PROVINCES)
    known = investor_rows >= 0
    return {
        kind: SparseCounts.of(investor_rows[known], cell_of(asset_type, province, kind)[known], CELLS[kind])
        for kind in BID_COUNT_KINDS
    }


PACKAGE_CODES = {d: DIMENSIONS[d] for d in DIMENSIONS}


@dataclass
class PackageContext:
    """Per listing: category codes per dimension and the numbers the crosses need."""

    ids: IdMap
    codes: dict[str, np.ndarray]
    numbers: dict[str, np.ndarray]

    @classmethod
    def empty(cls) -> PackageContext:
        return cls(
            IdMap([]),
            {d: np.empty(0, dtype=np.int64) for d in PACKAGE_CODES},
            {name: np.empty(0) for name in _package_numbers(pd.DataFrame(columns=_PACKAGE_COLUMNS))},
        )

    @classmethod
    def of(cls, packages: pd.DataFrame) -> PackageContext:
        context = cls.empty()
        context.add(packages)
        return context

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, packages: pd.DataFrame) -> None:
        """Add new listings, or re-read edited ones in place (a fuller data room, a lower reserve)."""
        packages = packages.drop_duplicates("package_id", keep="last")
        ids = packages["package_id"].tolist()
        self.ids.add(ids)
        rows = self.ids.rows(ids, "package")
        size = len(self.ids)
        codes = {d: codes_of(_dimension_labels(packages, d), names) for d, names in PACKAGE_CODES.items()}
        numbers = _package_numbers(packages)
        for store, new in ((self.codes, codes), (self.numbers, numbers)):
            for name, values in new.items():
                column = store[name]
                if len(column) < size:
                    grown = np.full(size, -1 if column.dtype.kind == "i" else np.nan, dtype=column.dtype)
                    grown[: len(column)] = column
                    store[name] = column = grown
                column[rows] = values


_PACKAGE_COLUMNS = (
    "package_id", "asset_type", "asset_class", "province", "seller_type", "collateral", "litigation_status",
    "reserve_price_cny", "appraised_value_cny", "dd_completeness", "loan_count", "cross_border_eligible",
)  # fmt: skip


def _dimension_labels(packages: pd.DataFrame, dimension: str) -> pd.Series:
    if dimension == "region":
        return packages["province"].map(REGION_OF_PROVINCE)
    return packages[DIMENSION_COLUMNS[dimension]]


def _package_numbers(packages: pd.DataFrame) -> dict[str, np.ndarray]:
    reserve = pd.to_numeric(packages["reserve_price_cny"], errors="coerce").to_numpy(dtype=np.float64)
    appraised = pd.to_numeric(packages["appraised_value_cny"], errors="coerce").to_numpy(dtype=np.float64)
    cross_border = packages["cross_border_eligible"].astype(object).map(
        lambda v: 1.0 if v is True or str(v).lower() == "true" else 0.0
    ).to_numpy(dtype=np.float64) if len(packages) else np.empty(0)
    licence = np.fromiter(
        (
            requires_amc_licence(str(s), str(c), int(n))
            for s, c, n in zip(
                packages["seller_type"], packages["asset_class"], packages["loan_count"], strict=True
            )
        ),
        dtype=np.float64,
        count=len(packages),
    )
    return {
        "reserve": reserve,
        "appraised": np.where(appraised > 0, appraised, np.nan),
        "dd_completeness": pd.to_numeric(packages["dd_completeness"], errors="coerce").to_numpy(float),
        "loan_count": pd.to_numeric(packages["loan_count"], errors="coerce").to_numpy(dtype=np.float64),
        "cross_border": cross_border,
        "requires_licence": licence,
    }


def eligible(investors: InvestorContext, packages: PackageContext, package_rows: np.ndarray) -> np.ndarray:
    """(listings × investors) mask of who may buy: a bank NPL batch only a licensed AMC."""
    licence = packages.numbers["requires_licence"][package_rows] > 0
    licensed = investors.numbers["licensed_amc"] > 0
    return ~licence[:, None] | licensed[None, :]
