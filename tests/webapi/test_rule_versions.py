"""The rules in force: built-in defaults until a validated document is applied."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine

from data.rule_store import RuleSetAuditError, UnknownRuleSetVersionError, rule_set_history
from matching.rule_document import RuleDocumentError, parse_rule_document, rule_set_to_document
from matching.rule_set import DEFAULT_RULES
from webapi.services.rule_versions import DEFAULTS_VERSION, active_rules, apply_rules, rule_history, rules_of

T0 = datetime(2025, 3, 1, 9, 30)
PUSH = "boosts: {closing_soon: {enabled: true, weight: 0.2}}\nmarket: {licence_min_loans: 5}"


def test_the_defaults_are_version_0_until_a_document_is_applied(engine: Engine) -> None:
    with engine.connect() as connection:
        assert active_rules(connection) == (DEFAULTS_VERSION, DEFAULT_RULES)
        assert rules_of(connection, 0) == DEFAULT_RULES
        assert rule_history(connection) == []


def test_an_applied_document_is_stored_in_full_and_becomes_the_rules_in_force(engine: Engine) -> None:
    with engine.begin() as connection:
        saved = apply_rules(connection, PUSH, "alice", "closing-soon push", T0)
    expected = parse_rule_document(PUSH)
    assert saved.document == rule_set_to_document(expected)
    with engine.connect() as connection:
        assert active_rules(connection) == (1, expected)
        assert rules_of(connection, 1) == expected
        with pytest.raises(UnknownRuleSetVersionError, match="unknown rule set version 7"):
            rules_of(connection, 7)


def test_a_refused_document_or_missing_reason_writes_nothing(engine: Engine) -> None:
    with engine.connect() as connection:
        with pytest.raises(RuleDocumentError):
            apply_rules(connection, "market: {licence_rule: false}", "mallory", "switch it off", T0)
        with pytest.raises(RuleSetAuditError):
            apply_rules(connection, PUSH, "alice", " ", T0)
        assert rule_set_history(connection) == []


def test_history_lists_what_each_version_changed_from_the_one_before(engine: Engine) -> None:
    with engine.connect() as connection:
        apply_rules(connection, PUSH, "alice", "push", T0)
        longer = {**rule_set_to_document(parse_rule_document(PUSH)), "top_k": 30}
        apply_rules(connection, longer, "bob", "longer", T0 + timedelta(days=1))
        apply_rules(connection, "{}", "carol", "back to defaults", T0 + timedelta(days=2))
        history = rule_history(connection)
    assert [(version.version, changes) for version, changes in history] == [
        (
            3,
            [
                "market.licence_min_loans",
                "boosts.closing_soon.enabled",
                "boosts.closing_soon.weight",
                "top_k",
            ],
        ),
        (2, ["top_k"]),
        (1, ["market.licence_min_loans", "boosts.closing_soon.enabled", "boosts.closing_soon.weight"]),
    ]
