"""Masking of debtors' personal data at every output boundary.

Package descriptions come from sellers and may quote debtors' resident ID numbers, mobile
numbers and bank card numbers. The contract forbids serving them unmasked in any response,
log line or export, so every boundary (API, CLI, logs, exports) calls the one function here,
:func:`mask_personal_data`, instead of each growing its own rules.

A masked number keeps its first 3 and last 4 characters and replaces each character in between
with ``*`` (``110101199003070027`` becomes ``110***********0027``). Spaces and hyphens inside a
grouped number are kept, so the layout of the text does not change. Masking is idempotent: a
masked number contains ``*`` and is no longer recognised as a number.

What is recognised (``\\d`` is any Unicode digit, so full-width digits are caught too):

- resident ID numbers: exactly 18 characters, 17 digits and a digit or ``X``/``x`` check
  character, not part of a longer run of digits;
- mainland mobile numbers: ``1[3-9]`` and 9 more digits, optionally written 3-4-4 with spaces
  or hyphens and optionally prefixed with ``+86``, ``0086`` or ``86``; the prefix is kept;
- bank card numbers: 16 to 19 digits, either as one run or grouped in fours by spaces or
  hyphens. Every such number is masked whether or not it passes the Luhn check: a mistyped or
  test card number is still personal data in a debtor's file, while masking a false positive
  (some other 16-19 digit reference) costs nothing, so the safe side is to mask them all.

What is deliberately left alone: shorter runs (amounts such as ``12500000.00``, dates such as
``20250314``, 6-digit postcodes), runs longer than 19 digits (never half-masked), and digits
that belong to a decimal fraction or are followed by one (``0.13812345678``,
``13812345678.00``), because those are amounts, not identifiers. An 11-digit *integer* amount
between 13 and 19.999 billion written without decimals cannot be told apart from a mobile
number in free text and is masked; numeric (non-string) values are never touched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["PersonalDataFilter", "contains_personal_data", "mask_personal_data", "mask_record"]

_KEEP_HEAD = 3
_KEEP_TAIL = 4
_MASK_CHAR = "*"

# A number must not continue a longer digit run, nor be the fraction or the integer part of a
# decimal number.
_START = r"(?<!\d)(?<!\d\.)"
_END = r"(?!\d)(?!\.\d)"

_PERSONAL_NUMBER = re.compile(
    rf"""
    {_START}(?P<resident_id>\d{{17}}[\dXxＸｘ]){_END}
    | {_START}(?<!\d[ -])(?P<grouped_card>\d{{4}}(?:[ -]\d{{4}}){{3}}(?:[ -]\d{{1,3}})?)(?![ -]?\d){_END}
    | {_START}(?P<card>\d{{16,19}}){_END}
    | {_START}(?:(?:\+|00)?86[ -]?)?(?P<mobile>[1１][3-9３-９]\d(?:[ -]?\d{{4}}){{2}}){_END}
    """,
    re.VERBOSE,
)
_NUMBER_GROUPS = ("resident_id", "grouped_card", "card", "mobile")


def _mask_number(number: str) -> str:
    """Replace the middle characters of a number, keeping separators where they are."""
    positions = [i for i, char in enumerate(number) if char.isalnum()]
    hidden = positions[_KEEP_HEAD : len(positions) - _KEEP_TAIL]
    chars = list(number)
    for i in hidden:
        chars[i] = _MASK_CHAR
    return "".join(chars)


def _mask_match(match: re.Match[str]) -> str:
    """Mask the number of one match; a mobile number's country prefix stays readable."""
    for group in _NUMBER_GROUPS:
        if match.group(group) is not None:
            start, end = match.span(group)
            offset = match.start()
            text = match.group(0)
            return text[: start - offset] + _mask_number(match.group(group)) + text[end - offset :]
    return match.group(0)  # pragma: no cover - every alternative has a named number group


def mask_personal_data(text: str | None) -> str | None:
    """Mask resident ID, mobile and bank card numbers in ``text``.

    Parameters
    ----------
    text
        Any text about to leave the engine; ``None`` passes through so callers can mask
        optional fields without checking first.

    Returns
    -------
    str or None
        The text with every recognised number masked; unchanged if there is none.
    """
    if text is None:
        return None
    return _PERSONAL_NUMBER.sub(_mask_match, text)


def contains_personal_data(text: str | None) -> bool:
    """Whether ``text`` still contains a number that :func:`mask_personal_data` would mask."""
    return text is not None and _PERSONAL_NUMBER.search(text) is not None


def _mask_value(value: Any) -> Any:
    """Mask strings, recursing into mappings, lists and tuples; other values pass through."""
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, Mapping):
        return {key: _mask_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_mask_value(item) for item in value)
    return value


def mask_record(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``mapping`` with every string value masked.

    Nested mappings, lists and tuples are masked too, so a JSON-shaped response can be masked
    in one call. Keys and non-string values (numbers, dates, ``None``) are left as they are.
    """
    return {key: _mask_value(value) for key, value in mapping.items()}


class PersonalDataFilter(logging.Filter):
    """Logging filter that masks personal data in a record before any handler formats it.

    The message is rendered with its arguments first and then masked, because a number can
    arrive through ``%s`` arguments of any type (a dict, a row, an exception) and not only in
    the format string. The record keeps the masked text in ``msg`` and has no ``args`` left,
    so formatting it again cannot bring the original back. Exception and stack text are
    masked as well.

    Attach it to handlers (``handler.addFilter(PersonalDataFilter())``): a filter on a logger
    does not see records that propagate from its child loggers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place and always let it through."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must still not leak its arguments
            message = f"{record.msg} {record.args!r}"
        record.msg = mask_personal_data(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


_MASKING_FACTORY_MARK = "_assetmatch_masks_personal_data"


def install_log_masking() -> None:
    """Mask personal data in every log record the process creates, whoever logs it.

    A filter only sees records of the logger or handler it is attached to, and handlers come
    and go (a WSGI server adds its own). Wrapping the record factory masks each record at
    birth, so no handler added later can format the original text. Idempotent.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, _MASKING_FACTORY_MARK, False):
        return
    masking_filter = PersonalDataFilter()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        masking_filter.filter(record)
        return record

    setattr(masked_record, _MASKING_FACTORY_MARK, True)
    logging.setLogRecordFactory(masked_record)
