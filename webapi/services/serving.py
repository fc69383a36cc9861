"""What one serving process serves from: the active model, the market and the rules, kept current.

Each process (a gunicorn worker, the development server) holds one :class:`Snapshot`: the
active model version loaded once, a ``Matcher`` built over the stored market, and the rule-set
version in force. Requests read it under a lock. A process loads its first model when it starts
(gunicorn's ``post_worker_init``) or on its first request; after that, new models are loaded
beside the one serving, off the request path.

Keeping every process current without a restart, at most every ``poll_seconds`` (0.5 s by
default) and on the request that comes due, one poll reads:

- the active model version: when another version was activated, its artifact is loaded and a
  new matcher built beside the old one (in a background thread, so requests go on being served
  from the old one), then swapped in atomically. If the artifact cannot be loaded, the old model
  keeps serving, the failure is logged and the version is not retried for a minute;
- a process that starts while the active version's artifact is invalid (missing, checksum,
  arrays: ``webapi.services.model_store.load_verified``) serves the newest earlier-promoted (retired)
  version whose artifact is valid instead of answering 503, and says so in ``/readyz`` and in
  the ``assetmatch_model_fallback`` gauge until the active version loads;
- the active rule-set version: a new one is parsed and swapped in (cheap: same market state);
- the market change journal and the event log after this snapshot's cursors: upserted
  investors and listings are read back from their tables and folded into the matcher, new events
  too (a dismiss or a win removes the listing at once).

A write made through this process (an upsert, a dismiss or win, a rule change, an activation)
forces a poll (or the swap) before its response, so its own next request already sees it; other
processes see it within ``poll_seconds``. One case cannot wait for the poll: a list asked for an
investor or listing this process does not know yet, which another process may have just created.
Such a miss looks the id up in the store and, if it is there, polls at once
(:meth:`ServingState.catch_up`), so a ``PUT`` answered by one worker is never a 404 on the next.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, text

from data.market_frames import load_market
from data.market_journal import (
    INVESTOR,
    PACKAGE,
    IdCursor,
    changes_since,
    event_ids_since,
    read_events,
    read_investors,
    read_packages,
    start_cursor,
    stored_ids,
)
from data.model_registry import RETIRED, ModelVersion, active_version, list_versions
from data.rule_store import active_rule_set
from data.schema import events_table, investors_table, market_changes_table, packages_table
from matching.matcher import Matcher
from matching.rule_set import RuleSet
from recommender.errors import ArtifactError
from recommender.hybrid import HybridRecommender
from webapi.services import metrics
from webapi.services.model_store import ArtifactMissingError, NoActiveModelError, load_verified
from webapi.services.rule_versions import DEFAULTS_VERSION, active_rules, rules_of

logger = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 0.5
#: A version whose artifact failed to load is tried again after this long.
RETRY_FAILED_SECONDS = 60.0

Clock = Callable[[], datetime]


class ModelUnavailableError(RuntimeError):
    """A model is active but this process could not load it (and has none to fall back on)."""


@dataclass(frozen=True)
class Snapshot:
    """One consistent view to serve from; the cursors say which journal rows it has folded in.

    ``skipped`` counts the stored rows, by table, that the market read left out because they
    break the data contract (``data.market_frames``): reported by ``/readyz`` and the metrics.
    """

    model_version: ModelVersion
    rule_version: int
    matcher: Matcher
    changes: IdCursor
    events: IdCursor
    skipped: Mapping[str, int] = field(default_factory=dict)


def load_artifact(
    version: ModelVersion, engine: Engine | None = None, cache_dir: Path | None = None
) -> HybridRecommender:
    """Load a version's model (from the store's bytes when this host cannot see its file).

    Raises ``ArtifactMissingError`` or ``recommender.errors.ArtifactError``.
    """
    return load_verified(version, engine, cache_dir)


class ServingState:
    """The process's snapshot, its polling and its hot swaps; thread-safe."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        background_swaps: bool = True,
        artifact_cache: Path | None = None,
    ) -> None:
        self._engine = engine
        #: Where artifacts fetched from the store are cached (this instance's ``models/cache``).
        self.artifact_cache = artifact_cache
        self.clock = clock
        self._poll_seconds = poll_seconds
        self._background_swaps = background_swaps
        self._snapshot: Snapshot | None = None
        self._lock = threading.RLock()  # the matcher, and swapping the snapshot
        self._poll_lock = threading.Lock()  # one poll at a time
        self._swap_lock = threading.Lock()  # one model load at a time
        self._next_poll = 0.0
        self._swap_thread: threading.Thread | None = None
        self._failed: dict[str, float] = {}
        # What went wrong loading each version, as a state fit for unauthenticated answers
        # ("model artifact unreadable"); the details go to the log.
        self._problems: dict[str, str] = {}
        self._invalid_artifacts: set[str] = set()
        self._active_name: str | None = None
        self._bad_rule_version: int | None = None

    # ------------------------------------------------------------------ reading
    @property
    def snapshot(self) -> Snapshot | None:
        """The snapshot as it is now, without polling (None before a model is loaded)."""
        return self._snapshot

    @property
    def load_problem(self) -> str | None:
        """Why the active version is not served, if loading it failed: a state, never a path."""
        return self._problems.get(self._active_name) if self._active_name else None

    @contextmanager
    def serving(self) -> Iterator[Snapshot]:
        """Poll if due, then hold the matcher for one request; 503 problems when there is no model."""
        try:
            self.refresh()
        except Exception:  # noqa: BLE001 - the store is unreachable: serve what is loaded, poll again later
            if self._snapshot is None:
                raise
            logger.warning("polling the store failed; serving the loaded snapshot", exc_info=True)
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None:
                problem = self.load_problem
                if problem:
                    raise ModelUnavailableError(problem)
                raise NoActiveModelError()
            yield snapshot

    # ------------------------------------------------------------------ polling
    def catch_up(self, kind: str, entity_id: str) -> bool:
        """After a read miss: poll now if the store holds ``entity_id`` (an investor or package).

        Returns whether it is stored, i.e. whether asking again may now succeed. An id that is
        not stored costs one indexed lookup and no poll, so unknown ids cannot force polls.
        """
        column = investors_table.c.investor_id if kind == INVESTOR else packages_table.c.package_id
        with self._engine.connect() as connection:
            if not stored_ids(connection, column, [entity_id]):
                return False
        self.refresh(force=True)
        return True

    def refresh(self, force: bool = False) -> None:
        """Poll the store when due (or now, with ``force``, waiting for a poll in progress)."""
        if not force and time.monotonic() < self._next_poll:
            return
        if not self._poll_lock.acquire(blocking=force):
            return  # another thread is polling; this request serves what is there
        try:
            self._next_poll = time.monotonic() + self._poll_seconds
            self._poll()
        finally:
            self._poll_lock.release()

    def _poll(self) -> None:
        snapshot = self._snapshot
        with self._engine.connect() as connection:
            active = active_version(connection)
            self._active_name = active.version if active is not None else None
            if snapshot is None:
                self._first_load(active, connection)
                self._publish_fallback()
                return
            stored_rules = active_rule_set(connection)
            rule_version = DEFAULTS_VERSION if stored_rules is None else stored_rules.version
            rules = self._new_rules(connection, rule_version, snapshot.rule_version)
            changes = changes_since(connection, snapshot.changes)
            event_ids = event_ids_since(connection, snapshot.events)
            investor_ids = {change.entity_id for change in changes if change.kind == INVESTOR}
            package_ids = {change.entity_id for change in changes if change.kind == PACKAGE}
            investors = read_investors(connection, investor_ids) if investor_ids else None
            packages = read_packages(connection, package_ids) if package_ids else None
            events = read_events(connection, event_ids) if event_ids else None
        with self._lock:
            if self._snapshot is snapshot:
                try:
                    self._fold_in(snapshot, investors, packages, events)
                except Exception:  # noqa: BLE001 - one bad batch must not stop serving or block the next
                    logger.exception(
                        "could not fold %d changes and %d events in; they wait for the next model",
                        len(changes),
                        len(event_ids),
                    )
                snapshot.changes.advance(change.id for change in changes)
                snapshot.events.advance(event_ids)
                if rules is not None:
                    self._snapshot = replace(
                        snapshot, matcher=snapshot.matcher.with_rules(rules), rule_version=rule_version
                    )
                    metrics.serving_rules(rule_version)
                    logger.info("now serving rule set version %s", rule_version)
        if active is not None and active.version != snapshot.model_version.version:
            self._schedule_swap(active)
        self._publish_fallback()

    def _new_rules(self, connection: Connection, version: int, serving: int) -> RuleSet | None:
        """The rules of ``version`` if they are not the ones serving (None if they cannot be read)."""
        if version == serving or version == self._bad_rule_version:
            return None
        try:
            return rules_of(connection, version)
        except Exception:  # noqa: BLE001 - a stored document this code cannot read: keep the old rules
            self._bad_rule_version = version
            logger.exception("rule set version %s cannot be read; still serving version %s", version, serving)
            return None

    @staticmethod
    def _fold_in(
        snapshot: Snapshot,
        investors: pd.DataFrame | None,
        packages: pd.DataFrame | None,
        events: pd.DataFrame | None,
    ) -> None:
        """Investors first, then listings, then the events that may refer to either."""
        if investors is not None and len(investors):
            snapshot.matcher.upsert_investors(investors)
        if packages is not None and len(packages):
            snapshot.matcher.upsert_packages(packages)
        if events is not None and len(events):
            snapshot.matcher.add_events(events)

    def _first_load(self, active: ModelVersion | None, connection: Connection) -> None:
        """The process's first model (also after a failed first attempt, once it may be retried).

        When the active version's artifact is invalid, the newest retired version (one that was
        promoted and served before) whose artifact passes the checks serves instead.
        """
        if active is None:
            return
        if self._may_try(active.version) and self._swap_to(active):
            return
        if active.version not in self._invalid_artifacts:
            return  # not the artifact's fault (the store, the market): no other version would do better
        for older in list_versions(connection):
            if older.status != RETIRED or older.version == active.version or not self._may_try(older.version):
                continue
            if self._swap_to(older):
                logger.warning(
                    "serving fallback version %s: the artifact of the active version %s is invalid",
                    older.version,
                    active.version,
                )
                return

    def fallback_state(self) -> str | None:
        """``"serving fallback version N; active version M artifact invalid"``, or None."""
        snapshot, active = self._snapshot, self._active_name
        if snapshot is None or active is None or active not in self._invalid_artifacts:
            return None
        serving = snapshot.model_version.version
        if serving == active:
            return None
        return f"serving fallback version {serving}; active version {active} artifact invalid"

    def _publish_fallback(self) -> None:
        metrics.serving_fallback(self.fallback_state() is not None)

    # ------------------------------------------------------------------ swapping
    def _may_try(self, version: str) -> bool:
        failed_at = self._failed.get(version)
        return failed_at is None or time.monotonic() - failed_at > RETRY_FAILED_SECONDS

    def _schedule_swap(self, version: ModelVersion) -> None:
        if not self._may_try(version.version):
            return
        if not self._background_swaps:
            self._swap_to(version)
            return
        thread = self._swap_thread
        if thread is not None and thread.is_alive():
            return
        self._swap_thread = threading.Thread(
            target=self._swap_to, args=(version,), name=f"model-swap-{version.version}", daemon=True
        )
        self._swap_thread.start()

    def _swap_to(self, version: ModelVersion) -> bool:
        """Build a snapshot of ``version`` beside the current one and swap it in; False on failure."""
        with self._swap_lock:
            current = self._snapshot
            if current is not None and current.model_version.version == version.version:
                return True
            try:
                snapshot = self.build_snapshot(version)
            except Exception as error:  # noqa: BLE001 - whatever broke, the old model keeps serving
                self._failed[version.version] = time.monotonic()
                self._problems[version.version] = _load_state(version.version, error)
                if isinstance(error, ArtifactError):
                    self._invalid_artifacts.add(version.version)
                metrics.model_swap("failed")
                serving = current.model_version.version if current else "nothing"
                logger.exception("model %s could not be loaded; still serving %s", version.version, serving)
                self._publish_fallback()
                return False
            self.install(snapshot)
            return True

    @property
    def engine(self) -> Engine:
        """The store this state serves from (activation writes to the same one)."""
        return self._engine

    def swap_lock(self) -> threading.Lock:
        """Held while a model is loaded and swapped in, so two swaps never race."""
        return self._swap_lock

    def build_snapshot(self, version: ModelVersion, model: HybridRecommender | None = None) -> Snapshot:
        """Load ``version`` (unless its model is given) and build a matcher over the stored market.

        The journal cursor is taken before the market is read, so a change made meanwhile is
        folded in again by the next poll (upserts are idempotent); the event cursor is the
        high-water mark of the events the matcher was built with.
        """
        model = model if model is not None else load_artifact(version, self._engine, self.artifact_cache)
        with self._engine.connect() as connection:
            changes = start_cursor(connection, market_changes_table.c.id)
            rule_version, rules = active_rules(connection)
        market = load_market(self._engine)
        with self._engine.connect() as connection:
            events = start_cursor(connection, events_table.c.id, market.event_high_water)
        matcher = Matcher.build(
            model, None, market.investors, market.packages, market.events, rules, self.clock()
        )
        return Snapshot(version, rule_version, matcher, changes, events, market.skipped)

    def install(self, snapshot: Snapshot) -> None:
        """Serve ``snapshot`` from the next request on (requests in flight finish on the old one)."""
        with self._lock:
            self._snapshot = snapshot
        version = snapshot.model_version.version
        self._failed.pop(version, None)
        self._problems.pop(version, None)
        self._invalid_artifacts.discard(version)
        metrics.serving_model(version)
        metrics.serving_rules(snapshot.rule_version)
        metrics.skipped_rows(snapshot.skipped)
        metrics.model_swap("swapped")
        self._publish_fallback()
        logger.info("now serving model %s with rule set version %s", version, snapshot.rule_version)

    def use_rules(self, rule_version: int, rules: RuleSet) -> None:
        """Serve a rule set now (after this process applied it)."""
        with self._lock:
            snapshot = self._snapshot
            if snapshot is not None and snapshot.rule_version != rule_version:
                self._snapshot = replace(
                    snapshot, matcher=snapshot.matcher.with_rules(rules), rule_version=rule_version
                )
                metrics.serving_rules(rule_version)

    def wait_for_swap(self, timeout: float) -> None:
        """Block until a background model load finishes (tests and the warm-up hook)."""
        thread = self._swap_thread
        if thread is not None:
            thread.join(timeout)

    # ------------------------------------------------------------------ health
    def database_reachable(self) -> bool:
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            # The driver's text (host, user, file) is for the log, never for the unauthenticated probe.
            logger.warning("readiness: the database is unreachable: %s", error)
            return False
        return True

    def readiness(self) -> dict[str, object]:
        """What ``/readyz`` reports: database reachable, model loaded, and which versions serve.

        States, never details: the probe answers without a key, so paths and driver messages
        stay in the log.
        """
        database = self.database_reachable()
        if database:
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - a failed poll must not fail the probe itself
                logger.exception("readiness: polling the store failed")
        snapshot = self._snapshot
        fallback = self.fallback_state()
        if snapshot is None:
            model = self.load_problem or "no active model"
        else:
            model = fallback or "loaded"
        report: dict[str, object] = {
            "database": "ok" if database else "unreachable",
            "model": model,
            "model_version": snapshot.model_version.version if snapshot else None,
            "active_model_version": self._active_name,
            "rule_version": snapshot.rule_version if snapshot else None,
            "skipped_rows": dict(snapshot.skipped) if snapshot else {},
        }
        report["ready"] = database and snapshot is not None
        return report


def _load_state(version: str, error: BaseException) -> str:
    """What failed, as a state an unauthenticated caller may see (the details are logged)."""
    if isinstance(error, ArtifactMissingError):
        return f"model {version}: model artifact missing"
    if isinstance(error, ArtifactError):
        return f"model {version}: model artifact unreadable"
    return f"model {version} could not be loaded"
