"""Rank one list from the serving snapshot, reading the store once when the subject is new here.

A list names an investor or a listing that may have been created through another process
since this one last polled: read-your-writes across workers means looking in the store (and
folding the change in) before answering "unknown". The API's list routes call
:func:`rank_fresh` and only parse, authorise and render around it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from matching.errors import UnknownInvestorError, UnknownPackageError
from matching.matcher import Matcher
from matching.ranked import RankedList
from webapi.services.serving import ServingState, Snapshot

Rank = Callable[[Matcher, datetime], RankedList]


def rank_fresh(
    state: ServingState, subject_kind: str, subject_id: str, rank: Rank, now: datetime
) -> tuple[RankedList, Snapshot]:
    """``rank`` over the snapshot at ``now``, retried once after a catch-up when the subject is unknown.

    ``subject_kind`` is the journal's kind of ``subject_id`` (``data.market_journal.INVESTOR`` or
    ``PACKAGE``). Returns the list and the snapshot it was ranked on (its model and rule
    versions are what the served list records). Still unknown after the catch-up: the
    ``UnknownInvestorError`` or ``UnknownPackageError`` is raised.
    """
    try:
        with state.serving() as snapshot:
            return rank(snapshot.matcher, now), snapshot
    except (UnknownInvestorError, UnknownPackageError):
        if not state.catch_up(subject_kind, subject_id):
            raise
        with state.serving() as snapshot:
            return rank(snapshot.matcher, now), snapshot
