"""Serving-time matching: model candidates in, the list a person sees out, under a rule set.

The pipeline runs in a fixed order (docs/matching.md):

1. eligibility — the market's hard rules (live listings only, bank batches to licensed AMCs,
   never again what an investor dismissed or won), then the operator's filters (ticket fit,
   province lists, investor types per seller type, cross-border, related parties);
2. score blend — model score, stated-preference match;
3. boosts — closing soon, newly listed, full data room, preferred province, transparency for
   hesitant investors;
4. diversity — caps per asset type, seller and province;
5. exposure — today's per-listing cap;
6. top-k.

Candidates come from the model's exact index (``RuleSet.candidates`` of them); if the rules
leave fewer than ``k`` eligible, the search is repeated with every eligible row allowed, so a
rule never leaves a list short while eligible listings remain. Both directions (an investor's
listings, a listing's buyers) run the one ranking kernel (``matching.kernel``) that the batch
push and the replay run too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from data.contract import ASSET_TYPES, PROVINCES
from matching.compiled import CompiledRules, compile_rules
from matching.eligibility import CODE, servable
from matching.errors import UnknownPackageError
from matching.explain import (
    boost_reason,
    label,
    learned_reason,
    model_reason,
    removal_reason,
    stated_reason,
    ticket_reason,
)
from matching.kernel import BUYERS, NO_DIVERSITY, PACKAGES, Direction, pair_codes, rank_pass
from matching.ranked import Explanations, RankedItem, RankedList, Reason, effect_order
from matching.rule_set import RuleSet
from matching.scoring import ScoreParts, below_band
from matching.state import MarketState
from profiles import ProfileTable
from recommender.hybrid import HybridRecommender
from recommender.idmap import IdMap
from recommender.retrieval import SearchResult

Arrays = dict[str, np.ndarray]
__all__ = ["NO_DIVERSITY", "Matcher"]


class Matcher:
    """Serving-time matching over one model and a market snapshot."""

    def __init__(self, state: MarketState, rules: RuleSet) -> None:
        self.state = state
        self.rules = rules
        self._compiled: CompiledRules | None = None

    @classmethod
    def build(
        cls,
        model: HybridRecommender,
        profiles: ProfileTable | None,
        investors: pd.DataFrame,
        packages: pd.DataFrame,
        events: pd.DataFrame,
        rules: RuleSet,
        now: datetime,
    ) -> Matcher:
        """Index the listings live at ``now`` and encode the market for ``rules``.

        ``profiles`` are the investors' profiles (those the model was trained with will do);
        None builds them from the frames. The model is updated in place (live index, vectors
        of investors it lacks), as ``assetmatch rank`` does.
        """
        return cls(MarketState.build(model, profiles, investors, packages, events, now), rules)

    def with_rules(self, rules: RuleSet) -> Matcher:
        """The same model and market under other rules (cheap: nothing is copied)."""
        return Matcher(self.state, rules)

    @property
    def model(self) -> HybridRecommender:
        return self.state.model

    def compiled(self) -> CompiledRules:
        """The rule set's arrays over the current catalogue (recompiled after listings change)."""
        compiled = self._compiled
        if compiled is None or compiled.catalogue_version != self.state.catalogue.version:
            compiled = self._compiled = compile_rules(
                self.rules, self.state.catalogue, self.model.package_ids
            )
        return compiled

    def package_attributes(self, rows: np.ndarray) -> Arrays:
        attributes = self.state.catalogue.take(rows)
        attributes["row"] = rows
        return attributes

    def investor_attributes(self, rows: np.ndarray) -> Arrays:
        attributes = self.state.audience.take(rows)
        attributes["row"] = rows
        return attributes

    def attributes(self, side: str, rows: np.ndarray) -> Arrays:
        """Attributes of investors or packages (``side``) at model rows, with their ``row``."""
        return self.investor_attributes(rows) if side == "investor" else self.package_attributes(rows)

    def ids(self, side: str) -> IdMap:
        return self.model.investor_ids if side == "investor" else self.model.package_ids

    def indexed(self, side: str) -> int:
        """How many investors or packages (``side``) the model's index holds."""
        return len(self.model.investor_index if side == "investor" else self.model.package_index)

    # ------------------------------------------------------------------ eligibility
    def codes(
        self, direction: Direction, query_id: str, query: Arrays, rows: np.ndarray, now: float
    ) -> tuple[np.ndarray, Arrays]:
        """Removal codes of one query's candidate rows (never-again included), and their attributes."""
        candidates = self.attributes(direction.candidate, rows)
        if direction is PACKAGES:
            never = self.state.never_codes(query_id, rows)
        else:
            never = self.state.never_codes_by_package(query_id, rows)
        compiled = self.compiled()
        codes = pair_codes(
            compiled, direction, query, candidates, self.model.investor_ids, now, rows.shape, never
        )
        return codes, candidates

    def package_codes(
        self, investor_id: str, investor: Arrays, package_rows: np.ndarray, now: float
    ) -> tuple[np.ndarray, Arrays]:
        """Removal codes of candidate packages for one investor, and their attributes."""
        return self.codes(PACKAGES, investor_id, investor, package_rows, now)

    def investor_codes(
        self, package_id: str, package: Arrays, investor_rows: np.ndarray, now: float
    ) -> tuple[np.ndarray, Arrays]:
        """Removal codes of candidate investors for one package (the rules in reverse)."""
        return self.codes(BUYERS, package_id, package, investor_rows, now)

    def search_eligible(
        self, direction: Direction, query_id: str, query: Arrays, among: np.ndarray, width: int, now: float
    ) -> SearchResult:
        """The query's top ``width`` candidates among the rows ``among`` that pass stage 1, and only those."""
        eligible = self.codes(direction, query_id, query, among, now)[0] == 0
        allowed = np.zeros(len(self.ids(direction.candidate)), dtype=bool)
        allowed[among[eligible]] = True
        (found,) = self.state.retrieve(direction.query, [query_id], width, allowed)
        return found

    # ---------------------------------------------------------------------- serving
    def recommend(self, investor_id: str, k: int, now: datetime | None = None) -> RankedList:
        """The investor's top ``k`` live listings under the rules, each with its reasons."""
        today = self.state.advance(now)
        investor = self.investor_attributes(np.int64(self.state.investor_row(investor_id)))
        return self._serve(PACKAGES, investor_id, investor, k, today)

    def buyers(self, package_id: str, k: int, now: datetime | None = None) -> RankedList:
        """The listing's top ``k`` investors who may buy it under the same rules, in reverse."""
        today = self.state.advance(now)
        package = self.package_attributes(np.int64(self.state.package_model_row(package_id)))
        return self._serve(BUYERS, package_id, package, k, today)

    def rerank(
        self, investor_id: str, package_ids: Sequence[str], model_scores: np.ndarray, k: int
    ) -> RankedList:
        """Stages 1-6 over given model candidates (package ids and first-stage scores), as
        ``recommend`` runs them: the second stage (when the version has one) re-orders them first."""
        today = self.state.advance(None)
        investor = self.investor_attributes(np.int64(self.state.investor_row(investor_id)))
        package_rows = self.model.package_ids.rows(package_ids, "package")
        scores = np.asarray(model_scores, dtype=np.float64)
        best = np.argsort(-scores, kind="stable")
        found = self.state.reordered("investor", investor_id, SearchResult(package_rows[best], scores[best]))
        package_rows, model_scores = found.rows, found.scores
        codes, package = self.package_codes(investor_id, investor, package_rows, today)
        return self._rank(
            PACKAGES, investor_id, investor, package_rows, model_scores, codes, package, k, today
        )

    def _serve(self, direction: Direction, query_id: str, query: Arrays, k: int, today: float) -> RankedList:
        """Search the model's index, then stages 1-6; a list the rules leave short is searched
        again over exactly the eligible rows, so no rule cuts it short while eligible ones remain."""
        pool = max(self.rules.candidates, k)
        (found,) = self.state.retrieve(direction.query, [query_id], pool)
        rows, scores = found.rows, found.scores
        codes, candidates = self.codes(direction, query_id, query, rows, today)
        servable = direction is PACKAGES or bool(query["status_live"])
        if int((codes == 0).sum()) < k and self.indexed(direction.candidate) > len(rows) and servable:
            every = np.arange(len(self.ids(direction.candidate)), dtype=np.int64)
            more = self.search_eligible(direction, query_id, query, every, pool, today)
            fresh = ~np.isin(more.rows, rows)
            rows = np.concatenate([rows, more.rows[fresh]])
            scores = np.concatenate([scores, more.scores[fresh]])
            codes, candidates = self.codes(direction, query_id, query, rows, today)
        return self._rank(direction, query_id, query, rows, scores, codes, candidates, k, today)

    def _rank(
        self,
        direction: Direction,
        query_id: str,
        query: Arrays,
        rows: np.ndarray,
        scores: np.ndarray,
        codes: np.ndarray,
        candidates: Arrays,
        k: int,
        today: float,
    ) -> RankedList:
        over_cap = None
        if direction is PACKAGES:
            capped = self.state.capped_packages(query_id, self.rules.exposure.daily_cap_per_package, rows)
            over_cap = capped[None, :] if capped is not None else None
        ranking = rank_pass(
            self.compiled(), direction, query, candidates, scores[None, :], today, k, codes[None, :], over_cap
        )
        investor, package = direction.pair(query, candidates)
        ids = self.ids(direction.candidate)
        return self._ranked(
            direction.reason,
            ids,
            rows,
            scores,
            ranking.codes[0],
            ranking.parts,
            ranking.chosen[0],
            investor,
            package,
            today,
        )

    def similar(self, package_id: str, k: int) -> RankedList:
        """Live listings with the most similar content (no investor, so no eligibility rules)."""
        state, model = self.state, self.model
        today = state.advance(None)
        state.package_model_row(package_id)
        pool = max(self.rules.candidates, k)
        (ranked,) = model.similar([package_id], pool)
        ids = [other for other, _ in ranked]
        scores = np.array([score for _, score in ranked], dtype=np.float64)
        rows = model.package_ids.rows(ids)
        package = self.package_attributes(rows)
        live = servable(self.compiled(), package, today)
        items, removed = [], []
        for position in range(len(ids)):
            if len(items) == k:
                break
            facts = {
                "asset_type": [int(package["asset_type"][position])],
                "province": [int(package["province"][position])],
            }
            score = float(scores[position])
            if live[position]:
                kind = label(ASSET_TYPES, facts["asset_type"][0])
                text = f"similar listing: {kind} in {label(PROVINCES, facts['province'][0])}"
                reason = Reason("similar_content", text, score)
                items.append(RankedItem(ids[position], len(items) + 1, score, score, (reason,)))
            elif len(removed) < k:
                reason = removal_reason(CODE["not_live"], score, facts, 0, self.rules)
                removed.append(RankedItem(ids[position], len(items) + 1, score, score, (reason,)))
        return RankedList(items, removed)

    def package_row(self, package_id: str) -> dict:
        """The stored listing as plain Python values (unmasked: callers mask before serving)."""
        if not isinstance(package_id, str) or package_id not in self.state.packages:
            raise UnknownPackageError(package_id)
        return {key: _plain(value) for key, value in self.state.packages.row(package_id).items()}

    # ---------------------------------------------------------------------- updates
    def upsert_packages(self, rows: pd.DataFrame) -> None:
        """Fold in new or edited listings now (content vectors); listings no longer live leave."""
        self.state.upsert_packages(rows)

    def upsert_investors(self, rows: pd.DataFrame) -> None:
        """New or edited investors are recommendable now (profile vectors)."""
        self.state.upsert_investors(rows)

    def add_events(self, events: pd.DataFrame) -> None:
        """Dismissals and wins take effect at once; investors with new events get fresh vectors."""
        self.state.add_events(events)

    # -------------------------------------------------------------------- reasons
    def _ranked(
        self,
        direction: str,
        id_map: IdMap,
        rows: np.ndarray,
        model_scores: np.ndarray,
        codes: np.ndarray,
        parts: ScoreParts,
        chosen: np.ndarray,
        investor: Arrays,
        package: Arrays,
        now: float,
    ) -> RankedList:
        """Items with their reasons, and the removed items that would otherwise have made the list."""
        rules = self.rules
        score = parts.score[0]
        kept = chosen[chosen >= 0]
        floor = float(score[kept[-1]]) if len(kept) == len(chosen) and len(kept) else -np.inf
        dropped = np.flatnonzero((codes != 0) & (score >= floor))
        dropped = dropped[np.argsort(-score[dropped], kind="stable")][: len(chosen)]
        positions = np.concatenate([kept, dropped])
        if not len(positions):
            return RankedList([], [])
        facts = _Facts(_pair_view(investor, package), positions)
        facts["place"] = parts.place_match[0, positions].tolist()
        ids = id_map.ids(rows[positions])
        scores = score[positions].tolist()
        raw = np.asarray(model_scores)[positions].tolist()
        model_part = parts.model[0, positions].tolist()
        stated_part = parts.stated[0, positions].tolist()
        type_match = parts.type_match[0, positions].tolist()
        boosts = {name: effect[0, positions].tolist() for name, effect in parts.boosts.items()}
        ticket = rules.eligibility.ticket_fit.mode != "off"
        if ticket:
            reserve, low, high, capital = (
                np.asarray(facts[key], dtype=np.float64) for key in ("reserve", "low", "high", "capital")
            )
            strict = ~((reserve < low) | (reserve > high) | ((capital > 0) & (reserve > capital)))
            below = below_band(rules, {"low": low}, {"reserve": reserve})
            fits = np.where(strict, "within", np.where(below, "below", "near")).tolist()
            penalty = parts.ticket[0, positions].tolist() if parts.ticket is not None else [0.0] * len(fits)
        items = []
        history, places = facts["history"], facts["place"]
        asset_types, provinces, regions = facts["asset_type"], facts["province"], facts["region"]
        for n in range(len(kept)):
            reasons = [model_reason(history[n], direction, model_part[n])]
            stated = stated_reason(
                type_match[n], places[n], asset_types[n], provinces[n], regions[n], stated_part[n]
            )
            if stated is not None:
                reasons.append(stated)
            if ticket:
                reasons.append(ticket_reason(fits[n], direction, penalty[n]))
            for name, effects in boosts.items():
                if effects[n] != 0.0:
                    reasons.append(boost_reason(name, effects[n], facts, n, now))
            items.append(RankedItem(ids[n], n + 1, scores[n], raw[n], effect_order(reasons)))
        removed_codes = codes[dropped].tolist()

        def removed() -> list[RankedItem]:
            kept_scores = score[kept]
            out = []
            for n in range(len(kept), len(positions)):
                rank = 1 + int((kept_scores > scores[n]).sum())
                reason = removal_reason(removed_codes[n - len(kept)], scores[n], facts, n, rules)
                out.append(RankedItem(ids[n], rank, scores[n], raw[n], (reason,)))
            return out

        explanations = self._explanations(direction, investor, ids[: len(kept)])
        return RankedList(items, removed_factory=removed, explanations=explanations)

    def _explanations(self, direction: str, investor: Arrays, shown: list[str]) -> Explanations | None:
        """The learned reasons of an investor's shown listings, when the version has a second stage.

        Computed only if the list is served with its reasons; the shown listings' own first-stage
        scores make the block their ranks are read against.
        """
        live = self.state.second_stage
        if live is None or direction != PACKAGES.reason or not shown:
            return None
        investor_id = self.model.investor_ids.ids([int(np.asarray(investor["row"]))])[0]
        model = self.model

        def build() -> dict[str, tuple[Reason, ...]]:
            scores = model.score([investor_id], shown)[0]
            explained = live.reasons(investor_id, shown, scores)
            return {
                package_id: tuple(learned_reason(feature, text) for feature, _, text in reasons)
                for package_id, reasons in explained.items()
            }

        return build


def _pair_view(investor: Arrays, package: Arrays) -> Arrays:
    return {
        "history": investor["history"],
        "investor_type": investor["type"],
        "investor_province": investor["province"],
        "low": investor["low"],
        "high": investor["high"],
        "capital": investor["capital"],
        "asset_type": package["asset_type"],
        "province": package["province"],
        "region": package["region"],
        "seller_type": package["seller_type"],
        "reserve": package["reserve"],
        "closes": package["closes"],
        "listed": package["listed"],
        "dd": package["dd"],
    }


class _Facts(dict):
    """Candidate attributes at the listed positions, each converted to a list on first use."""

    def __init__(self, arrays: Arrays, positions: np.ndarray) -> None:
        super().__init__()
        self._arrays, self._positions = arrays, positions

    def __missing__(self, key: str) -> list:
        values = self[key] = _at(self._arrays[key], self._positions)
        return values


def _at(value: np.ndarray, positions: np.ndarray) -> list:
    """A per-candidate attribute (or a scalar shared by all) at the given positions, as a list."""
    if np.ndim(value) == 0:
        return [value.item() if isinstance(value, np.generic) else value] * len(positions)
    return value[positions].tolist()


def _plain(value: object) -> object:
    """A stored cell as a plain Python value: None for missing, datetime for timestamps."""
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NaT:
        return None
    return value
