"""Matching rule-set versions in the store: save a new one, read the active one, list the history.

Each change is a new numbered version with who made it, when and why; versions are never edited
or deleted, so the table is the audit trail, and going back to an earlier rule set means saving
its document again (with a reason) as a new version. Exactly one version is active.

The store keeps documents as plain JSON data: validating them is the matching layer's job
(``matching.rule_document``). With no version stored, the built-in defaults (version 0) apply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from data.json_shape import has_surrogate
from data.schema import ID_LENGTH, rule_sets_table

ACTIVE = "active"
RETIRED = "retired"
RULE_SET_STATUSES = (ACTIVE, RETIRED)
AUTHOR_MAX_LENGTH = ID_LENGTH * 2


class RuleSetAuditError(ValueError):
    """A rule-set change without a proper author or reason: every change must say who and why."""


class UnknownRuleSetVersionError(LookupError):
    def __init__(self, version: int) -> None:
        super().__init__(f"unknown rule set version {version!r}")


@dataclass(frozen=True)
class RuleSetVersion:
    """One stored version of the rule set."""

    version: int
    created_at: datetime
    author: str
    reason: str
    status: str
    document: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "author": self.author,
            "reason": self.reason,
            "document": self.document,
        }


def save_rule_set(
    connection: Connection, document: dict[str, Any], author: str, reason: str, now: datetime
) -> RuleSetVersion:
    """Store ``document`` as the next version and make it the only active one.

    Retiring the previous version and inserting the new one happen in one transaction: the
    caller's, when the connection is already in one (the caller commits), else one of its own.

    Raises
    ------
    RuleSetAuditError
        When ``author`` or ``reason`` is blank, or ``author`` is longer than the column.
    """
    author, reason = _checked_audit(author, reason)
    text = json.dumps(document, ensure_ascii=False, allow_nan=False)
    if connection.in_transaction():
        return _insert_active(connection, text, author, reason, now)
    with connection.begin():
        return _insert_active(connection, text, author, reason, now)


def _checked_audit(author: str, reason: str) -> tuple[str, str]:
    author, reason = (author or "").strip(), (reason or "").strip()
    if not reason:
        raise RuleSetAuditError("a rule set change needs a reason: say why the rules change")
    if not author:
        raise RuleSetAuditError("a rule set change needs an author: say who changes the rules")
    if len(author) > AUTHOR_MAX_LENGTH:
        raise RuleSetAuditError(f"author must be at most {AUTHOR_MAX_LENGTH} characters, got {len(author)}")
    for name, value in (("reason", reason), ("author", author)):
        if has_surrogate(value) or "\x00" in value:  # the store could not encode it
            raise RuleSetAuditError(f"{name} must be valid Unicode text without NUL characters")
    return author, reason


def _insert_active(
    connection: Connection, document: str, author: str, reason: str, now: datetime
) -> RuleSetVersion:
    table = rule_sets_table
    version = next_version(connection)
    connection.execute(update(table).where(table.c.status == ACTIVE).values(status=RETIRED))
    connection.execute(
        table.insert().values(
            version=version, created_at=now, author=author, reason=reason, status=ACTIVE, document=document
        )
    )
    return RuleSetVersion(version, now, author, reason, ACTIVE, json.loads(document))


def next_version(connection: Connection) -> int:
    """One more than the newest version (1 for the first)."""
    newest = connection.execute(select(func.max(rule_sets_table.c.version))).scalar()
    return int(newest or 0) + 1


def active_rule_set(connection: Connection) -> RuleSetVersion | None:
    """The version in force, or None while the built-in defaults apply."""
    row = connection.execute(select(rule_sets_table).where(rule_sets_table.c.status == ACTIVE)).first()
    return None if row is None else _from_row(row._mapping)


def get_rule_set(connection: Connection, version: int) -> RuleSetVersion | None:
    row = connection.execute(select(rule_sets_table).where(rule_sets_table.c.version == version)).first()
    return None if row is None else _from_row(row._mapping)


def rule_set_history(connection: Connection) -> list[RuleSetVersion]:
    """Every stored version, newest first."""
    rows = connection.execute(select(rule_sets_table).order_by(rule_sets_table.c.version.desc())).all()
    return [_from_row(row._mapping) for row in rows]


def _from_row(row: Any) -> RuleSetVersion:
    return RuleSetVersion(
        version=int(row["version"]),
        created_at=row["created_at"],
        author=row["author"],
        reason=row["reason"],
        status=row["status"],
        document=json.loads(row["document"]),
    )
