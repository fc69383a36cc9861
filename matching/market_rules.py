"""The market's hard rules, which no operator setting can switch off.

- A bank's batch of 10+ non-performing loans goes only to licensed AMCs.
- Only live packages (active or upcoming, listed, closing in the future) are recommended.
- A package an investor dismissed, or already won, is never recommended to it again.

They are the first checks of ``matching.eligibility`` (codes ``not_live``, ``licence_required``,
``dismissed``, ``won``), evaluated before any operator rule and with no switch in
``matching.rule_set``: a rule set can only tighten them (``MarketTightening``: a lower loan
count for the licence rule, hiding listings about to close), and ``matching.compiled`` clamps
even that, so a document that tries to loosen them changes nothing. In the batch push they are
also applied inside retrieval (allowed sets, exclusions), so they never leave a list short.
"""

from __future__ import annotations

from data.contract import BANK_BATCH_MIN_LOANS, LIVE_STATUSES

NEVER_AGAIN_EVENTS: tuple[str, ...] = ("dismiss", "win")

__all__ = ["BANK_BATCH_MIN_LOANS", "LIVE_STATUSES", "NEVER_AGAIN_EVENTS"]
