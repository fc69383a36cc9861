"""The models page: versions with their metrics and a chart, and activation through the API's path."""

from __future__ import annotations

import math
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from data.model_registry import CANDIDATE, ModelVersion, active_version, register_version
from data.serving_processes import ServingProcess, forget_process, report_process
from tests.webapi.conftest import AS_OF, TINY, Keys, ServedMarket, bearer
from tests.webapi.console_support import page_text, post_form, signed_in_client
from webapi.http.console.chart import CHAR_PIXELS, Pair, nice_ceiling, paired_chart
from webapi.http.console.models import short_label
from webapi.http.console.processes import serving_summary
from webapi.http.process_heartbeat import heartbeat_of
from webapi.services.model_store import utc_now

#: Training-shaped metrics, as in the report: E measured 0.196 on its own holdout, the same as A on
#: that holdout (the gate said +0.0%), while F had 0.208 on an earlier, easier holdout.
TRAINED = {
    "F-earlier": {
        "holdout": {"cutoff": "2026-05-20T00:00:00", "end": "2026-06-03T00:00:00"},
        "candidate": {"ndcg@10": 0.208, "buyer_recall@50": 0.5},
        "active": {"version": "A", "metrics": {"ndcg@10": 0.2, "buyer_recall@50": 0.45}, "measured": "refit"},
    },
    "G-later": {
        "holdout": {"cutoff": "2026-06-06T00:00:00", "end": "2026-06-20T00:00:00"},
        "candidate": {"ndcg@10": 0.196, "buyer_recall@50": 0.55, "precision@10": 0.04},
        "active": {
            "version": "A", "metrics": {"ndcg@10": 0.196, "buyer_recall@50": 0.6}, "measured": "refit"
        },
    },
}


@pytest.fixture(scope="module")
def unusable_versions(served_market: ServedMarket) -> dict[str, Path]:
    """More versions with holdout metrics: one whose artifact is gone, one whose artifact is junk,
    and two measured by training runs against the active version on their own holdouts."""
    corrupt = served_market.folder / "corrupt.npz"
    corrupt.write_bytes(b"not a model")
    paths = {
        "C-missing": served_market.folder / "gone.npz",
        "D-corrupt": corrupt,
        "F-earlier": served_market.folder / "gone.npz",
        "G-later": served_market.folder / "gone.npz",
    }
    with served_market.engine.begin() as connection:
        for hours, (name, path) in enumerate(paths.items(), start=1):
            register_version(
                connection,
                ModelVersion(
                    version=name,
                    created_at=AS_OF + timedelta(hours=hours),
                    status=CANDIDATE,
                    artifact_path=str(path),
                    trained_until=AS_OF,
                    event_high_water=0,
                    params=TINY.to_dict(),
                    metrics=TRAINED.get(name)
                    or {"candidate": {"ndcg@10": 0.1 + hours / 100, "buyer_recall@50": 0.6 + hours / 10}},
                    note="kept as a candidate",
                ),
            )
    return paths


@pytest.fixture(scope="module")
def operator(app: Flask, keys: Keys, unusable_versions: dict[str, Path]) -> FlaskClient:
    return signed_in_client(app.test_client, keys.operator)


def _active(served_market: ServedMarket) -> str | None:
    with served_market.engine.connect() as connection:
        version = active_version(connection)
    return version.version if version else None


def _process_rows(response) -> list[str]:  # type: ignore[no-untyped-def]
    html = response.get_data(as_text=True)
    table = re.search(r'<table class="processes" id="serving-processes">.*?</table>', html, re.S)
    assert table, "no table of serving processes"
    rows = re.findall(r"<tr class.*?</tr>", table.group(0), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def test_every_version_is_listed_with_its_status_and_metrics(operator: FlaskClient) -> None:
    response = operator.get("/console/models")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    order = re.findall(r'<tr id="model-([^"]+)"', html)
    assert order[:4] == ["G-later", "F-earlier", "D-corrupt", "C-missing"]
    assert set(order) == {"A", "B", "C-missing", "D-corrupt", "F-earlier", "G-later"}
    headers = re.findall(r'<th class="num">(.*?)</th>', html)
    assert headers == ["NDCG@10", "buyer recall@50"]
    row = re.search(r'<tr id="model-D-corrupt".*?</tr>', html, re.S).group(0)
    assert "0.1200" in row and "0.8000" in row and "candidate" in row and "Activate" in row
    assert "not compared" in row
    active_row = re.search(r'<tr id="model-A".*?</tr>', html, re.S).group(0)
    assert "serving" in active_row and "Activate" not in active_row
    assert any("this page" in line and " A " in f" {line} " for line in _process_rows(response))


def test_each_version_is_shown_against_the_version_it_was_compared_with_on_its_holdout(
    operator: FlaskClient,
) -> None:
    """Regression: the chart joined 0.208 (F's holdout) to 0.196 (G's) as if G had regressed,
    while G equalled the active version on its own holdout (+0.0%)."""
    html = operator.get("/console/models").get_data(as_text=True)
    row_html = re.search(r'<tr id="model-G-later".*?</tr>', html, re.S).group(0)
    row = " ".join(re.sub(r"<[^>]+>", " ", row_html).split())
    assert "0.1960 +0.0%" in row and "0.5500 -8.3%" in row
    assert "A holdout 2026-06-06 → 2026-06-20" in row
    assert "precision@10 0.0400" in row  # the other metrics, under the version
    charts = re.findall(r'<svg class="metric-chart".*?</svg>', html, re.S)
    assert len(charts) == 2 and "<script" not in html
    ndcg = charts[0]
    assert "<polyline" not in ndcg  # no line joins scores measured on different holdouts
    assert "<title>NDCG@10 of G-later: 0.1960; A on the same holdout: 0.1960 (+0.0%)</title>" in ndcg
    assert '<g class="pair same">' in ndcg and '<g class="pair better">' in ndcg  # G same, F better than A
    assert "<title>NDCG@10 of D-corrupt: 0.1200 (not compared with another version)</title>" in ndcg


def test_activating_a_version_swaps_it_in_and_back(
    operator: FlaskClient, served_market: ServedMarket
) -> None:
    response = post_form(operator, "/console/models/B/activate")
    assert (response.status_code, response.headers["Location"]) == (303, "/console/models")
    assert _active(served_market) == "B"
    page = operator.get("/console/models")
    assert "Model B is active and this process serves it" in page_text(page)
    assert any("this page" in line and " B " in f" {line} " for line in _process_rows(page))
    post_form(operator, "/console/models/A/activate")
    assert _active(served_market) == "A"


def test_the_page_shows_what_every_serving_process_serves(
    operator: FlaskClient, served_market: ServedMarket, keys: Keys
) -> None:
    """Regression: after Activate the banner named the new version while the page said "This
    process serves" the old one; with several processes, each one's version is what is true."""
    other = served_market.app(HEARTBEAT_SECONDS=60)
    reader = other.test_client()
    assert reader.get("/v1/models", headers=bearer(keys.operator)).get_json()["serving_version"] == "A"
    with served_market.engine.begin() as connection:  # a worker killed long ago, never cleaned up
        report_process(
            connection,
            ServingProcess("gone:1:dead", "gone", 1, AS_OF, utc_now() - timedelta(hours=1), "A", None),
        )
    post_form(operator, "/console/models/B/activate")
    page = operator.get("/console/models")
    rows = _process_rows(page)
    assert "1 of 2 serving processes serve the active model B" in page_text(page)
    assert any("this page" in row and " B " in f" {row} " for row in rows)
    assert any(f"pid {os.getpid()}" in row and "this page" not in row and " A " in f" {row} " for row in rows)
    assert any(row.startswith("gone · pid 1") and "silent" in row for row in rows)
    reader.get("/v1/models", headers=bearer(keys.operator))  # the other process polls and swaps
    assert "All 2 serving processes serve the active model B." in page_text(operator.get("/console/models"))
    post_form(operator, "/console/models/A/activate")
    heartbeat_of(other).stop()
    with served_market.engine.begin() as connection:
        forget_process(connection, "gone:1:dead")
    other.extensions["assetmatch.engine"].dispose()
    assert "The 1 serving process serves the active model A." in page_text(operator.get("/console/models"))


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("C-missing", "Model C-missing was not activated: the artifact of model C-missing is missing"),
        ("D-corrupt", "; the active model is unchanged"),
        ("nonesuch", "Model nonesuch was not activated: unknown model version 'nonesuch'"),
    ],
)
def test_a_version_that_cannot_serve_is_refused_and_nothing_changes(
    operator: FlaskClient, served_market: ServedMarket, version: str, message: str
) -> None:
    post_form(operator, f"/console/models/{version}/activate")
    text = page_text(operator.get("/console/models"))
    assert message in text
    assert _active(served_market) == "A" and "serves the active model A" in text


def test_the_chart_scale_pairs_and_label_room() -> None:
    assert [nice_ceiling(v) for v in (0.0, 0.07, 0.1, 0.31, 0.8, 1.0, 3.2)] == [
        1.0,
        0.1,
        0.1,
        0.5,
        1.0,
        1.0,
        5.0,
    ]
    chart = paired_chart(
        "NDCG@10",
        [
            Pair("05-20 01:02:03", "v1", 0.1),
            Pair("v2", "v2", None),
            Pair("06-20 01:02:03", "v3", 0.3, 0.2, "v1"),
            Pair("06-21 01:02:03", "v4", 0.2, 0.3, "v3"),
        ],
    )
    assert [mark.verdict for mark in chart.marks] == ["alone", "alone", "better", "worse"]
    assert chart.marks[1].y is None and not chart.empty
    assert [tick.label for tick in chart.y_ticks] == ["0", "0.125", "0.25", "0.375", "0.5"]
    assert chart.marks[2].y < chart.marks[2].baseline_y  # 0.3 sits above 0.2
    assert min(mark.y for mark in chart.marks if mark.y is not None) > chart.top
    angle = math.radians(chart.label_degrees)
    for tick in chart.x_ticks:  # a rotated label hangs left and down from its tick: all inside
        reach = len(tick.label) * CHAR_PIXELS
        assert tick.position - reach * math.cos(angle) >= 0
        assert chart.bottom + 14 + reach * math.sin(angle) <= chart.height
    assert paired_chart("x", []).empty
    assert short_label("20261203T182604-a1b2c3") == "12-03 18:26:04"


def test_the_serving_summary_counts_live_processes_only() -> None:
    def process(version: str | None, quiet: bool = False) -> dict[str, object]:
        return {"model_version": version, "on_active": version == "B", "silent": quiet}

    target = "the active model B"
    assert serving_summary([], target) == "No serving process has reported yet."
    assert serving_summary([process("A", quiet=True)], target) == "No serving process has reported yet."
    alone = serving_summary([process("A")], target)
    assert alone.startswith("The 1 serving process serves A, not the active model B")
    assert serving_summary([process(None)], target).startswith("The 1 serving process serves no model, not")
    assert serving_summary([process("B"), process("B"), process("A", quiet=True)], target) == (
        "All 2 serving processes serve the active model B."
    )
    assert serving_summary([process("B"), process("A"), process("A")], target).startswith(
        "1 of 3 serving processes serve the active model B; the others swap"
    )
