"""The two MovieLens protocols: warm (held-out positives of known items) and item cold start.

Both return a ``RankingSplit``: what a model may learn from, which items it ranks for each user,
and which of those are relevant. Validation splits for tuning are carved from a split's training
part with the same functions, so a tuned hyperparameter has never seen a test pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

HELD_OUT_FRACTION = 0.2
# Offsets the seed of a validation split so it never repeats the test split's draws.
VALIDATION_SEED_OFFSET = 10_000


@dataclass(frozen=True)
class RankingSplit:
    """One train/test split over a fixed users × items universe (columns of ``train``).

    ``train_items`` are the items a model may know (warm: all; cold start: the others), and
    ``candidates`` the items ranked for every user. ``test`` is users × candidates, 1.0 where
    the held-out pair is positive. ``exclude`` is users × candidates, 1.0 where a candidate must
    not be ranked for that user (its own training positives in the warm protocol).
    """

    protocol: str
    train: sp.csr_matrix
    train_items: np.ndarray
    candidates: np.ndarray
    test: sp.csr_matrix
    exclude: sp.csr_matrix

    def held_out_pairs(self) -> int:
        return int(self.test.nnz)


def held_out_count(n_positives: int, fraction: float) -> int:
    """Positives to hold out of ``n_positives``: the fraction, rounded half up.

    A user with too few positives for one to round up (fewer than 3 at 20%) keeps them all
    in training and is not evaluated, rather than losing half of a tiny history.
    """
    return int(np.floor(fraction * n_positives + 0.5))


def warm_split(positives: sp.csr_matrix, seed: int, fraction: float = HELD_OUT_FRACTION) -> RankingSplit:
    """Protocol A: hold out ``fraction`` of each user's positives; every item is a candidate.

    The user's remaining positives are training data and are excluded from its ranking, so a
    model is not rewarded for recommending what the user already has.
    """
    positives = sp.csr_matrix(positives, dtype=np.float32)
    rng = np.random.default_rng(seed)
    held_rows: list[np.ndarray] = []
    held_columns: list[np.ndarray] = []
    for user in range(positives.shape[0]):
        items = positives.indices[positives.indptr[user] : positives.indptr[user + 1]]
        count = held_out_count(len(items), fraction)
        if count:
            chosen = rng.choice(items, size=count, replace=False)
            held_rows.append(np.full(count, user))
            held_columns.append(chosen)
    rows = np.concatenate(held_rows) if held_rows else np.empty(0, dtype=np.int64)
    columns = np.concatenate(held_columns) if held_columns else np.empty(0, dtype=np.int64)
    test = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=positives.shape)
    train = _without(positives, test)
    all_items = np.arange(positives.shape[1])
    return RankingSplit("warm", train, all_items, all_items, test, train.copy())


def cold_item_split(positives: sp.csr_matrix, seed: int, fraction: float = HELD_OUT_FRACTION) -> RankingSplit:
    """Protocol B: hold out ``fraction`` of all items entirely; only those are ranked.

    Every pair on a held-out item leaves training, so the model meets those items only through
    their content features, as it meets a new listing. Training items are not candidates.
    """
    positives = sp.csr_matrix(positives, dtype=np.float32)
    rng = np.random.default_rng(seed)
    n_items = positives.shape[1]
    cold = np.sort(rng.choice(n_items, size=held_out_count(n_items, fraction), replace=False))
    warm = np.setdiff1d(np.arange(n_items), cold)
    keep = np.zeros(n_items, dtype=np.float32)
    keep[warm] = 1.0
    train = sp.csr_matrix(positives @ sp.diags(keep), dtype=np.float32)
    train.eliminate_zeros()
    test = sp.csr_matrix(positives[:, cold], dtype=np.float32)
    exclude = sp.csr_matrix(test.shape, dtype=np.float32)
    return RankingSplit("cold", train, warm, cold, test, exclude)


def split_for(protocol: str, positives: sp.csr_matrix, seed: int) -> RankingSplit:
    """The ``protocol`` ("warm" or "cold") split of ``positives``."""
    if protocol == "warm":
        return warm_split(positives, seed)
    if protocol == "cold":
        return cold_item_split(positives, seed)
    raise ValueError(f"unknown protocol {protocol!r}: expected 'warm' or 'cold'")


def validation_split(split: RankingSplit, seed: int) -> RankingSplit:
    """The same protocol applied to ``split``'s training part alone (the tuning ground).

    In cold start the validation cold items are drawn among the training items only, and the
    test items stay unknown: they carry no positives and are neither trained on nor ranked.
    """
    validation_seed = seed + VALIDATION_SEED_OFFSET
    if split.protocol == "warm":
        return warm_split(split.train, validation_seed)
    known = split.train[:, split.train_items]
    inner = cold_item_split(known, validation_seed)
    n_items = split.train.shape[1]
    lift = sp.csr_matrix(
        (np.ones(len(split.train_items), dtype=np.float32), (np.arange(len(split.train_items)), split.train_items)),
        shape=(len(split.train_items), n_items),
    )
    return RankingSplit(
        "cold",
        sp.csr_matrix(inner.train @ lift, dtype=np.float32),
        split.train_items[inner.train_items],
        split.train_items[inner.candidates],
        inner.test,
        inner.exclude,
    )


def _without(matrix: sp.csr_matrix, removed: sp.csr_matrix) -> sp.csr_matrix:
    """``matrix`` with the cells of ``removed`` dropped."""
    result = (matrix - matrix.multiply(removed > 0)).tocsr().astype(np.float32)
    result.eliminate_zeros()
    return result
