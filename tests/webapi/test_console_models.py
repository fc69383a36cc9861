"""The models page: versions with their metrics and a chart, and activation through the API's path."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from data.model_registry import CANDIDATE, ModelVersion, active_version, register_version
from tests.webapi.conftest import AS_OF, TINY, Keys, ServedMarket
from tests.webapi.console_support import page_text, post_form, signed_in_client
from webapi.console.chart import line_chart, nice_ceiling


@pytest.fixture(scope="module")
def unusable_versions(served_market: ServedMarket) -> dict[str, Path]:
    """Two more versions with holdout metrics: one whose artifact is gone, one whose artifact is junk."""
    corrupt = served_market.folder / "corrupt.npz"
    corrupt.write_bytes(b"not a model")
    paths = {"C-missing": served_market.folder / "gone.npz", "D-corrupt": corrupt}
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
                    metrics={
                        "candidate": {"ndcg@10": 0.1 + hours / 100, "buyer_recall@50": 0.6 + hours / 10}
                    },
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


def test_every_version_is_listed_with_its_status_and_metrics(operator: FlaskClient) -> None:
    response = operator.get("/console/models")
    assert response.status_code == 200
    html, text = response.get_data(as_text=True), page_text(response)
    assert "This process serves model A" in text
    order = re.findall(r'<tr id="model-([^"]+)"', html)
    assert order[:2] == ["D-corrupt", "C-missing"] and set(order) == {"A", "B", "C-missing", "D-corrupt"}
    headers = re.findall(r'<th class="num">(.*?)</th>', html)
    assert headers[:2] == ["NDCG@10", "buyer recall@50"]
    row = re.search(r'<tr id="model-D-corrupt".*?</tr>', html, re.S).group(0)
    assert "0.1200" in row and "0.8000" in row and "candidate" in row and "Activate" in row
    active_row = re.search(r'<tr id="model-A".*?</tr>', html, re.S).group(0)
    assert "serving" in active_row and "Activate" not in active_row


def test_the_metrics_are_plotted_as_inline_svg(operator: FlaskClient) -> None:
    html = operator.get("/console/models").get_data(as_text=True)
    svg = re.search(r'<svg id="metrics-chart".*?</svg>', html, re.S)
    assert svg is not None and "<script" not in html
    assert len(re.findall(r'<polyline class="series"', svg.group(0))) >= 2
    assert "<title>NDCG@10 of D-corrupt: 0.1200</title>" in svg.group(0)


def test_activating_a_version_swaps_it_in_and_back(
    operator: FlaskClient, served_market: ServedMarket
) -> None:
    response = post_form(operator, "/console/models/B/activate")
    assert (response.status_code, response.headers["Location"]) == (303, "/console/models")
    assert _active(served_market) == "B"
    text = page_text(operator.get("/console/models"))
    assert "Model B is active" in text and "This process serves model B" in text
    post_form(operator, "/console/models/A/activate")
    assert _active(served_market) == "A"


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
    assert _active(served_market) == "A" and "This process serves model A" in text


def test_the_chart_scale_and_gaps() -> None:
    assert [nice_ceiling(v) for v in (0.0, 0.07, 0.1, 0.31, 0.8, 1.0, 3.2)] == [
        1.0,
        0.1,
        0.1,
        0.5,
        1.0,
        1.0,
        5.0,
    ]
    chart = line_chart(
        ["v1", "v2", "v3", "v4"], {"ndcg": [0.1, None, 0.2, 0.3], "recall": [None, None, None, None]}
    )
    ndcg, recall = chart.series
    assert len(ndcg.segments) == 2 and len(ndcg.points) == 3 and recall.segments == [] and not chart.empty
    assert [tick.label for tick in chart.y_ticks] == ["0", "0.125", "0.25", "0.375", "0.5"]
    top = chart.top
    assert min(point.y for point in ndcg.points) > top  # 0.3 of 0.5 sits below the top line
    assert line_chart([], {}).empty
