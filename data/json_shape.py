"""Limits on the shape of a decoded JSON or YAML document: how deep it nests, and that its text is Unicode.

Every document that comes from outside (an API body, a rule-set document) passes this check once,
right after it is decoded, so no later step has to guard against it:

- Python's JSON decoder, PyYAML and every walk over the data (masking, ``repr``, the rule schema)
  recurse once per nesting level, so a body nested a thousand levels deep raises
  ``RecursionError`` wherever it is first walked. No document of the contract or of the rules
  nests more than a few levels, so :data:`MAX_DEPTH` refuses such a body as a whole.
- ``"\\ud800"`` is a valid JSON escape (and a valid YAML one) that decodes to a lone surrogate: a
  Python ``str`` that no UTF-8 encoder (the database driver, a log line, a response) can write.
  Such text is refused with the path of every value (or key) that holds it.

Shared containers (YAML aliases) are walked once, so a document of nested aliases costs what its
text costs, not what its expansion would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_DEPTH", "ShapeProblem", "escaped", "has_surrogate", "shape_problems"]

#: The deepest nesting a document may have (objects and arrays count one level each).
MAX_DEPTH = 32
#: At most this many problems are reported for one document.
MAX_PROBLEMS = 20
_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_MESSAGE = "must be valid Unicode text (it holds a lone surrogate such as \\ud800)"


@dataclass(frozen=True)
class ShapeProblem:
    """One reason a document is refused, at ``path`` (keys and indexes from the top)."""

    path: tuple[str | int, ...]
    message: str
    too_deep: bool = False

    @property
    def pointer(self) -> str:
        """The path as a JSON pointer (``/events/0/event_id``; ``/`` for the whole document)."""
        if not self.path:
            return "/"
        return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in self.path)

    @property
    def dotted(self) -> str:
        """The path as the rule documents write it (``boosts.closing_soon.weight``)."""
        return ".".join(str(part) for part in self.path)

    @property
    def field(self) -> str | None:
        """The name of the innermost key on the path, if any."""
        names = [part for part in self.path if isinstance(part, str)]
        return names[-1] if names else None


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate, which no UTF-8 encoder can write."""
    return _SURROGATE.search(text) is not None


def escaped(text: str) -> str:
    """``text`` with any lone surrogate written as ``\\udXXX``, so it can be shown in a message."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if has_surrogate(text) else text


def shape_problems(document: Any, max_depth: int = MAX_DEPTH) -> list[ShapeProblem]:
    """Why ``document`` (decoded JSON or YAML data) is refused: too deep, or text that is not Unicode.

    Empty when it may be used. Walks the document iteratively, so the check itself cannot
    overflow the stack; stops after :data:`MAX_PROBLEMS` problems.
    """
    problems: list[ShapeProblem] = []
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack and len(problems) < MAX_PROBLEMS:
        value, path = stack.pop()
        if isinstance(value, str):
            if has_surrogate(value):
                problems.append(ShapeProblem(_shown(path), SURROGATE_MESSAGE))
            continue
        if not isinstance(value, Mapping | list | tuple) or id(value) in seen:
            continue
        seen.add(id(value))
        if len(path) >= max_depth:
            message = f"nests deeper than {max_depth} levels"
            problems.append(ShapeProblem(_shown(path), message, too_deep=True))
            continue
        if isinstance(value, Mapping):
            children = []
            for key, child in value.items():
                if isinstance(key, str) and has_surrogate(key):
                    problems.append(ShapeProblem(_shown((*path, key)), "the key " + SURROGATE_MESSAGE))
                children.append((child, (*path, key if isinstance(key, str | int) else str(key))))
        else:
            children = [(child, (*path, index)) for index, child in enumerate(value)]
        stack.extend(reversed(children))  # so problems come in document order
    return problems


def _shown(path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """A path that is safe to write back: surrogates in its keys escaped."""
    return tuple(escaped(part) if isinstance(part, str) else part for part in path)
