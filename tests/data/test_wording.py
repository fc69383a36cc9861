"""Counts and articles: "1 listing", "2 listings", "an investor key"."""

from __future__ import annotations

import pytest

from data.wording import article, count
from matching.batch_push import PushResult


@pytest.mark.parametrize(
    ("number", "noun", "text"),
    [
        (0, "listing", "0 listings"),
        (1, "listing", "1 listing"),
        (2, "live package", "2 live packages"),
        (1, "acted item", "1 acted item"),
        (3, "day", "3 days"),
        (2, "attributed event", "2 attributed events"),
        (5, "match", "5 matches"),
        (2, "industrial_property listing", "2 industrial_property listings"),
    ],
)
def test_count_agrees_with_its_number(number: int, noun: str, text: str) -> None:
    assert count(number, noun) == text


def test_count_with_thousands_and_an_irregular_plural() -> None:
    assert count(12_345, "event", thousands=True) == "12,345 events"
    assert count(2, "child", "children") == "2 children"


@pytest.mark.parametrize(
    ("phrase", "text"),
    [("investor key", "an investor key"), ("operator key", "an operator key"), ("platform key", "a platform key")],
)
def test_article(phrase: str, text: str) -> None:
    assert article(phrase) == text


def test_the_push_summary_counts_in_words_that_agree() -> None:
    """`assetmatch rank` printed "exposure floor lifted 1 listings"."""
    push = PushResult(investors={}, packages={}, floor_lifted=1, floor_unmet=0, capped=1)
    assert push.summary() == "exposure floor lifted 1 listing (0 still below it); daily cap trimmed 1 listing"
