"""The market snapshot a matcher serves from, kept current as listings, investors and events arrive.

One ``MarketState`` is shared by every ``Matcher`` built over it (``Matcher.with_rules`` makes a
new rule view, not a new state): the model with its live index, the package and investor
attribute arrays, the stored rows (for ``package_row`` and profile refreshes), the
never-again pairs and today's impressions.

Writes are incremental: a new listing is encoded and indexed at once, a dismiss takes effect
at once, and an investor with new events gets its profile and vector rebuilt from its own
events only (``O(that investor's events)``), not from the whole log.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from data.liveness import live_packages
from matching.audience import Audience
from matching.catalogue import Catalogue, days_column, epoch_days
from matching.columns import Columns
from matching.errors import UnknownInvestorError, UnknownPackageError
from matching.market_rules import NEVER_AGAIN_EVENTS
from profiles import EventWeights, ProfileTable, build_profiles
from recommender.hybrid import HybridRecommender
from recommender.idmap import IdMap
from recommender.interactions import interaction_matrix, positive_part
from recommender.package_features import package_feature_rows
from recommender.pipeline import add_investors, sync_live_packages
from recommender.retrieval import SearchResult

if TYPE_CHECKING:  # imported when a version has a second stage (it loads lightgbm)
    from recommender.second_stage.live import LiveSecondStage

DISMISSED, WON = NEVER_AGAIN_EVENTS


class RowStore:
    """Contract rows by id: a base frame plus rows written since, without copying the base."""

    def __init__(self, frame: pd.DataFrame, key: str) -> None:
        self.key = key
        self.base = frame.reset_index(drop=True)
        self.columns = list(frame.columns)
        self._positions = {value: position for position, value in enumerate(self.base[key].tolist())}
        self._written: dict[str, dict] = {}

    def __contains__(self, row_id: object) -> bool:
        return row_id in self._written or row_id in self._positions

    def row(self, row_id: str) -> dict:
        if row_id in self._written:
            return dict(self._written[row_id])
        return self.base.iloc[self._positions[row_id]].to_dict()

    def frame(self, row_ids: Iterable[str]) -> pd.DataFrame:
        """The current rows of the given ids that exist, as a contract frame."""
        ids = [i for i in dict.fromkeys(row_ids) if i in self]
        base = [self._positions[i] for i in ids if i not in self._written]
        written = [self._written[i] for i in ids if i in self._written]
        parts = [self.base.iloc[base]] if base else []
        if written:
            parts.append(
                pd.DataFrame(written, columns=self.columns).astype(
                    self.base.dtypes.to_dict(), errors="ignore"
                )
            )
        if not parts:
            return self.base.iloc[:0]
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)

    def write(self, rows: pd.DataFrame) -> None:
        for record in rows.to_dict("records"):
            self._written[record[self.key]] = {c: record.get(c) for c in self.columns}


class EventLog:
    """The event log, with each investor's own events reachable without scanning the rest."""

    def __init__(self, events: pd.DataFrame) -> None:
        self.base = events.reset_index(drop=True)
        self._positions: dict[str, np.ndarray] | None = None
        self._added: dict[str, list[pd.DataFrame]] = defaultdict(list)

    def add(self, events: pd.DataFrame) -> None:
        for investor_id, group in events.groupby("investor_id", sort=False):
            self._added[str(investor_id)].append(group)

    def of(self, investor_ids: Sequence[str]) -> pd.DataFrame:
        """Every known event of the given investors."""
        if self._positions is None:  # built on the first refresh only
            self._positions = self.base.groupby("investor_id", sort=False).indices
        positions = [self._positions[i] for i in investor_ids if i in self._positions]
        parts = [self.base.iloc[np.concatenate(positions)]] if positions else []
        parts += [frame for i in investor_ids for frame in self._added.get(i, ())]
        return pd.concat(parts, ignore_index=True) if parts else self.base.iloc[:0]


class MarketState:
    """Model, attribute arrays and rule-relevant history for one market."""

    def __init__(
        self,
        model: HybridRecommender,
        investors: pd.DataFrame,
        packages: pd.DataFrame,
        events: pd.DataFrame,
        now: datetime,
        event_weights: EventWeights | None = None,
    ) -> None:
        self.model = model
        self.now = now
        self.now_days = epoch_days(now)
        self.event_weights = event_weights or EventWeights()
        self.investors = RowStore(investors, "investor_id")
        self.packages = RowStore(packages, "package_id")
        self.events = EventLog(events)
        self.catalogue = Catalogue()
        self.audience = Audience()
        self.never_again: dict[str, dict[str, str]] = defaultdict(dict)  # investor -> package -> dismiss/win
        self.never_by_package: dict[str, dict[str, str]] = defaultdict(dict)
        self.impression_day = math.floor(epoch_days(now))
        self.impressions: dict[str, set[str]] = defaultdict(set)  # package -> investors shown it today
        self.shown_today = Columns({"investors": (np.int32, 0)})  # per package row: investors shown it today
        self.seen_today: dict[str, list[int]] = defaultdict(
            list
        )  # investor -> package rows shown to it today
        # The version's learned second stage with this market's contexts; None: first stage only.
        self.second_stage: LiveSecondStage | None = None

    # --------------------------------------------------------------------- building
    @classmethod
    def build(
        cls,
        model: HybridRecommender,
        profiles: ProfileTable | None,
        investors: pd.DataFrame,
        packages: pd.DataFrame,
        events: pd.DataFrame,
        now: datetime,
    ) -> MarketState:
        """Index the packages live at ``now``, vectorise investors the model lacks, encode attributes."""
        state = cls(model, investors, packages, events, now)
        registered = investors[investors["registered_at"] <= now]
        ids = registered["investor_id"].tolist()
        if profiles is None:
            profiles = build_profiles(registered, packages, events, now, state.event_weights)
        missing = [i for i in ids if i not in profiles]
        frames = [profiles.frame.loc[[i for i in ids if i in profiles]]]
        if missing:
            extra = build_profiles(registered[registered["investor_id"].isin(missing)], packages, events, now)
            add_investors(model, extra, missing)
            frames.append(extra.frame)
        add_investors(model, profiles, [i for i in ids if i in profiles])
        sync_live_packages(model, live_packages(packages, now))
        known = packages[packages["package_id"].isin(set(model.package_ids.external_ids.tolist()))]
        state.catalogue.set_rows(model.package_ids.rows(known["package_id"].tolist()), known)
        table = pd.concat(frames) if len(frames) > 1 else frames[0]
        state.audience.set_rows(model.investor_ids.rows(table.index.tolist()), table)
        state._remember(events)
        if model.second_stage is not None:
            from recommender.second_stage.live import LiveSecondStage

            known_ids = [i for i in ids if i in profiles]
            state.second_stage = LiveSecondStage.build(
                model.second_stage, profiles, packages, events, now, known_ids
            )
            if missing:
                state.second_stage.upsert_investors(extra, packages, events, now, missing)
        return state

    def retrieve(
        self,
        query: str,
        query_ids: Sequence[str],
        k: int,
        allowed: np.ndarray | None = None,
        exclude: Sequence[np.ndarray] | None = None,
    ) -> list[SearchResult]:
        """The model's candidates for each query, re-ordered by the second stage when there is one.

        The one place every ranked list (serving both directions, the batch push) gets its
        candidates: first-stage retrieval (``HybridRecommender.retrieve``), then the learned
        second stage over each block, before any rule stage. The scores stay the first stage's
        values in the new order (``LiveSecondStage.reorder``), so results remain best first.
        """
        found = self.model.retrieve(query, query_ids, k, allowed, exclude)
        if self.second_stage is None:
            return found
        pairs = zip(query_ids, found, strict=True)
        return [self.reordered(query, query_id, result) for query_id, result in pairs]

    def reordered(self, query: str, query_id: str, result: SearchResult) -> SearchResult:
        """One query's first-stage result (best first) in second-stage order."""
        stage = self.second_stage
        if stage is None or len(result.rows) < 2:
            return result
        ids = (self.model.package_ids if query == "investor" else self.model.investor_ids).ids(result.rows)
        order = stage.reorder(query, query_id, ids, result.scores)
        return SearchResult(result.rows[order], result.scores)

    def _remember(self, events: pd.DataFrame) -> None:
        """Never-again pairs and today's impressions from a batch of events."""
        final = events[events["event_type"].isin(NEVER_AGAIN_EVENTS)]
        for investor_id, package_id, kind in zip(
            final["investor_id"], final["package_id"], final["event_type"], strict=True
        ):
            if self.never_again[investor_id].get(package_id) != WON:
                self.never_again[investor_id][package_id] = kind
                self.never_by_package[package_id][investor_id] = kind
        shown = events[events["event_type"] == "impression"]
        if len(shown):
            days = np.floor(days_column(shown["occurred_at"]))
            today = shown[days == self.impression_day]
            rows = self.model.package_ids.rows_or_missing(today["package_id"].tolist())
            counted = []
            for investor_id, package_id, row in zip(
                today["investor_id"], today["package_id"], rows.tolist(), strict=True
            ):
                seen = self.impressions[package_id]
                if investor_id not in seen:
                    seen.add(investor_id)
                    if row >= 0:
                        counted.append(row)
                        self.seen_today[investor_id].append(row)
            if counted:
                counted_rows = np.asarray(counted, dtype=np.int64)
                self.shown_today.reserve(int(counted_rows.max()) + 1)
                np.add.at(self.shown_today["investors"], counted_rows, 1)

    # ---------------------------------------------------------------------- reading
    def advance(self, now: datetime | None) -> float:
        """Move the clock forward to ``now`` (a new day forgets yesterday's impressions).

        Returns ``now`` (or the clock, when None) in epoch days.
        """
        if now is None or now == self.now:
            return self.now_days
        moment = epoch_days(now)
        if now > self.now:
            self.now, self.now_days = now, moment
            day = math.floor(moment)
            if day != self.impression_day:
                self.impression_day = day
                self.impressions.clear()
                self.seen_today.clear()
                self.shown_today["investors"][:] = 0
        return moment

    def investor_row(self, investor_id: str) -> int:
        """The model row of a registered investor; anything else is an ``UnknownInvestorError``.

        An investor stored with a registration date still ahead of the clock is profiled the
        first time it is asked for once that date has passed.
        """
        if not isinstance(investor_id, str):
            raise UnknownInvestorError(investor_id)
        row = self._known_row(investor_id)
        if row < 0 and investor_id in self.investors:
            registered = pd.Timestamp(self.investors.row(investor_id)["registered_at"])
            if registered <= pd.Timestamp(self.now):
                self.refresh_investors([investor_id])
                row = self._known_row(investor_id)
        if row < 0:
            raise UnknownInvestorError(investor_id)
        return row

    def _known_row(self, investor_id: str) -> int:
        row = int(self.model.investor_ids.rows_or_missing([investor_id])[0])
        known = self.audience.columns["known"]
        return row if 0 <= row < len(known) and known[row] else -1

    def package_model_row(self, package_id: str) -> int:
        """The model row of a stored package, giving a vector (not indexed) to one the model lacks."""
        if not isinstance(package_id, str) or package_id not in self.packages:
            raise UnknownPackageError(package_id)
        model = self.model
        row = model.package_ids.rows_or_missing([package_id])[0]
        if row < 0:
            frame = self.packages.frame([package_id])
            model.index_packages([package_id], package_feature_rows(frame))
            row = model.package_ids.row(package_id)
            model.unindex_packages([package_id])
            self.catalogue.set_rows(np.array([row]), frame)
            if self.second_stage is not None:
                self.second_stage.add_packages(frame)
        return int(row)

    # ---------------------------------------------------------------------- writing
    def upsert_packages(self, rows: pd.DataFrame) -> None:
        """Store listings; index those live now, unindex the rest; refresh their attributes."""
        if rows.empty:
            return
        self.packages.write(rows)
        frame = self.packages.frame(rows["package_id"].tolist())
        sync_live_packages(self.model, live_packages(frame, self.now), scope=frame["package_id"])
        known = frame[[package_id in self.model.package_ids for package_id in frame["package_id"]]]
        self.catalogue.set_rows(self.model.package_ids.rows(known["package_id"].tolist()), known)
        if self.second_stage is not None:
            self.second_stage.add_packages(frame)

    def upsert_investors(self, rows: pd.DataFrame) -> None:
        """Store investors and (re)build the profile and vector of those registered by now."""
        if rows.empty:
            return
        self.investors.write(rows)
        registered = rows[pd.to_datetime(rows["registered_at"]) <= pd.Timestamp(self.now)]
        self.refresh_investors(registered["investor_id"].tolist())

    def add_events(self, events: pd.DataFrame) -> None:
        """Never-again and impressions at once; investors with new events get a fresh profile and vector."""
        if events.empty:
            return
        latest = pd.Timestamp(events["occurred_at"].max())
        if not pd.isna(latest) and latest.to_pydatetime() > self.now:
            self.advance(latest.to_pydatetime())
        self.events.add(events)
        self._remember(events)
        telling = events[events["event_type"] != "impression"]  # impressions change no profile
        known = [i for i in dict.fromkeys(telling["investor_id"].tolist()) if i in self.investors]
        known = [i for i in known if self.model.investor_ids.rows_or_missing([i])[0] >= 0]
        self.refresh_investors(known)

    def refresh_investors(self, investor_ids: Sequence[str]) -> None:
        """Profile and vector of each investor from its own events, in one batch."""
        if not investor_ids:
            return
        now = self.now
        investors = self.investors.frame(investor_ids)
        ids = investors["investor_id"].tolist()
        events = self.events.of(ids)
        packages = (
            self.packages.frame(events["package_id"].tolist()) if len(events) else self.packages.frame([])
        )
        profiles = build_profiles(investors, packages, events, now, self.event_weights)
        weights = self.event_weights
        evidence = positive_part(
            interaction_matrix(
                events,
                IdMap(ids),
                IdMap(packages["package_id"].tolist()),
                dict(weights.weights),
                weights.half_life_days,
                now,
            )
        )
        package_ids = packages["package_id"].tolist()
        per_investor = [
            {package_ids[c]: float(v) for c, v in zip(evidence[r].indices, evidence[r].data, strict=True)}
            for r in range(len(ids))
        ]
        model = self.model
        model.upsert_investors(
            ids, profiles.feature_rows(ids, model.config.investor_feature_groups), per_investor
        )
        self.audience.set_rows(model.investor_ids.rows(ids), profiles.frame.loc[ids])
        if self.second_stage is not None:
            self.second_stage.upsert_investors(profiles, packages, events, now, ids)

    # ----------------------------------------------------------------- rule inputs
    def never_codes(self, investor_id: str, package_rows: np.ndarray) -> np.ndarray | None:
        """Per candidate package: 1 dismissed, 2 won, 0 neither (None when the investor has none)."""
        pairs = self.never_again.get(investor_id)
        if not pairs:
            return None
        return self._codes(pairs, self.model.package_ids, package_rows)

    def never_codes_by_package(self, package_id: str, investor_rows: np.ndarray) -> np.ndarray | None:
        """Per candidate investor: 1 dismissed this package, 2 won it, 0 neither."""
        pairs = self.never_by_package.get(package_id)
        if not pairs:
            return None
        return self._codes(pairs, self.model.investor_ids, investor_rows)

    @staticmethod
    def _codes(pairs: dict[str, str], ids: IdMap, rows: np.ndarray) -> np.ndarray:
        codes = np.zeros(rows.shape, dtype=np.int8)
        for kind, code in ((DISMISSED, 1), (WON, 2)):
            marked = ids.rows_or_missing([other for other, k in pairs.items() if k == kind])
            if len(marked):
                codes[np.isin(rows, marked[marked >= 0])] = code
        return codes

    def capped_packages(
        self, investor_id: str, cap: int | None, package_rows: np.ndarray
    ) -> np.ndarray | None:
        """Per candidate: already shown to ``cap`` other investors today (None: no cap)."""
        if cap is None:
            return None
        counts = self.shown_today["investors"]
        safe = np.minimum(package_rows, len(counts) - 1)
        full = (counts[safe] >= cap) & (package_rows < len(counts))
        seen = self.seen_today.get(investor_id)
        if seen and full.any():
            full &= ~np.isin(package_rows, seen)
        return full
