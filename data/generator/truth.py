"""The hidden truth of a generated market: who wants what, and how to read it back.

Everything the simulator knew but the CSV files do not show (taste groups, hesitancy, the
taste weights, each package's sector, co-bidding circles) is kept in a ``MarketTruth``.
Evaluations load it to draw full-exposure labels and oracle rankings (``outcomes.MarketOracle``)
and to slice results by hidden segment.

On disk (``truth/`` beside the market files):

- ``truth.npz``: every array of ``MarketTruth`` under its field name (numeric arrays and
  fixed-width unicode id arrays, loadable with ``allow_pickle=False``);
- ``meta.json``: format version, seed, end, the vocabularies the array columns are indexed by
  (asset types, provinces, sectors, investor types, regions) and the model constants;
- ``investors.csv`` / ``packages.csv``: a readable copy of the per-investor scalars and the
  per-package sector, for people and tools that prefer a table (the loader ignores them).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from data.contract import ASSET_TYPES, INVESTOR_TYPES, PROVINCES, REGIONS

from . import propensity
from .propensity import PackageFeatures
from .sectors import SECTORS

TRUTH_FORMAT_VERSION = 1
TRUTH_ARRAYS = "truth.npz"
TRUTH_META = "meta.json"
# Grid cells computed at once by ``affinity``; bounds its temporary memory to a few hundred MB.
_AFFINITY_CELLS_PER_STEP = 2_000_000
# A fixed zip timestamp keeps the archive byte-identical from run to run.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class TruthError(ValueError):
    """The hidden truth is missing, from another format version, or lacks an asked-for id."""


class UnknownTruthIdError(TruthError, KeyError):
    """An investor or package id that the hidden truth does not know."""


@dataclass(frozen=True, eq=False)
class MarketTruth:
    """Hidden state of a generated market; arrays are indexed like ``investor_ids``/``package_ids``.

    Investor rows: ``investor_type`` indexes ``INVESTOR_TYPES``; ``type_weight``,
    ``province_weight`` and ``sector_weight`` have one column per asset type, province and
    sector (contract order, ``SECTORS``); ``ticket_centre`` is log10 CNY of the reserve price the
    investor likes best, ``ticket_width`` its spread in decades. Group rows (``group_*``) hold the
    shared part of each hidden taste group; ``blend`` is each investor's share of group taste.
    """

    seed: int
    end: str
    investor_ids: np.ndarray
    investor_type: np.ndarray
    capital_cny: np.ndarray
    licensed_amc: np.ndarray
    taste_group: np.ndarray
    blend: np.ndarray
    hesitant_mask: np.ndarray
    dd_threshold: np.ndarray
    ticket_centre: np.ndarray
    ticket_width: np.ndarray
    risk_tolerance: np.ndarray
    price_sensitivity: np.ndarray
    bid_bias: np.ndarray
    activity: np.ndarray
    type_weight: np.ndarray
    province_weight: np.ndarray
    sector_weight: np.ndarray
    group_region: np.ndarray
    group_type_weight: np.ndarray
    group_province_weight: np.ndarray
    group_sector_weight: np.ndarray
    package_ids: np.ndarray
    package_sector: np.ndarray
    # Co-bidding circles (``circles``): None in a market without them (the default scenario).
    circle_of: np.ndarray | None = None
    circle_taste: np.ndarray | None = None
    package_latent: np.ndarray | None = None
    # The scenario the market was simulated under, and its knobs (``scenarios.Scenario``).
    scenario: str = "default"
    scenario_knobs: dict[str, float] | None = None

    @cached_property
    def hesitant(self) -> frozenset[str]:
        """Ids of the investors who look and ask for documents a lot but bid only on full files."""
        return frozenset(self.investor_ids[self.hesitant_mask].tolist())

    @cached_property
    def group_of(self) -> dict[str, int]:
        """Hidden taste group of each investor id."""
        return dict(zip(self.investor_ids.tolist(), self.taste_group.tolist(), strict=True))

    @property
    def n_groups(self) -> int:
        """Number of hidden taste groups."""
        return len(self.group_region)

    def sector_of(self, package_ids: Sequence[str]) -> np.ndarray:
        """The hidden sector name of each package id."""
        return np.asarray(SECTORS, dtype=object)[self.package_sector[self.package_index(package_ids)]]

    def investor_index(self, investor_ids: Sequence[str]) -> np.ndarray:
        """Row of each investor id in the truth arrays."""
        return _lookup(self._investor_positions, investor_ids, "investor")

    def package_index(self, package_ids: Sequence[str]) -> np.ndarray:
        """Row of each package id in the truth arrays."""
        return _lookup(self._package_positions, package_ids, "package")

    def features(self, packages: pd.DataFrame) -> PackageFeatures:
        """Propensity-model features of contract-shaped package rows (hidden sector and latent included)."""
        rows = self.package_index(packages["package_id"].astype(str).tolist())
        latent = None if self.package_latent is None else self.package_latent[rows]
        return PackageFeatures.from_frame(packages, self.package_sector[rows], latent)

    def affinity(self, investor_ids: Sequence[str], packages: pd.DataFrame) -> np.ndarray:
        """True propensity of each investor to bid on each package once shown it.

        Returns a float64 array [len(investor_ids), len(packages)] in [0, 1]; zero where a market
        rule, the investor's capital or (for foreign institutions) cross-border eligibility rules
        the package out. It is the exact function the simulator drew bids from once an investor
        was shown a package; it knows nothing of how often an investor looks, so it is not the
        evaluations' oracle (``outcomes.MarketOracle`` is).
        """
        inv = self.investor_index(investor_ids)
        feats = self.features(packages)
        n_pkg = len(packages)
        out = np.empty((len(inv), n_pkg), dtype=np.float64)
        step = max(1, _AFFINITY_CELLS_PER_STEP // max(n_pkg, 1))
        pkg = np.arange(n_pkg)[None, :]
        for start in range(0, len(inv), step):
            rows = inv[start : start + step, None]
            out[start : start + step] = propensity.bid_propensity(self, rows, feats, pkg)
        return out

    @cached_property
    def _investor_positions(self) -> pd.Index:
        return pd.Index(self.investor_ids.astype(object))

    @cached_property
    def _package_positions(self) -> pd.Index:
        return pd.Index(self.package_ids.astype(object))


def _lookup(index: pd.Index, ids: Sequence[str], kind: str) -> np.ndarray:
    """Positions of ``ids`` in ``index``; an unknown id is an error naming it."""
    wanted = [str(i) for i in ids]
    positions = index.get_indexer(wanted)
    missing = np.flatnonzero(positions < 0)
    if missing.size:
        raise UnknownTruthIdError(f"unknown {kind} id {wanted[missing[0]]!r} in the hidden truth")
    return positions.astype(np.int64)


# Arrays saved only when the market has them, so a default market's files stay as they were.
_OPTIONAL_ARRAYS = ("circle_of", "circle_taste", "package_latent")
_SCALARS = ("seed", "end", "scenario", "scenario_knobs")


def _array_fields() -> list[str]:
    return [f.name for f in fields(MarketTruth) if f.name not in _SCALARS and f.name not in _OPTIONAL_ARRAYS]


def model_constants() -> dict[str, float]:
    """The propensity model's constants, recorded in ``meta.json`` for readers of the truth."""
    return {
        "view_offset": propensity.VIEW_OFFSET,
        "bid_offset": propensity.BID_OFFSET,
        "hesitant_view_boost": propensity.HESITANT_VIEW_BOOST,
        "dd_gate_steepness": propensity.DD_GATE_STEEPNESS,
        "missing_appraisal_factor": propensity.MISSING_APPRAISAL_FACTOR,
        "confident_dd_floor": propensity.CONFIDENT_DD_FLOOR,
        "litigation_share_of_risk": propensity.LITIGATION_SHARE,
    }


def vocabularies() -> dict[str, list[str]]:
    """The vocabularies that index the truth arrays' integer codes and columns."""
    return {
        "investor_types": list(INVESTOR_TYPES),
        "asset_types": list(ASSET_TYPES),
        "provinces": list(PROVINCES),
        "regions": list(REGIONS),
        "sectors": list(SECTORS),
    }


def save_truth(truth: MarketTruth, directory: Path) -> None:
    """Write the hidden truth into ``directory`` (created if needed), byte-identically per seed."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    present = [name for name in _OPTIONAL_ARRAYS if getattr(truth, name) is not None]
    with zipfile.ZipFile(directory / TRUTH_ARRAYS, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in _array_fields() + present:
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(getattr(truth, name)), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE), buffer.getvalue())
    meta = {
        "format_version": TRUTH_FORMAT_VERSION,
        "seed": truth.seed,
        "end": truth.end,
        "n_investors": len(truth.investor_ids),
        "n_packages": len(truth.package_ids),
        "n_groups": truth.n_groups,
        "vocabularies": vocabularies(),
        "model": model_constants(),
    }
    if truth.scenario != "default":
        meta["scenario"] = {"name": truth.scenario, "knobs": truth.scenario_knobs or {}}
    (directory / TRUTH_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    _readable_tables(truth).to_csv(directory / "investors.csv", index=False, lineterminator="\n")
    pd.DataFrame(
        {"package_id": truth.package_ids, "sector": np.asarray(SECTORS)[truth.package_sector]}
    ).to_csv(directory / "packages.csv", index=False, lineterminator="\n")


def _readable_tables(truth: MarketTruth) -> pd.DataFrame:
    """Per-investor hidden scalars as a table (rounded: for reading, not for reloading)."""
    return pd.DataFrame(
        {
            "investor_id": truth.investor_ids,
            "taste_group": truth.taste_group,
            "hesitant": np.where(truth.hesitant_mask, "true", "false"),
            "dd_threshold": truth.dd_threshold.round(4),
            "ticket_centre_log10_cny": truth.ticket_centre.round(4),
            "ticket_width_decades": truth.ticket_width.round(4),
            "risk_tolerance": truth.risk_tolerance.round(4),
            "price_sensitivity": truth.price_sensitivity.round(4),
            "activity": truth.activity.round(6),
            "favourite_sector": np.asarray(SECTORS)[truth.sector_weight.argmax(axis=1)],
        }
    )


def load_truth(directory: Path) -> MarketTruth:
    """Read the hidden truth written by ``save_truth`` (or ``write_market``'s ``truth/``)."""
    directory = Path(directory)
    meta_path = directory / TRUTH_META
    if not meta_path.is_file():
        raise TruthError(f"no hidden truth at {directory} (missing {TRUTH_META})")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format_version") != TRUTH_FORMAT_VERSION:
        raise TruthError(f"hidden truth format {meta.get('format_version')!r} is not {TRUTH_FORMAT_VERSION}")
    if meta.get("vocabularies") != vocabularies():
        raise TruthError(f"hidden truth at {directory} was written with other vocabularies")
    with np.load(directory / TRUTH_ARRAYS, allow_pickle=False) as arrays:
        values = {name: arrays[name] for name in _array_fields()}
        values.update({name: arrays[name] for name in _OPTIONAL_ARRAYS if name in arrays.files})
    scenario = meta.get("scenario", {"name": "default", "knobs": None})
    return MarketTruth(
        seed=int(meta["seed"]), end=str(meta["end"]), scenario=str(scenario["name"]),
        scenario_knobs=scenario["knobs"], **values,
    )
