"""Field specs for the rule-set document: each knows one kind of value, how to check it and how to write it.

Validation must report every problem of a document at once, each with its path, so an operator
fixes a file in one pass. Each spec therefore appends to a shared ``problems`` list instead of
raising, and returns ``INVALID`` for a value it refused; a section is only built when all of its
fields parsed. ``dump`` is the inverse of ``parse``: it writes the JSON-ready form.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class _Invalid:
    """Stands for a refused value; its problem is already in the list."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()


class Spec(Protocol):
    def parse(self, value: Any, path: str, problems: list[str]) -> Any: ...

    def dump(self, value: Any) -> Any: ...


def shown(value: Any) -> str:
    """A value as the operator wrote it (JSON spelling: ``"high"``, ``true``, ``null``)."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str, allow_nan=True)
    except (TypeError, ValueError):
        return repr(value)


def join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _bound(number: float) -> str:
    return f"{number:g}"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Number:
    """A finite number, optionally bounded (inclusive)."""

    minimum: float | None = None
    maximum: float | None = None

    def parse(self, value: Any, path: str, problems: list[str]) -> Any:
        if not is_number(value) or not math.isfinite(value):
            problems.append(f"{path}: must be a number, got {shown(value)}")
            return INVALID
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                expected = f"between {_bound(low)} and {_bound(high)}"
            elif low is not None:
                expected = f"at least {_bound(low)}"
            else:
                expected = f"at most {_bound(high)}"  # type: ignore[arg-type]
            problems.append(f"{path}: must be {expected}, got {shown(value)}")
            return INVALID
        return float(value)

    def dump(self, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Integer:
    """A whole number in [minimum, maximum], or null when ``nullable`` (null = no limit)."""

    minimum: int = 0
    maximum: int | None = None
    nullable: bool = False

    def description(self) -> str:
        if self.maximum is not None:
            text = f"an integer between {self.minimum} and {self.maximum}"
        elif self.minimum == 1:
            text = "a positive integer"
        elif self.minimum == 0:
            text = "a non-negative integer"
        else:
            text = f"an integer of at least {self.minimum}"
        return f"{text} or null" if self.nullable else text

    def parse(self, value: Any, path: str, problems: list[str]) -> Any:
        if value is None and self.nullable:
            return None
        whole = is_number(value) and math.isfinite(value) and float(value).is_integer()
        if not whole or value < self.minimum or (self.maximum is not None and value > self.maximum):
            problems.append(f"{path}: must be {self.description()}, got {shown(value)}")
            return INVALID
        return int(value)

    def dump(self, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Flag:
    """``true`` or ``false`` — not the strings ``"true"``/``"no"``, which are easy to get wrong."""

    def parse(self, value: Any, path: str, problems: list[str]) -> Any:
        if not isinstance(value, bool):
            problems.append(f"{path}: must be true or false, got {shown(value)}")
            return INVALID
        return value

    def dump(self, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Choice:
    options: tuple[str, ...]

    def parse(self, value: Any, path: str, problems: list[str]) -> Any:
        if value not in self.options or not isinstance(value, str):
            problems.append(f"{path}: must be one of {', '.join(self.options)}, got {shown(value)}")
            return INVALID
        return value

    def dump(self, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Names:
    """A list of words from a vocabulary (provinces, investor types …), each at most once."""

    vocabulary: tuple[str, ...]
    noun: str  # "province": used in "unknown province 'Jlin'"
    non_empty: bool = False

    def parse(self, value: Any, path: str, problems: list[str]) -> Any:
        if not isinstance(value, list):
            problems.append(f"{path}: must be a list of {self.noun}s, got {shown(value)}")
            return INVALID
        if self.non_empty and not value:
            problems.append(f"{path}: must list at least one {self.noun}")
            return INVALID
        before = len(problems)
        for index, name in enumerate(value):
            if not isinstance(name, str):
                problems.append(f"{path}[{index}]: must be a {self.noun} name, got {shown(name)}")
            elif name not in self.vocabulary:
                problems.append(f"{path}[{index}]: unknown {self.noun} {name!r}")
            elif name in value[:index]:
                problems.append(f"{path}[{index}]: {name!r} is listed twice")
        return tuple(value) if len(problems) == before else INVALID

    def dump(self, value: Any) -> Any:
        return list(value)


@dataclass(frozen=True)
class Keys:
    """The keys of a mapping: any non-empty id, or a word of a vocabulary when one is given."""

    noun: str
    vocabulary: tuple[str, ...] | None = None

    def problem(self, key: Any) -> str | None:
        if not isinstance(key, str) or not key.strip():
            return f"{self.noun}s must be non-empty text (quote numbers), got {shown(key)}"
        if self.vocabulary is not None and key not in self.vocabulary:
            return f"unknown {self.noun} {key!r}"
        return None


@dataclass(frozen=True)
class MappingOf:
    """A mapping from ids (or vocabulary words) to values of one spec."""

    keys: Keys
    values: Spec

    def parse(self, value: Any, path: str, problems: list[str]) -> Any:
        if not isinstance(value, Mapping):
            problems.append(f"{path}: must be a mapping of {self.keys.noun} to rules, got {shown(value)}")
            return INVALID
        before = len(problems)
        parsed = {}
        for key, item in value.items():
            item_path = join(path, key)
            key_problem = self.keys.problem(key)
            if key_problem:
                problems.append(f"{item_path}: {key_problem}")
                continue
            parsed[key] = self.values.parse(item, item_path, problems)
        return parsed if len(problems) == before else INVALID

    def dump(self, value: Any) -> Any:
        return {key: self.values.dump(item) for key, item in value.items()}


@dataclass(frozen=True)
class IdPairs:
    """A list of id pairs, each written ``[a, b]`` or ``{first: a, second: b}`` (names from ``names``)."""

    names: tuple[str, str]

    def parse(self, value: Any, path: str, problems: list[str]) -> Any:
        first, second = self.names
        if not isinstance(value, list):
            problems.append(f"{path}: must be a list of [{first}, {second}] pairs, got {shown(value)}")
            return INVALID
        before = len(problems)
        pairs: list[tuple[str, str]] = []
        for index, item in enumerate(value):
            pair = self._pair(item)
            if pair is None:
                problems.append(
                    f"{path}[{index}]: must be [{first}, {second}] or {{{first}: ..., {second}: ...}} "
                    f"with non-empty ids, got {shown(item)}"
                )
            elif pair in pairs:
                problems.append(f"{path}[{index}]: {list(pair)} is listed twice")
            else:
                pairs.append(pair)
        return tuple(pairs) if len(problems) == before else INVALID

    def _pair(self, item: Any) -> tuple[str, str] | None:
        if isinstance(item, Mapping):
            if set(item) != set(self.names):
                return None
            item = [item[name] for name in self.names]
        if not isinstance(item, list) or len(item) != 2:
            return None
        if not all(isinstance(part, str) and part.strip() for part in item):
            return None
        return (item[0], item[1])

    def dump(self, value: Any) -> Any:
        return [dict(zip(self.names, pair, strict=True)) for pair in value]


def unknown_rule(key: Any) -> str:
    return "unknown rule"


@dataclass(frozen=True)
class Section:
    """A mapping that becomes one frozen dataclass; omitted keys take the dataclass defaults.

    ``checks`` look at the built value for problems between fields and return ``(key, message)``
    (key ``""`` for the section itself) or ``None``; they run only when every field parsed.
    ``unknown`` says what is wrong with a key the section does not have.
    """

    cls: type
    fields: Mapping[str, Spec]
    checks: Sequence[Callable[[Any], tuple[str, str] | None]] = ()
    unknown: Callable[[Any], str] = unknown_rule
    not_a_mapping: Callable[[Any], str] | None = None

    def parse(self, value: Any, path: str, problems: list[str]) -> Any:
        if not isinstance(value, Mapping):
            message = self.not_a_mapping(value) if self.not_a_mapping else None
            problems.append(f"{path or '(document)'}: {message or f'must be a mapping, got {shown(value)}'}")
            return INVALID
        before = len(problems)
        parsed = {}
        for key, item in value.items():
            if key in self.fields:
                parsed[key] = self.fields[key].parse(item, join(path, key), problems)
            else:
                problems.append(f"{join(path, key)}: {self.unknown(key)}")
        if len(problems) != before:
            return INVALID
        built = self.cls(**parsed)
        for check in self.checks:
            found = check(built)
            if found:
                key, message = found
                where = join(path, key) if key else path
                problems.append(f"{where or '(document)'}: {message}")
        return built if len(problems) == before else INVALID

    def dump(self, value: Any) -> Any:
        return {name: spec.dump(getattr(value, name)) for name, spec in self.fields.items()}
