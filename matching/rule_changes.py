"""What applying a rule document would change, and which of those changes are resets to defaults.

A rule document is a full document: a rule it leaves out takes its built-in default, whatever the
active version says. That is what makes a stored version explicit and a rollback exact, but it
means a short file such as ``top_k: 30`` also puts back every rule the active version tuned
(``blend.stated``, ``diversity.max_per_asset_type`` ...). Before such a document is applied, the
CLI and the console say how many rules change and how many of those are resets
("5 rules change, of which 3 reset to defaults") and ask for the resets to be confirmed.

A changed rule is a *reset* when the document does not write it: neither the rule nor a mapping
or list that holds it appears in the document. Writing a free-keyed mapping (sellers' province
lists, ``investor_types_by_seller_type``) or a list writes everything in it, so dropping a seller
from a written mapping is a change, not a reset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matching.rule_document import changed_paths, load_rule_text, parse_rule_document
from matching.rule_fields import Section
from matching.rule_schema import RULE_SET_SCHEMA
from matching.rule_set import RuleSet


@dataclass(frozen=True)
class RuleChanges:
    """The rules a document changes from the active version, in document order, and the resets among them."""

    changed: tuple[str, ...]
    reset: tuple[str, ...]

    @property
    def summary(self) -> str:
        """``"N rules change, of which M reset to defaults"`` in words that agree with the numbers."""
        return change_summary(len(self.changed), len(self.reset))

    def to_json(self) -> dict[str, Any]:
        return {"changed": list(self.changed), "reset": list(self.reset), "summary": self.summary}


def change_summary(changed: int, reset: int) -> str:
    """The one sentence the CLI, the console and the API use for a document's effect."""
    if changed == 0:
        return "no rule changes"
    verb = "changes" if changed == 1 else "change"
    head = f"{changed} rule{'s' if changed != 1 else ''} {verb}"
    if reset == 0:
        return f"{head}, none reset to defaults"
    if reset == 1:
        return f"{head}, of which 1 resets to its default"
    return f"{head}, of which {reset} reset to defaults"


def written_paths(data: Any, spec: Any = RULE_SET_SCHEMA, path: str = "") -> list[str]:
    """The dotted paths a document writes: its leaves, and every mapping or list it writes whole."""
    if not isinstance(spec, Section) or not isinstance(data, Mapping):
        return [path] if path else []
    paths: list[str] = []
    for key, value in data.items():
        if key in spec.fields:
            paths += written_paths(value, spec.fields[key], f"{path}.{key}" if path else str(key))
    return paths


def _is_written(path: str, written: set[str]) -> bool:
    parts = path.split(".")
    return any(".".join(parts[:end]) in written for end in range(1, len(parts) + 1))


def rule_changes(active: RuleSet, source: str | Mapping[str, Any]) -> tuple[RuleSet, RuleChanges]:
    """Parse a document (text or loaded data) and say what it changes from ``active``.

    Raises
    ------
    RuleDocumentError
        The document is invalid.
    """
    data = load_rule_text(source) if isinstance(source, str) else source
    candidate = parse_rule_document(data)
    changed = changed_paths(active, candidate)
    written = set(written_paths(data))
    reset = tuple(path for path in changed if not _is_written(path, written))
    return candidate, RuleChanges(tuple(changed), reset)
