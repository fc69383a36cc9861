"""Grouped weighted quantiles, the engine of the ticket band and the price ratios."""

from __future__ import annotations

import numpy as np
import pytest

from profiles.ticket import grouped_weighted_quantiles


@pytest.mark.parametrize(
    ("groups", "values", "weights", "expected_median"),
    [
        ([0, 0, 0], [3.0, 1.0, 2.0], [1.0, 1.0, 1.0], [2.0, np.nan]),  # unsorted input
        ([0, 0], [1.0, 9.0], [1.0, 4.0], [9.0, np.nan]),  # the heavier value wins
        ([1, 0, 1, 0], [5.0, 7.0, 6.0, 8.0], [1.0, 1.0, 3.0, 0.0], [7.0, 6.0]),  # zero weight ignored
        ([0, 0], [np.nan, 4.0], [5.0, 1.0], [4.0, np.nan]),  # missing values ignored
        ([], [], [], [np.nan, np.nan]),  # nothing at all
    ],
)
def test_weighted_median_per_group(groups, values, weights, expected_median) -> None:  # type: ignore[no-untyped-def]
    result, _ = grouped_weighted_quantiles(
        np.asarray(groups, dtype=np.int64),
        np.asarray(values, dtype=float),
        np.asarray(weights, dtype=float),
        (0.5,),
        2,
    )
    np.testing.assert_allclose(result[:, 0], expected_median)


def test_quantiles_span_the_groups_values_and_report_its_weight() -> None:
    values = np.arange(1.0, 11.0)
    result, totals = grouped_weighted_quantiles(
        np.zeros(10, dtype=np.int64), values, np.ones(10), (0.1, 0.5, 0.9), 1
    )
    np.testing.assert_allclose(result[0], [1.0, 5.0, 9.0])
    assert totals[0] == 10.0
