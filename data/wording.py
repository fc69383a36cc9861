"""Counts and articles in the engine's English: "1 listing", "2 listings", "an investor key".

Every line the CLI, the console and the API's problems print goes through these two helpers when
it names a count or a role, so "lifted 1 listings" and "a investor key" cannot come back one
f-string at a time. They live in ``data``, the bottom layer, so every package may use them.
"""

from __future__ import annotations

IRREGULAR = {"day": "days", "child": "children", "this": "these", "it": "they"}


def plural(noun: str) -> str:
    """The plural of a (lower-case, English) noun the engine prints: listing → listings, key → keys."""
    if noun in IRREGULAR:
        return IRREGULAR[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return f"{noun}es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return f"{noun[:-1]}ies"
    return f"{noun}s"


def count(number: int, noun: str, many: str | None = None, *, thousands: bool = False) -> str:
    """``number`` and the noun in agreement: ``count(1, "listing")`` is "1 listing".

    ``noun`` may be several words (the last one agrees: "live package" → "live packages");
    ``many`` names an irregular plural; ``thousands`` writes 12,345.
    """
    shown = f"{number:,}" if thousands else str(number)
    if number == 1:
        return f"{shown} {noun}"
    if many is None:
        head, _, last = noun.rpartition(" ")
        many = f"{head} {plural(last)}" if head else plural(last)
    return f"{shown} {many}"


def article(phrase: str) -> str:
    """``phrase`` with "a" or "an" before it, by its first letter: "an investor key", "a platform key"."""
    return f"{'an' if phrase[:1].lower() in 'aeiou' else 'a'} {phrase}"
