"""The rule set in force, and changing it: validated documents over the store's versions.

Serving and the batch push ask ``active_rules`` which rules to apply, and record its version
number with what they served; version 0 is the built-in defaults, in force until the first
document is applied. ``apply_rules`` validates before it writes, so a refused document leaves the
store untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from data.rule_store import (
    ACTIVE,
    RuleSetVersion,
    UnknownRuleSetVersionError,
    active_rule_set,
    get_rule_set,
    rule_set_history,
    save_rule_set,
)
from matching.rule_document import document_changes, parse_rule_document, rule_set_to_document
from matching.rule_set import DEFAULT_RULES, RuleSet

if TYPE_CHECKING:
    from sqlalchemy import Connection

DEFAULTS_VERSION = 0
DEFAULTS_REASON = "built-in defaults"


def active_rules(connection: Connection) -> tuple[int, RuleSet]:
    """The version number and rules in force: ``(0, DEFAULT_RULES)`` before any document is applied."""
    stored = active_rule_set(connection)
    if stored is None:
        return DEFAULTS_VERSION, DEFAULT_RULES
    return stored.version, parse_rule_document(stored.document)


def rules_of(connection: Connection, version: int) -> RuleSet:
    """The rules of one stored version (0: the built-in defaults)."""
    if version == DEFAULTS_VERSION:
        return DEFAULT_RULES
    stored = get_rule_set(connection, version)
    if stored is None:
        raise UnknownRuleSetVersionError(version)
    return parse_rule_document(stored.document)


def apply_rules(
    connection: Connection, source: str | Mapping[str, Any], author: str, reason: str, now: datetime
) -> RuleSetVersion:
    """Validate a document (text or loaded data) and store it as the new active version.

    The full document is stored, every rule written out, so a later change of a default does not
    silently change a stored version.

    Raises
    ------
    RuleDocumentError
        The document is invalid; nothing was written.
    RuleSetAuditError
        ``author`` or ``reason`` is blank; nothing was written.
    """
    rules = parse_rule_document(source)
    return save_rule_set(connection, rule_set_to_document(rules), author, reason, now)


def rule_history(connection: Connection) -> list[tuple[RuleSetVersion, list[str]]]:
    """Every stored version, newest first, with the rules it changed from the version before it."""
    versions = rule_set_history(connection)
    documents = [version.document for version in versions] + [rule_set_to_document(DEFAULT_RULES)]
    return [
        (version, document_changes(documents[i + 1], version.document)) for i, version in enumerate(versions)
    ]


def defaults_json() -> dict[str, Any]:
    """The built-in defaults in ``RuleSetVersion.to_json`` form, for while no version is stored."""
    return {
        "version": DEFAULTS_VERSION,
        "status": ACTIVE,
        "created_at": None,
        "author": None,
        "reason": DEFAULTS_REASON,
        "document": rule_set_to_document(DEFAULT_RULES),
    }
