"""A rule set turned into arrays the re-ranker reads: done once per rule set and catalogue.

Everything a document names by id (a package's province lists, a seller's, related parties)
becomes row-aligned bit masks or small lookup tables, so checking 500 candidates is a handful
of numpy operations. The market's hard rules are clamped here: a rule set may tighten them
(a lower loan count for the licence rule, hiding listings about to close) but never loosen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from data.contract import BANK_BATCH_MIN_LOANS, INVESTOR_TYPES, PROVINCES, SELLER_TYPES
from matching.catalogue import Catalogue
from matching.rule_set import ProvinceList, RuleSet
from recommender.idmap import IdMap

ALL_PROVINCES = (1 << len(PROVINCES)) - 1


def province_bits(provinces: tuple[str, ...], empty: int) -> int:
    """Provinces as a bit mask; an empty list gives ``empty``."""
    if not provinces:
        return empty
    mask = 0
    for province in provinces:
        if province in PROVINCES:
            mask |= 1 << PROVINCES.index(province)
    return mask


@dataclass(frozen=True)
class CompiledRules:
    """The arrays and tables one rule set needs, for one state of the catalogue."""

    rules: RuleSet
    licence_min_loans: int
    min_days_before_close: float
    type_allowed: np.ndarray  # (seller types + 1) x (investor types + 1); the last row/column is "unknown"
    allow_bits: np.ndarray | None  # per package row: investor home provinces allowed (None: no lists)
    deny_bits: np.ndarray | None
    related_by_investor: dict[str, np.ndarray]  # investor_id -> seller codes it may not deal with
    related_by_seller: dict[int, frozenset[str]]  # seller code -> investor ids
    catalogue_version: int

    @property
    def has_type_rules(self) -> bool:
        return bool(self.rules.eligibility.investor_types_by_seller_type)


def licence_min_loans(rules: RuleSet) -> int:
    """The licence rule's loan count: the contract's 10, or fewer if a rule set tightens it."""
    return max(1, min(int(rules.market.licence_min_loans), BANK_BATCH_MIN_LOANS))


def compile_rules(rules: RuleSet, catalogue: Catalogue, package_ids: IdMap) -> CompiledRules:
    """The arrays of ``rules`` over the current catalogue (recompiled when the catalogue changes)."""
    eligibility = rules.eligibility
    type_allowed = np.ones((len(SELLER_TYPES) + 1, len(INVESTOR_TYPES) + 1), dtype=bool)
    for seller_type, investor_types in eligibility.investor_types_by_seller_type.items():
        if seller_type in SELLER_TYPES:
            row = SELLER_TYPES.index(seller_type)
            type_allowed[row, :-1] = [t in investor_types for t in INVESTOR_TYPES]
    allow_bits = deny_bits = None
    if eligibility.provinces_by_package or eligibility.provinces_by_seller:
        size = len(catalogue.columns)
        allow_bits = np.full(size, ALL_PROVINCES, dtype=np.int64)
        deny_bits = np.zeros(size, dtype=np.int64)
        sellers = catalogue.columns["seller"]
        for seller_id, lists in eligibility.provinces_by_seller.items():
            code = catalogue.seller_code(seller_id)
            if code >= 0:
                _apply(allow_bits, deny_bits, sellers == code, lists)
        for package_id, lists in eligibility.provinces_by_package.items():
            row = package_ids.rows_or_missing([package_id])[0]
            if row >= 0:
                selected = np.zeros(size, dtype=bool)
                selected[row] = True
                _apply(allow_bits, deny_bits, selected, lists)
    by_investor: dict[str, list[int]] = defaultdict(list)
    by_seller: dict[int, set[str]] = defaultdict(set)
    for investor_id, seller_id in eligibility.related_parties:
        code = catalogue.seller_code(seller_id)
        if code >= 0:
            by_investor[investor_id].append(code)
            by_seller[code].add(investor_id)
    return CompiledRules(
        rules=rules,
        licence_min_loans=licence_min_loans(rules),
        min_days_before_close=max(0.0, float(rules.market.min_hours_before_close)) / 24.0,
        type_allowed=type_allowed,
        allow_bits=allow_bits,
        deny_bits=deny_bits,
        related_by_investor={i: np.asarray(c, dtype=np.int32) for i, c in by_investor.items()},
        related_by_seller={c: frozenset(i) for c, i in by_seller.items()},
        catalogue_version=catalogue.version,
    )


def _apply(allow_bits: np.ndarray, deny_bits: np.ndarray, rows: np.ndarray, lists: ProvinceList) -> None:
    allow_bits[rows] &= province_bits(tuple(lists.allow), ALL_PROVINCES)
    deny_bits[rows] |= province_bits(tuple(lists.deny), 0)
