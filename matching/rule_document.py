"""Rule-set documents: JSON or YAML text in, a validated ``RuleSet`` out, and back again.

Operators edit rules as a document that mirrors ``matching.rule_set`` (nested mappings, keys are
field names, omitted keys take their defaults). A document is refused with every problem at once,
each naming its path (``boosts.closing_soon.weight: must be between 0 and 10, got 12``), so a
file is fixed in one pass; the ranges are the table in ``matching.rule_schema``.

``rule_set_to_document`` writes the full document, so what is stored and shown is explicit about
every rule, and ``parse_rule_document(rule_set_to_document(r)) == r``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

import yaml

from data.json_shape import MAX_DEPTH, shape_problems
from matching.rule_fields import INVALID
from matching.rule_schema import RULE_SET_SCHEMA
from matching.rule_set import RuleSet

DocumentFormat = Literal["yaml", "json"]
# More flow collections opened in a row than a document may nest.
_OPENERS = re.compile(r"[\[{](?:\s*[\[{]){%d}" % MAX_DEPTH)
DOCUMENT = "(document)"


class RuleDocumentError(ValueError):
    """A rule-set document that cannot be used; ``problems`` lists every reason, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, remembering keys written twice (YAML keeps only the last silently)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node)  # type: ignore[no-untyped-call]
            if key in seen:
                line = key_node.start_mark.line + 1
                self.duplicates.append(f"{DOCUMENT}: line {line}: {key!r} is given twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_rule_text(text: str) -> Any:
    """The data of a JSON or YAML document, refusing syntax errors and keys given twice."""
    duplicates: list[str] = []

    def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        twice = [key for i, key in enumerate(keys) if key in keys[:i]]
        duplicates.extend(f"{DOCUMENT}: {key!r} is given twice" for key in twice)
        return dict(pairs)

    try:
        data = json.loads(text, object_pairs_hook=no_duplicate_keys)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        try:
            _refuse_deep_yaml(text)
            loader = _StrictLoader(text)  # the reader refuses control characters already here
        except yaml.YAMLError as error:
            raise RuleDocumentError([f"{DOCUMENT}: not valid YAML or JSON: {_yaml_problem(error)}"]) from None
        try:
            data = loader.get_single_data()
        except yaml.YAMLError as error:
            raise RuleDocumentError([f"{DOCUMENT}: not valid YAML or JSON: {_yaml_problem(error)}"]) from None
        except RecursionError:  # PyYAML composes nested nodes recursively
            raise _too_deep() from None
        finally:
            loader.dispose()  # type: ignore[no-untyped-call]
        duplicates = loader.duplicates
    if duplicates:
        raise RuleDocumentError(duplicates)
    _check_shape(data)
    return data


def _refuse_deep_yaml(text: str) -> None:
    """Scan the YAML tokens once and refuse a document nested deeper than ``MAX_DEPTH``.

    PyYAML's scanner costs time in proportion to the nesting for every token, so a few kilobytes
    of ``[[[[...`` take seconds to load. A run of openers is refused at once; otherwise the scan
    stops at the limit (PyYAML looks at most 1,024 characters ahead, which bounds what is left).
    Block nesting (indentation) is counted too. Raises ``yaml.YAMLError`` for text that does not
    scan.
    """
    if _OPENERS.search(text):
        raise _too_deep()
    scanner = yaml.SafeLoader(text)
    try:
        while scanner.check_token():
            if scanner.flow_level + len(scanner.indents) > MAX_DEPTH:
                raise _too_deep()
            scanner.get_token()
    finally:
        scanner.dispose()  # type: ignore[no-untyped-call]


def _too_deep() -> RuleDocumentError:
    return RuleDocumentError([f"{DOCUMENT}: nests deeper than {MAX_DEPTH} levels"])


def _check_shape(data: Any) -> None:
    """Refuse a document nested too deep, or holding text that is not Unicode (``data.json_shape``)."""
    problems = shape_problems(data)
    if problems:
        raise RuleDocumentError([f"{problem.dotted or DOCUMENT}: {problem.message}" for problem in problems])


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem


def parse_rule_document(source: str | Mapping[str, Any]) -> RuleSet:
    """Validate a document (its text, or its already-loaded data) and build the rule set.

    Raises
    ------
    RuleDocumentError
        With every problem found, each as ``path: what is wrong``.
    """
    if isinstance(source, str):
        data = load_rule_text(source)
    else:
        _check_shape(source)
        data = source
    if data is None:
        raise RuleDocumentError([f"{DOCUMENT}: the document is empty; write {{}} for the built-in defaults"])
    if not isinstance(data, Mapping):
        raise RuleDocumentError([f"{DOCUMENT}: must be a mapping of rules, got {type(data).__name__}"])
    problems: list[str] = []
    rules = RULE_SET_SCHEMA.parse(data, "", problems)
    if problems or rules is INVALID:
        raise RuleDocumentError(problems)
    return rules


def rule_set_to_document(rules: RuleSet) -> dict[str, Any]:
    """The full, JSON-ready document of ``rules``: every rule written out, none left to defaults."""
    return RULE_SET_SCHEMA.dump(rules)


def render_document(rules: RuleSet | Mapping[str, Any], fmt: DocumentFormat = "yaml") -> str:
    """``rules`` (or a stored document) as YAML for people or JSON for programs, ready to edit and apply."""
    document = rule_set_to_document(rules) if isinstance(rules, RuleSet) else dict(rules)
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False)
    if fmt == "yaml":
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)
        return text.rstrip("\n")
    raise ValueError(f"unknown document format {fmt!r} (expected yaml or json)")


def changed_paths(before: RuleSet, after: RuleSet) -> list[str]:
    """The rules ``after`` sets differently from ``before``, as dotted paths in document order.

    A list counts as one rule, and an id added to or dropped from a mapping as one change:
    denying a province to a listed seller reports ``eligibility.provinces_by_seller.<seller>.deny``,
    listing a new seller reports ``eligibility.provinces_by_seller.<seller>``.
    """
    return document_changes(rule_set_to_document(before), rule_set_to_document(after))


def document_changes(before: Any, after: Any, path: str = "") -> list[str]:
    """``changed_paths`` of two documents as stored (full documents, so nothing hides in defaults)."""
    if not (isinstance(before, Mapping) and isinstance(after, Mapping)):
        return [] if before == after else [path or DOCUMENT]
    changes: list[str] = []
    for key in dict.fromkeys([*after, *before]):
        where = f"{path}.{key}" if path else str(key)
        if key in before and key in after:
            changes += document_changes(before[key], after[key], where)
        else:
            changes.append(where)
    return changes
