"""Rule sets for the API, the console and the CLI: what is in force, its history, apply and preview.

One implementation each, so ``PUT /v1/rules`` and the console's Apply store and serve a rule set
the same way, and ``POST /v1/rules/preview``, the console's Preview and ``assetmatch rules
preview`` compare the same lists. The callers only parse their input and render the result;
a preview holds a worker for seconds to minutes, so the HTTP callers pass their heavy-call gate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from data.market_frames import StoredMarket, load_market
from data.model_registry import ModelVersion
from data.rule_store import RuleSetVersion, active_rule_set
from matching.preview import RulePreview
from matching.rule_changes import RuleChanges, rule_changes
from matching.rule_document import parse_rule_document
from webapi.services.model_store import load_verified
from webapi.services.rule_replay import preview_rules
from webapi.services.rule_versions import active_rules, apply_rules, defaults_json, rule_history
from webapi.services.serving import ServingState

RuleDocument = str | Mapping[str, Any]


def active_rule_set_json(engine: Engine) -> dict[str, Any]:
    """The rule set in force as JSON (version, document, audit); the defaults until one is applied."""
    with engine.connect() as connection:
        stored = active_rule_set(connection)
    return defaults_json() if stored is None else stored.to_json()


def rule_versions_json(engine: Engine) -> list[dict[str, Any]]:
    """Every version, newest first, each with the rules it changed; the built-in defaults last."""
    with engine.connect() as connection:
        history = rule_history(connection)
    versions = [{**version.to_json(), "changes": changes} for version, changes in history]
    versions.append({**defaults_json(), "status": "retired" if history else "active", "changes": []})
    return versions


def changes_from_active(engine: Engine, document: RuleDocument) -> RuleChanges:
    """Which rules ``document`` changes from the active set, and which it resets to their defaults."""
    with engine.connect() as connection:
        _, active = active_rules(connection)
    return rule_changes(active, document)[1]


@dataclass(frozen=True)
class AppliedRules:
    """The version just stored (now active) and what it changed from the one before."""

    version: RuleSetVersion
    changes: RuleChanges


def apply_rule_set(
    state: ServingState, document: RuleDocument, author: str, why: str, now: datetime
) -> AppliedRules:
    """Store ``document`` as the new active version and serve it in this process before returning.

    Raises ``RuleDocumentError`` for a bad document and ``RuleSetAuditError`` for a missing or
    oversized reason; either way nothing is stored. Other processes switch on their next poll.
    """
    with state.engine.begin() as connection:
        _, current = active_rules(connection)
        _, changes = rule_changes(current, document)
        version = apply_rules(connection, document, author, why, now)
    state.use_rules(version.version, parse_rule_document(version.document))
    return AppliedRules(version, changes)


@dataclass(frozen=True)
class RuleSetPreview:
    """A preview and what it was computed against: the model version, the active rules, the market."""

    model_version: ModelVersion
    active_rule_version: int
    changes: RuleChanges
    result: RulePreview
    market: StoredMarket

    def to_json(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version.version,
            "active_rule_version": self.active_rule_version,
            "rule_changes": self.changes.to_json(),
            **self.result.to_json(),
        }


def preview_rule_set(
    engine: Engine,
    model_version: ModelVersion,
    document: RuleDocument,
    now: datetime,
    *,
    sample: int,
    k: int,
    offline: bool,
    gate: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> RuleSetPreview:
    """What ``document`` would change against the active rules under ``model_version``; nothing is stored.

    ``gate`` wraps the heavy part (loading the market and a private copy of the model, ranking,
    the offline replay's refit). Raises ``RuleDocumentError`` for a bad document and the
    artifact errors of ``model_store.load_verified`` for a model that cannot be loaded.
    """
    with gate():
        with engine.connect() as connection:
            active_version, active = active_rules(connection)
        candidate, changes = rule_changes(active, document)
        model = load_verified(model_version, engine)
        market = load_market(engine)
        result = preview_rules(market, model, active, candidate, now, sample=sample, k=k, offline=offline)
    return RuleSetPreview(model_version, active_version, changes, result, market)
