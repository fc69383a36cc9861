"""A list that ``cross_border_only`` alone leaves empty is counted in the metrics and says so."""

from __future__ import annotations

from dataclasses import replace

from prometheus_client import REGISTRY

from matching.rule_set import DEFAULT_RULES, Eligibility
from tests.matching.market import tiny_matcher
from webapi.http.api.lists import _emptied_by_cross_border


def _counted() -> float:
    return REGISTRY.get_sample_value("assetmatch_empty_lists_total", {"rule": "cross_border"}) or 0.0


def test_an_empty_list_for_a_foreign_institution_is_counted_and_explained() -> None:
    matcher = tiny_matcher(replace(DEFAULT_RULES, eligibility=Eligibility(cross_border_only=True)))
    before = _counted()
    assert matcher.recommend("foreign", 10).ids == ["stake"]  # the one cross-border listing
    assert _emptied_by_cross_border(matcher.recommend("foreign", 10)) == []
    matcher.upsert_packages(matcher.state.packages.frame(["stake"]).assign(status="withdrawn"))
    ranked = matcher.recommend("foreign", 10)
    assert ranked.items == []
    (warning,) = _emptied_by_cross_border(ranked)
    assert "cross_border_only" in warning and _counted() == before + 1
    assert _emptied_by_cross_border(matcher.recommend("fund", 10)) == []  # not emptied: not counted
    assert _counted() == before + 1


def test_by_default_a_foreign_institution_sees_listings_not_marked_cross_border() -> None:
    matcher = tiny_matcher()
    matcher.upsert_packages(matcher.state.packages.frame(["stake"]).assign(status="withdrawn"))
    assert matcher.recommend("foreign", 10).ids  # the contract's default (false) hides nothing
