"""Rule-set documents: every problem reported with its path, hard rules never off, round trips."""

from __future__ import annotations

import dataclasses
import json
import re
import time

import pytest

from matching.rule_document import (
    RuleDocumentError,
    changed_paths,
    parse_rule_document,
    render_document,
    rule_set_to_document,
)
from matching.rule_fields import MappingOf, Section
from matching.rule_schema import RULE_SET_SCHEMA
from matching.rule_set import (
    DEFAULT_RULES,
    Blend,
    Boost,
    Boosts,
    Diversity,
    Eligibility,
    Exposure,
    MarketTightening,
    ProvinceList,
    RuleSet,
    TicketFit,
)
from tests.conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "docs" / "examples" / "rules.yaml"
GUIDE = REPO_ROOT / "docs" / "operator-guide.md"


def problems_of(source: str | dict) -> list[str]:
    with pytest.raises(RuleDocumentError) as raised:
        parse_rule_document(source)
    assert str(raised.value) == "\n".join(raised.value.problems)
    return raised.value.problems


# (document, the one problem it must produce)
PROBLEMS = [
    ("boosts: {closing_soon: {enabled: true, weight: 12}}",
     "boosts.closing_soon.weight: must be between 0 and 10, got 12"),
    ("boosts: {closing_soon: {enabled: true, weight: -0.1}}",
     "boosts.closing_soon.weight: must be between 0 and 10, got -0.1"),
    ('boosts: {closing_soon: {enabled: "true"}}',
     'boosts.closing_soon.enabled: must be true or false, got "true"'),
    ("boosts: {data_room: {enabled: 1}}", "boosts.data_room.enabled: must be true or false, got 1"),
    ("boosts: {data_room_min_dd: 1.5}", "boosts.data_room_min_dd: must be between 0 and 1, got 1.5"),
    ("boosts: {closing_soon_days: 400}", "boosts.closing_soon_days: must be between 0 and 365, got 400"),
    ("boosts: {closing_soon: 0.2}", "boosts.closing_soon: must be a mapping, got 0.2"),
    ("boosts: {closing_son: {enabled: true}}", "boosts.closing_son: unknown rule"),
    ("boots: {}", "boots: unknown rule"),
    ("diversity: {max_per_seller: -1}",
     "diversity.max_per_seller: must be a positive integer or null, got -1"),
    ("diversity: {max_per_seller: 0}", "diversity.max_per_seller: must be a positive integer or null, got 0"),
    ("diversity: {max_per_province: 2.5}",
     "diversity.max_per_province: must be a positive integer or null, got 2.5"),
    ('diversity: {max_per_asset_type: "3"}',
     'diversity.max_per_asset_type: must be a positive integer or null, got "3"'),
    ("exposure: {daily_cap_per_package: -5}",
     "exposure.daily_cap_per_package: must be a positive integer or null, got -5"),
    ("exposure: {floor_investors: -1}", "exposure.floor_investors: must be a non-negative integer, got -1"),
    ("exposure: {floor_top_k: 0}", "exposure.floor_top_k: must be an integer between 1 and 1000, got 0"),
    ("blend: {model: high}", 'blend.model: must be a number, got "high"'),
    ("blend: {stated: .nan}", "blend.stated: must be a number, got NaN"),
    ("blend: {rules: true}", "blend.rules: must be a number, got true"),
    ("blend: {model: 0, stated: 0, rules: 0}",
     "blend: at least one weight must be above 0, or every list would be in arbitrary order"),
    ("eligibility: {provinces_by_seller: {bank-jilin: {deny: [Liaoning, Jlin]}}}",
     "eligibility.provinces_by_seller.bank-jilin.deny[1]: unknown province 'Jlin'"),
    ("boosts: {featured_asset_types: [land, spaceship]}",
     "boosts.featured_asset_types[1]: unknown asset type 'spaceship'"),
    ("boosts: {featured_provinces: [Atlantis]}", "boosts.featured_provinces[0]: unknown province 'Atlantis'"),
    ("eligibility: {provinces_by_package: {PKG1: {allow: [Jilin, Jilin]}}}",
     "eligibility.provinces_by_package.PKG1.allow[1]: 'Jilin' is listed twice"),
    ("eligibility: {provinces_by_package: {PKG1: {allow: [Jilin], deny: [Jilin]}}}",
     "eligibility.provinces_by_package.PKG1.deny: 'Jilin' also in allow"),
    ("eligibility: {provinces_by_package: {PKG1: {allow: Jilin}}}",
     'eligibility.provinces_by_package.PKG1.allow: must be a list of provinces, got "Jilin"'),
    ("eligibility: {provinces_by_package: {PKG1: {alow: [Jilin]}}}",
     "eligibility.provinces_by_package.PKG1.alow: unknown list (expected allow or deny)"),
    ("eligibility: {provinces_by_package: {12345: {allow: [Jilin]}}}",
     "eligibility.provinces_by_package.12345: ids must be non-empty text (quote numbers), got 12345"),
    ("eligibility: {provinces_by_seller: [bank-jilin]}",
     'eligibility.provinces_by_seller: must be a mapping of id to rules, got ["bank-jilin"]'),
    ("eligibility: {investor_types_by_seller_type: {bnak: [bank]}}",
     "eligibility.investor_types_by_seller_type.bnak: unknown seller type 'bnak'"),
    ("eligibility: {investor_types_by_seller_type: {court: [bank, fund]}}",
     "eligibility.investor_types_by_seller_type.court[1]: unknown investor type 'fund'"),
    ("eligibility: {investor_types_by_seller_type: {court: []}}",
     "eligibility.investor_types_by_seller_type.court: must list at least one investor type"),
    ("eligibility: {ticket_fit: {mode: loose}}",
     'eligibility.ticket_fit.mode: must be one of off, strict, tolerance, got "loose"'),
    ("eligibility: {ticket_fit: {tolerance: -1}}",
     "eligibility.ticket_fit.tolerance: must be between 0 and 10, got -1"),
    ('eligibility: {cross_border_only: "no"}',
     'eligibility.cross_border_only: must be true or false, got "no"'),
    ("eligibility: {related_parties: [[INV1]]}",
     'eligibility.related_parties[0]: must be [investor_id, seller_id] or {investor_id: ..., seller_id: ...} '
     'with non-empty ids, got ["INV1"]'),
    ("eligibility: {related_parties: [{investor_id: INV1}]}",
     'eligibility.related_parties[0]: must be [investor_id, seller_id] or {investor_id: ..., seller_id: ...} '
     'with non-empty ids, got {"investor_id": "INV1"}'),
    ("eligibility: {related_parties: [[INV1, bank-jilin], {investor_id: INV1, seller_id: bank-jilin}]}",
     "eligibility.related_parties[1]: ['INV1', 'bank-jilin'] is listed twice"),
    ("market: {min_hours_before_close: -2}", "market.min_hours_before_close: must be at least 0, got -2"),
    ("market: {licence_min_loans: 0}",
     "market.licence_min_loans: must be an integer between 1 and 10, got 0"),
    ("market: {licence_min_loans: 2.5}",
     "market.licence_min_loans: must be an integer between 1 and 10, got 2.5"),
    ("candidates: 0", "candidates: must be an integer between 1 and 10000, got 0"),
    ("top_k: 600", "top_k: must not exceed candidates (500), got 600"),
    ("top_k: 20\ntop_k: 30", "(document): line 2: 'top_k' is given twice"),
    ('{"top_k": 20, "top_k": 30}', "(document): 'top_k' is given twice"),
    ("", "(document): the document is empty; write {} for the built-in defaults"),
    ("- top_k", "(document): must be a mapping of rules, got list"),
    ("top_k: [", "(document): not valid YAML or JSON: expected the node content, but found '<stream end>' "
     "at line 1, column 9"),
]  # fmt: skip


@pytest.mark.parametrize(("document", "problem"), PROBLEMS, ids=[p.split(":")[0] for _, p in PROBLEMS])
def test_each_problem_names_its_path_and_what_is_wrong(document: str, problem: str) -> None:
    assert problems_of(document) == [problem]


def test_every_problem_of_a_document_is_reported_at_once_in_document_order() -> None:
    document = """
boots: {}
blend: {model: high}
boosts:
  closing_soon: {enabled: "yes", weight: 12}
diversity: {max_per_seller: -1}
eligibility:
  provinces_by_seller:
    bank-jilin: {deny: [Liaoning, Jlin]}
"""
    assert problems_of(document) == [
        "boots: unknown rule",
        'blend.model: must be a number, got "high"',
        'boosts.closing_soon.enabled: must be true or false, got "yes"',
        "boosts.closing_soon.weight: must be between 0 and 10, got 12",
        "diversity.max_per_seller: must be a positive integer or null, got -1",
        "eligibility.provinces_by_seller.bank-jilin.deny[1]: unknown province 'Jlin'",
    ]


HARD_RULE_ATTEMPTS = [
    "market: {licence_rule: false}",
    "market: {license_rule: off}",
    "market: {live_only: false}",
    "market: {never_again: false}",
    "market: {enabled: false}",
    "market: {licence_min_loans: 50}",
    "market: {licence_min_loans: 11}",
    "market: {licence_min_loans: null}",
    "market: {licence_min_loans: false}",
    'market: {licence_min_loans: "off"}',
    "market: false",
    "market: null",
    "market: off",
    "live_only: false",
    "licence_rule: false",
    "mask_personal_data: false",
    "hard_rules: {enabled: false}",
    "eligibility: {licensed_amc_only: false}",
    "boosts: {exclude_dismissed: false}",
    '{"market": {"licence_rule": false, "live_only": false}}',
]


@pytest.mark.parametrize("document", HARD_RULE_ATTEMPTS)
def test_no_document_can_switch_a_market_rule_off(document: str) -> None:
    problems = problems_of(document)
    assert problems and all("cannot be disabled" in problem for problem in problems), problems


def test_the_refusal_says_which_market_rule_and_why() -> None:
    assert problems_of("market: {licence_min_loans: 50}") == [
        "market.licence_min_loans: the market rule cannot be disabled: a bank's batch of 10 or more "
        "non-performing loans goes only to licensed AMCs (market.licence_min_loans may only tighten it, "
        "1 to 10), got 50"
    ]
    [live] = problems_of("market: {live_only: false}")
    assert live.startswith("market.live_only: the market rule cannot be disabled: only active or upcoming")


def test_tightening_the_market_rules_is_allowed() -> None:
    rules = parse_rule_document("market: {licence_min_loans: 1, min_hours_before_close: 48}")
    assert rules.market == MarketTightening(licence_min_loans=1, min_hours_before_close=48.0)


def test_omitted_keys_take_the_defaults() -> None:
    assert parse_rule_document("{}") == DEFAULT_RULES
    assert parse_rule_document({}) == DEFAULT_RULES
    rules = parse_rule_document("boosts: {closing_soon: {enabled: true}}")
    assert rules.boosts.closing_soon == Boost(enabled=True, weight=0.0)
    assert dataclasses.replace(rules, boosts=Boosts()) == DEFAULT_RULES


def test_related_parties_as_pairs_or_objects() -> None:
    rules = parse_rule_document(
        "eligibility: {related_parties: [[INV1, bank-jilin], {seller_id: court-hubei, investor_id: INV2}]}"
    )
    assert rules.eligibility.related_parties == (("INV1", "bank-jilin"), ("INV2", "court-hubei"))


RICH = RuleSet(
    market=MarketTightening(licence_min_loans=3, min_hours_before_close=6.0),
    eligibility=Eligibility(
        ticket_fit=TicketFit(mode="strict", tolerance=0.25),
        provinces_by_package={"PKG1": ProvinceList(allow=("Jilin", "Hebei"))},
        provinces_by_seller={"bank-jilin": ProvinceList(deny=("Liaoning",)), "court-hubei": ProvinceList()},
        investor_types_by_seller_type={"court": ("national_amc", "individual")},
        cross_border_only=False,
        related_parties=(("INV1", "bank-jilin"),),
    ),
    blend=Blend(model=0.7, stated=0.2, rules=2.0),
    boosts=Boosts(
        closing_soon=Boost(True, 0.2), closing_soon_days=2.0, hesitant_transparency=Boost(True, 1.5)
    ),
    diversity=Diversity(max_per_asset_type=4, max_per_seller=2),
    exposure=Exposure(daily_cap_per_package=150, floor_investors=0, floor_top_k=10),
    candidates=300,
    top_k=30,
)


@pytest.mark.parametrize("rules", [DEFAULT_RULES, RICH], ids=["defaults", "rich"])
def test_documents_round_trip_as_data_yaml_and_json(rules: RuleSet) -> None:
    document = rule_set_to_document(rules)
    assert json.loads(json.dumps(document)) == document  # JSON-ready
    assert parse_rule_document(document) == rules
    assert parse_rule_document(render_document(rules, "yaml")) == rules
    assert parse_rule_document(render_document(rules, "json")) == rules
    assert json.loads(render_document(rules, "json")) == document


def test_the_document_is_full_every_rule_written_out() -> None:
    document = rule_set_to_document(DEFAULT_RULES)
    assert document["boosts"]["closing_soon"] == {"enabled": False, "weight": 0.0}
    assert document["diversity"] == {
        "max_per_asset_type": None,
        "max_per_seller": None,
        "max_per_province": None,
    }
    assert document["market"] == {"licence_min_loans": 10, "min_hours_before_close": 0.0}


def _sections(spec: object) -> list[Section]:
    if isinstance(spec, MappingOf):
        return _sections(spec.values)
    if not isinstance(spec, Section):
        return []
    return [spec, *(section for child in spec.fields.values() for section in _sections(child))]


def test_the_schema_covers_every_field_of_the_rule_set_dataclasses() -> None:
    sections = _sections(RULE_SET_SCHEMA)
    assert {section.cls for section in sections} == {
        RuleSet, MarketTightening, Eligibility, TicketFit, ProvinceList,
        Blend, Boost, Boosts, Diversity, Exposure,
    }  # fmt: skip
    for section in sections:
        assert list(section.fields) == [field.name for field in dataclasses.fields(section.cls)], section.cls


def test_changed_paths_name_the_rules_that_differ() -> None:
    assert changed_paths(DEFAULT_RULES, DEFAULT_RULES) == []
    changed = parse_rule_document(
        "boosts: {closing_soon: {enabled: true, weight: 0.2}}\n"
        "eligibility: {provinces_by_seller: {bank-jilin: {deny: [Liaoning]}}}"
    )
    assert changed_paths(DEFAULT_RULES, changed) == [
        "eligibility.provinces_by_seller.bank-jilin",
        "boosts.closing_soon.enabled",
        "boosts.closing_soon.weight",
    ]
    tightened = parse_rule_document(
        "eligibility: {provinces_by_seller: {bank-jilin: {deny: [Liaoning, Hebei]}, court-hubei: {}}}"
    )
    assert changed_paths(changed, tightened) == [
        "eligibility.provinces_by_seller.bank-jilin.deny",
        "eligibility.provinces_by_seller.court-hubei",
        "boosts.closing_soon.enabled",
        "boosts.closing_soon.weight",
    ]


def test_the_example_document_validates_and_is_the_one_in_the_operator_guide() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    rules = parse_rule_document(text)
    assert rules != DEFAULT_RULES
    guide = GUIDE.read_text(encoding="utf-8")
    section = guide.split("\n## Rule sets", 1)[1]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    assert blocks and blocks[0] == text


# Regression: deeply nested documents overflowed the JSON decoder or PyYAML's composer
# (RecursionError, a 500 on the API), and a few kilobytes of nested YAML flow collections took
# seconds to scan; a "\ud800" escape put a lone surrogate into the rules that the store could
# not encode.
@pytest.mark.parametrize(
    "document",
    [
        "[" * 100_000 + "]" * 100_000,
        "top_k: " + "[" * 100_000 + "1" + "]" * 100_000,
        "top_k: " + "[a: " * 20_000 + "1" + "]" * 20_000,  # no run of openers: the scan stops at the limit
        '{"boosts": ' + '{"a": ' * 5_000 + "1" + "}" * 5_000 + "}",
        "top_k:\n" + "".join("  " * depth + "a:\n" for depth in range(1, 600)),
        {"boosts": json.loads("[" * 40 + "]" * 40)},
    ],
    ids=["json-array", "yaml-flow", "yaml-flow-keys", "json-object", "yaml-block", "data"],
)
def test_a_document_nested_too_deep_is_refused_quickly(document: str | dict) -> None:
    started = time.perf_counter()
    with pytest.raises(RuleDocumentError) as refused:
        parse_rule_document(document)
    assert time.perf_counter() - started < 3.0  # was minutes for the flow cases, or a crash
    assert any("nests deeper than 32 levels" in problem for problem in refused.value.problems)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ('{"top_k": "\\ud800"}', "top_k: must be valid Unicode text"),
        ('boosts: {"\\udc00x": 1}', "boosts.\\udc00x: the key must be valid Unicode text"),
        ({"why": {"deep": "\udfff"}}, "why.deep: must be valid Unicode text"),
    ],
)
def test_text_that_is_not_unicode_is_refused_with_its_path(document: str | dict, problem: str) -> None:
    with pytest.raises(RuleDocumentError) as refused:
        parse_rule_document(document)
    assert refused.value.problems[0].startswith(problem)


def test_yaml_aliases_are_walked_once() -> None:
    laughs = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    laughs += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    started = time.perf_counter()
    with pytest.raises(RuleDocumentError):
        parse_rule_document("\n".join(laughs))
    assert time.perf_counter() - started < 3.0
