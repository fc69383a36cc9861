"""Tests of masking debtors' personal data."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from data.masking import PersonalDataFilter, contains_personal_data, mask_personal_data, mask_record

MASKED = [
    pytest.param("110101199003070027", "110***********0027", id="resident-id"),
    pytest.param("11010519491231002X", "110***********002X", id="resident-id-check-x"),
    pytest.param("11010519491231002x", "110***********002x", id="resident-id-check-lower-x"),
    pytest.param("债务人身份证110101199003070027，", "债务人身份证110***********0027，", id="resident-id-in-chinese"),
    pytest.param("ID: 110101199003070027.", "ID: 110***********0027.", id="resident-id-end-of-sentence"),
    pytest.param("13812345678", "138****5678", id="mobile"),
    pytest.param("tel 138-1234-5678", "tel 138-****-5678", id="mobile-hyphens"),
    pytest.param("tel 138 1234 5678", "tel 138 **** 5678", id="mobile-spaces"),
    pytest.param("+8613812345678", "+86138****5678", id="mobile-plus-86"),
    pytest.param("+86 138-1234-5678", "+86 138-****-5678", id="mobile-plus-86-grouped"),
    pytest.param("8613812345678", "86138****5678", id="mobile-86"),
    pytest.param("008619912345678", "0086199****5678", id="mobile-0086"),
    pytest.param("电话：13812345678；备用19912345678", "电话：138****5678；备用199****5678", id="two-mobiles"),
    pytest.param("13812345678,13912345678", "138****5678,139****5678", id="comma-separated-mobiles"),
    pytest.param("１３８１２３４５６７８", "１３８****５６７８", id="full-width-mobile"),
    pytest.param("6222021234567890", "622*********7890", id="card-16"),
    pytest.param("6222021234567890123", "622************0123", id="card-19"),
    pytest.param("6222 0212 3456 7890", "622* **** **** 7890", id="card-grouped-spaces"),
    pytest.param("6222-0212-3456-7890", "622*-****-****-7890", id="card-grouped-hyphens"),
    pytest.param("6222 0212 3456 7890 123.", "622* **** **** ***0 123.", id="card-grouped-19"),
    pytest.param("4111111111111112", "411*********1112", id="card-failing-luhn-is-masked-too"),
    pytest.param(
        "debtor 110101199003070027, mobile 13812345678, card 6222021234567890",
        "debtor 110***********0027, mobile 138****5678, card 622*********7890",
        id="all-three",
    ),
]

UNCHANGED = [
    pytest.param("12500000.00", id="amount"),
    pytest.param("principal 12500000.00 CNY, claims 15000000", id="amounts-in-text"),
    pytest.param("13812345678.00", id="amount-that-looks-like-a-mobile"),
    pytest.param("0.13812345678", id="fraction"),
    pytest.param("0.30000000000000004", id="float-repr"),
    pytest.param("20250314", id="date"),
    pytest.param("2025-03-14T09:30:00+08:00", id="timestamp"),
    pytest.param("100081", id="postcode"),
    pytest.param("1381234567", id="ten-digits"),
    pytest.param("138123456789", id="twelve-digits"),
    pytest.param("12812345678", id="not-a-mobile-prefix"),
    pytest.param("010-12345678", id="landline"),
    pytest.param("12345678901234567890123", id="long-digit-run-is-not-half-masked"),
    pytest.param("622202123456789", id="fifteen-digits"),
    pytest.param("PKG-2025-000123", id="package-id"),
    pytest.param("", id="empty"),
    pytest.param("no digits at all", id="text"),
]


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_personal_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked
    assert contains_personal_data(text)
    assert not contains_personal_data(masked)


@pytest.mark.parametrize("text", UNCHANGED)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_personal_data(text) == text
    assert not contains_personal_data(text)


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_masking_is_idempotent(text: str, masked: str) -> None:
    assert mask_personal_data(mask_personal_data(text)) == masked


def test_mask_keeps_length_and_first_three_last_four() -> None:
    masked = mask_personal_data("110101199003070027")
    assert masked is not None
    assert len(masked) == 18
    assert masked[:3] == "110" and masked[-4:] == "0027" and set(masked[3:-4]) == {"*"}


def test_none_passes_through() -> None:
    assert mask_personal_data(None) is None
    assert not contains_personal_data(None)


def test_mask_record_masks_every_string_value() -> None:
    record = {
        "package_id": "PKG1",
        "description": "debtor 110101199003070027",
        "principal_cny": 13812345678,  # numbers are not text and are left alone
        "contacts": ["13812345678", {"card": "6222021234567890"}],
        "pair": ("13812345678", None),
    }
    assert mask_record(record) == {
        "package_id": "PKG1",
        "description": "debtor 110***********0027",
        "principal_cny": 13812345678,
        "contacts": ["138****5678", {"card": "622*********7890"}],
        "pair": ("138****5678", None),
    }
    assert record["description"] == "debtor 110101199003070027"  # the input is not modified


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose only handler masks personal data and writes to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.data.masking")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_log_filter_masks_message_and_arguments(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    logger.info("debtor %s called from %s", "110101199003070027", {"mobile": "13812345678"})
    logger.info("card 6222021234567890 on file")
    assert stream.getvalue().splitlines() == [
        "INFO debtor 110***********0027 called from {'mobile': '138****5678'}",
        "INFO card 622*********7890 on file",
    ]


def test_log_filter_masks_exception_text(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    try:
        raise ValueError("bad row for debtor 110101199003070027")
    except ValueError:
        logger.exception("import failed")
    output = stream.getvalue()
    assert "ValueError: bad row for debtor 110***********0027" in output
    assert not contains_personal_data(output)


def test_log_filter_survives_a_broken_format_string(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    logger.info("debtor %s and %s", "13812345678")  # one argument short
    assert stream.getvalue() == "INFO debtor %s and %s ('138****5678',)\n"


def test_log_filter_is_idempotent() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "mobile %s", ("13812345678",), None)
    log_filter = PersonalDataFilter()
    assert log_filter.filter(record) and log_filter.filter(record)
    assert record.getMessage() == "mobile 138****5678"
