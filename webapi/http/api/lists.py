"""Ranked lists: an investor's recommendations, a listing's buyers, similar listings.

Each response names the ``request_id`` it was served under and the model and rule-set versions
that produced it; the same facts go to ``served_lists`` (buffered, see ``webapi.services.served_log``), so
feedback that carries the ``request_id`` is attributed to them. Reasons come with every item
unless ``explain=false``; what the rules removed is shown to operators who ask
(``include_removed=true``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import Blueprint, Response, current_app

from data.api_keys import INVESTOR, OPERATOR, PLATFORM
from data.identifiers import fresh_id
from data.json_records import storable_id
from data.market_journal import INVESTOR as INVESTOR_KIND
from data.market_journal import PACKAGE as PACKAGE_KIND
from data.served_lists import BUYERS, RECOMMENDATIONS, SIMILAR, ServedList
from matching.errors import UnknownInvestorError, UnknownPackageError
from matching.matcher import Matcher
from matching.ranked import RankedList
from webapi.http.api.auth import EVERY_ROLE, READERS, require, require_own_investor, require_role_for
from webapi.http.api.params import bool_param, int_param
from webapi.http.api.records import utc_text
from webapi.http.context import served_lists, serving_state
from webapi.services import metrics
from webapi.services.ranked_lists import Rank, rank_fresh

bp = Blueprint("lists", __name__)

RECOMMENDATIONS_K = (20, 1, 100)
BUYERS_K = (50, 1, 500)
SIMILAR_K = (10, 1, 100)


@bp.get("/v1/investors/<investor_id>/recommendations")
@require(PLATFORM, OPERATOR, INVESTOR)
def recommendations(investor_id: str) -> Response:
    """The investor's ranked live listings (an investor key: its own only)."""
    require_own_investor([investor_id])
    k = int_param("k", *RECOMMENDATIONS_K)
    if not storable_id(investor_id):
        raise UnknownInvestorError(investor_id)
    return _serve(
        RECOMMENDATIONS,
        "investor_id",
        investor_id,
        k,
        lambda matcher, now: matcher.recommend(investor_id, k, now),
    )


@bp.get("/v1/packages/<package_id>/buyers")
@require(*READERS)
def buyers(package_id: str) -> Response:
    """The listing's ranked eligible investors."""
    k = int_param("k", *BUYERS_K)
    if not storable_id(package_id):
        raise UnknownPackageError(package_id)
    return _serve(
        BUYERS, "package_id", package_id, k, lambda matcher, now: matcher.buyers(package_id, k, now)
    )


@bp.get("/v1/packages/<package_id>/similar")
@require(*EVERY_ROLE)
def similar(package_id: str) -> Response:
    """Live listings most like this one in content."""
    k = int_param("k", *SIMILAR_K)
    if not storable_id(package_id):
        raise UnknownPackageError(package_id)
    return _serve(SIMILAR, "package_id", package_id, k, lambda matcher, _now: matcher.similar(package_id, k))


def _explained(rank: Rank, explain: bool) -> Rank:
    """``rank``, with the learned reasons built while the matcher is held (fold-in writes its contexts)."""
    if not explain:
        return rank

    def ranked(matcher: Matcher, now: datetime) -> RankedList:
        result = rank(matcher, now)
        result.learned_reasons()
        return result

    return ranked


def _serve(kind: str, subject_key: str, subject_id: str, k: int, rank: Rank) -> Response:
    explain = bool_param("explain", True)
    include_removed = bool_param("include_removed", False)
    if include_removed:
        require_role_for("include_removed", OPERATOR)
    state = serving_state()
    now = state.clock()
    subject_kind = INVESTOR_KIND if subject_key == "investor_id" else PACKAGE_KIND
    ranking = _explained(rank, explain)
    ranked, snapshot = rank_fresh(state, subject_kind, subject_id, ranking, now)  # 404 if still unknown
    request_id = fresh_id(lambda: uuid.uuid4().hex)
    model_version = snapshot.model_version.version
    warnings = _emptied_by_cross_border(ranked) if kind == RECOMMENDATIONS else []
    body = {
        "request_id": request_id,
        subject_key: subject_id,
        "k": k,
        "model_version": model_version,
        "rule_version": snapshot.rule_version,
        "served_at": utc_text(now),
        **ranked.to_json(explain=explain, include_removed=include_removed),
        **({"warnings": warnings} if warnings else {}),
    }
    served = tuple(
        {"id": item.id, "rank": item.rank, "score": round(float(item.score), 6)} for item in ranked.items
    )
    served_lists().record(
        ServedList(request_id, now, kind, subject_id, model_version, snapshot.rule_version, served)
    )
    response = current_app.json.response(body)
    response.headers["X-Request-ID"] = request_id
    return response


def _emptied_by_cross_border(ranked: RankedList) -> list[str]:
    """A warning (and a count in the metrics) when ``cross_border_only`` alone left a list empty.

    The contract's ``cross_border_eligible`` is optional and false by default, so on a market
    that does not fill it the rule hides every listing from a foreign institution; that must
    not happen silently.
    """
    if ranked.items or not any(item.reasons[0].code == "cross_border" for item in ranked.removed):
        return []
    metrics.empty_list("cross_border")
    return [
        "empty list: eligibility.cross_border_only is on and no live listing this foreign "
        "institution may otherwise buy is marked cross_border_eligible"
    ]
