"""Stages 4 to 6, diversity, exposure and top-k: filling each list from the top.

Candidates are taken in score order (ties keep the model's order). Without diversity caps the
whole batch is one ``argsort``; with caps, each list is filled greedily: an item enters if its
asset type, seller and province are each under their cap in the list so far (diversity) and
the listing is not over today's exposure cap (exposure); an item that fails either is
recorded as removed, with the code of the first stage it failed, and does not count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from matching.eligibility import CODE
from matching.rule_set import Diversity

DIVERSITY_KEYS = (
    ("asset_type", "diversity_asset_type"),
    ("seller", "diversity_seller"),
    ("province", "diversity_province"),
)


def caps_of(diversity: Diversity) -> list[tuple[str, int, int]]:
    """(attribute, cap, removal code) for each cap that is set."""
    limits = {
        "asset_type": diversity.max_per_asset_type,
        "seller": diversity.max_per_seller,
        "province": diversity.max_per_province,
    }
    return [(key, int(limits[key]), CODE[code]) for key, code in DIVERSITY_KEYS if limits[key] is not None]


def caps_check(
    diversity: Diversity, columns: Mapping[str, np.ndarray]
) -> Callable[[np.ndarray], bool] | None:
    """A test of whether a list of package rows keeps the diversity caps (None: no caps set)."""
    caps = caps_of(diversity)
    if not caps:
        return None

    def fits(rows: np.ndarray) -> bool:
        rows = rows[rows >= 0]
        for key, cap, _ in caps:
            values = columns[key][rows]
            values = values[values >= 0]
            if len(values) and np.bincount(values).max() > cap:
                return False
        return True

    return fits


def select(
    scores: np.ndarray,
    codes: np.ndarray,
    k: int,
    diversity: Diversity,
    package: Mapping[str, np.ndarray],
    capped: np.ndarray | None = None,
) -> np.ndarray:
    """The top ``k`` candidate positions per row (``-1`` padded), best first.

    ``scores`` and ``codes`` are (rows × candidates); ``codes`` (0 = eligible) is updated in
    place with diversity and exposure removals; ``package`` holds the candidates' attributes
    with the same shape; ``capped`` marks candidates over the exposure cap.
    """
    rows, width = scores.shape
    if k <= 0 or width == 0:
        return np.full((rows, max(k, 0)), -1, dtype=np.int64)
    caps = caps_of(diversity)
    if capped is not None:
        codes[(codes == 0) & capped] = CODE["exposure_cap"]
    eligible = codes == 0
    masked = np.where(eligible, scores, -np.inf)
    depth = min(k, width)
    if not caps:
        if depth < width:
            part = np.argpartition(-masked, depth - 1, axis=1)[:, :depth]
        else:
            part = np.broadcast_to(np.arange(width), (rows, width))
        part_scores = np.take_along_axis(masked, part, axis=1)
        order = np.take_along_axis(part, np.lexsort((part, -part_scores), axis=1), axis=1)
        chosen = np.full((rows, k), -1, dtype=np.int64)
        valid = np.isfinite(np.take_along_axis(masked, order, axis=1))
        chosen[:, :depth] = np.where(valid, order, -1)
        return chosen
    if capped is not None:  # exposure is judged after diversity: restore, then fill greedily
        codes[codes == CODE["exposure_cap"]] = 0
        eligible = codes == 0
        masked = np.where(eligible, scores, -np.inf)
    if rows == 1:  # fast path: the plain top k already keeps every cap
        trial = codes.copy()
        plain = select(scores, trial, k, Diversity(), package, capped)
        if _within_caps(plain[0][plain[0] >= 0], caps, package, scores.shape):
            codes[...] = trial
            return plain
    order = np.argsort(-masked, axis=1, kind="stable")
    chosen = np.full((rows, k), -1, dtype=np.int64)
    exposure = CODE["exposure_cap"]
    limits = [cap for _, cap, _ in caps]
    failures = [code for _, _, code in caps]
    dimensions = range(len(caps))
    for row in range(rows):
        ranked = order[row][eligible[row][order[row]]]  # eligible candidates, best first
        columns = [_row_of(package[key], row)[ranked].tolist() for key, _, _ in caps]
        over = capped[row][ranked].tolist() if capped is not None else [False] * len(ranked)
        kept = 0
        counts = [[0] * (max(column, default=0) + 2) for column in columns]  # index -1: "none", never capped
        for position, key, over_cap in zip(ranked.tolist(), zip(*columns, strict=True), over, strict=True):
            failed = 0
            for dimension in dimensions:
                value = key[dimension]
                if value >= 0 and counts[dimension][value] >= limits[dimension]:
                    failed = failures[dimension]
                    break
            if not failed and over_cap:
                failed = exposure
            if failed:
                codes[row, position] = failed
                continue
            for dimension in dimensions:
                counts[dimension][key[dimension]] += 1
            chosen[row, kept] = position
            kept += 1
            if kept == k:
                break
    return chosen


def _row_of(values: np.ndarray, row: int) -> np.ndarray:
    """One row of a candidate attribute given per row (2-D) or shared by all rows (1-D)."""
    return values[row] if np.ndim(values) == 2 else values


def _within_caps(
    taken: np.ndarray,
    caps: list[tuple[str, int, int]],
    package: Mapping[str, np.ndarray],
    shape: tuple[int, ...],
) -> bool:
    for key, cap, _ in caps:
        values = _row_of(package[key], 0)[taken]
        values = values[values >= 0]
        if len(values) and np.bincount(values).max() > cap:
            return False
    return True
