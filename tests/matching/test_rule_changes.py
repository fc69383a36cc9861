"""What a rule document changes from the active rules, and which changes are resets to defaults."""

from __future__ import annotations

import pytest

from matching.rule_changes import RuleChanges, change_summary, rule_changes
from matching.rule_document import RuleDocumentError, parse_rule_document
from matching.rule_set import DEFAULT_RULES

# Version 1 of the report: stated preferences weighed, three listings per asset type, a seller's
# province list.
ACTIVE = parse_rule_document(
    "blend: {stated: 0.3}\n"
    "diversity: {max_per_asset_type: 3}\n"
    "eligibility: {provinces_by_seller: {bank-jilin: {deny: [Liaoning]}}}\n"
)


@pytest.mark.parametrize(
    ("document", "changed", "reset"),
    [
        # the report: a partial document silently put blend.stated and max_per_asset_type back
        (
            "top_k: 30",
            ["eligibility.provinces_by_seller.bank-jilin", "blend.stated", "diversity.max_per_asset_type",
             "top_k"],
            ["eligibility.provinces_by_seller.bank-jilin", "blend.stated", "diversity.max_per_asset_type"],
        ),
        ("{}", ["eligibility.provinces_by_seller.bank-jilin", "blend.stated", "diversity.max_per_asset_type"],
         ["eligibility.provinces_by_seller.bank-jilin", "blend.stated", "diversity.max_per_asset_type"]),
        # a section written in part: the rules it leaves out reset, the ones it writes do not
        (
            "blend: {stated: 0.3, model: 2}\ndiversity: {max_per_seller: 2}\n"
            "eligibility: {provinces_by_seller: {bank-jilin: {deny: [Liaoning]}}}",
            ["blend.model", "diversity.max_per_asset_type", "diversity.max_per_seller"],
            ["diversity.max_per_asset_type"],
        ),
        # writing a free-keyed mapping writes all of it: dropping a seller is a change, not a reset
        (
            "blend: {stated: 0.3}\ndiversity: {max_per_asset_type: 3}\n"
            "eligibility: {provinces_by_seller: {}}",
            ["eligibility.provinces_by_seller.bank-jilin"],
            [],
        ),
        # writing a rule's default value on purpose is a change, not a reset
        (
            "blend: {stated: 0.0}\ndiversity: {max_per_asset_type: 3}\n"
            "eligibility: {provinces_by_seller: {bank-jilin: {deny: [Liaoning]}}}",
            ["blend.stated"],
            [],
        ),
    ],
)
def test_resets_are_the_changed_rules_the_document_leaves_out(
    document: str, changed: list[str], reset: list[str]
) -> None:
    rules, changes = rule_changes(ACTIVE, document)
    assert rules == parse_rule_document(document)
    assert (list(changes.changed), list(changes.reset)) == (changed, reset)


def test_loaded_data_and_text_give_the_same_answer() -> None:
    assert rule_changes(ACTIVE, {"top_k": 30}) == rule_changes(ACTIVE, "top_k: 30")


def test_nothing_resets_from_the_built_in_defaults() -> None:
    _, changes = rule_changes(DEFAULT_RULES, "top_k: 30")
    assert changes == RuleChanges(("top_k",), ())


def test_an_invalid_document_is_refused_as_before() -> None:
    with pytest.raises(RuleDocumentError):
        rule_changes(ACTIVE, "top_k: -1")


@pytest.mark.parametrize(
    ("changed", "reset", "text"),
    [
        (0, 0, "no rule changes"),
        (1, 0, "1 rule changes, none reset to defaults"),
        (1, 1, "1 rule changes, of which 1 resets to its default"),
        (4, 3, "4 rules change, of which 3 reset to defaults"),
        (2, 1, "2 rules change, of which 1 resets to its default"),
    ],
)
def test_the_summary_agrees_with_its_numbers(changed: int, reset: int, text: str) -> None:
    assert change_summary(changed, reset) == text
