"""The exposure page: each live package's reach from served lists or the batch push, worst first."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from markupsafe import Markup
from sqlalchemy import select

from data.package_summaries import PackageSummary, live_packages
from data.schema import packages_table
from tests.webapi.conftest import AS_OF, INVESTOR_ID, OTHER_INVESTOR_ID, Keys, ServedMarket, recommended_ids
from tests.webapi.console_support import page_text, signed_in_client
from webapi.services.exposure_report import Exposures, exposure_report, push_exposures

PERSONAL_ID = "PKG9000001"
TITLE = "Loans of debtor 110101199003070027"
DESCRIPTION = "Debtor mobile 13812345678, card 6222 0202 0000 1234 567."
SERVED_TO = (INVESTOR_ID, OTHER_INVESTOR_ID, "INV000003", "INV000004")


@pytest.fixture(scope="module")
def personal_package(served_market: ServedMarket) -> str:
    """A live listing whose title and description quote a debtor's ID, mobile and card numbers."""
    with served_market.engine.begin() as connection:
        model = live_packages(connection, AS_OF)[0]
        row = dict(
            connection.execute(select(packages_table).where(packages_table.c.package_id == model.package_id))
            .one()
            ._mapping
        )
        row.update(
            package_id=PERSONAL_ID, title=TITLE, description=DESCRIPTION, closes_at=AS_OF + timedelta(hours=1)
        )
        connection.execute(packages_table.insert().values(**row))
    return PERSONAL_ID


@pytest.fixture(scope="module")
def served(app: Flask, keys: Keys) -> dict[str, list[str]]:
    """Recommendations served to four investors (top 20), as the API recorded them."""
    client = app.test_client()
    return {investor: recommended_ids(client, keys.platform, investor, k=20) for investor in SERVED_TO}


@pytest.fixture(scope="module")
def operator(app: Flask, keys: Keys, personal_package: str, served: dict) -> FlaskClient:
    return signed_in_client(app.test_client, keys.operator)


def _rows(html: str) -> list[tuple[str, int, int, bool]]:
    """(package, investors in the top, investors at any rank, below the floor) per table row."""
    rows = []
    for css, body in re.findall(r'<tr class="(below|met)">(.*?)</tr>', html, re.S):
        package = re.search(r"<code>(.*?)</code>", body).group(1)
        numbers = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', body)]
        rows.append((package, numbers[0], numbers[1], css == "below"))
    return rows


def _all_rows(client: FlaskClient, url: str) -> list[tuple[str, int, int, bool]]:
    """The rows of every page, following the pager's next links."""
    rows: list[tuple[str, int, int, bool]] = []
    while url:
        html = client.get(url).get_data(as_text=True)
        rows += _rows(html)
        link = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = link.group(1).replace("&amp;", "&") if link else ""
    return rows


def test_served_lists_count_each_investor_once_per_package_worst_first(
    operator: FlaskClient, served: dict[str, list[str]], served_market: ServedMarket
) -> None:
    response = operator.get("/console/exposure")
    assert response.status_code == 200
    rows = _all_rows(operator, "/console/exposure")
    with served_market.engine.connect() as connection:
        live = {p.package_id for p in live_packages(connection, AS_OF)}
    assert {package for package, *_ in rows} == live
    reached: dict[str, int] = defaultdict(int)
    for items in served.values():
        for package in set(items):
            reached[package] += 1
    by_package = {package: (in_top, any_rank, below) for package, in_top, any_rank, below in rows}
    for package in live:
        assert by_package[package][:2] == (reached.get(package, 0),) * 2
        assert by_package[package][2] == (reached.get(package, 0) < 3)
    counts = [in_top for _, in_top, _, _ in rows]
    assert counts == sorted(counts)
    text = page_text(response)
    below = sum(1 for *_, is_below in rows if is_below)
    assert f"{below} of {len(live)} live packages are below the floor: fewer than 3 investors" in text
    assert "recommendation lists the API served in the last 1 day" in text


def test_only_the_packages_below_the_floor(operator: FlaskClient) -> None:
    rows = _rows(operator.get("/console/exposure?below=on").get_data(as_text=True))
    assert rows and all(below for *_, below in rows)


def test_the_drill_down_lists_who_got_the_package(
    operator: FlaskClient, served: dict[str, list[str]]
) -> None:
    package = served[INVESTOR_ID][0]
    got = sorted(investor for investor, items in served.items() if package in items)
    response = operator.get(f"/console/exposure/{package}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    table = re.search(r'<table class="deliveries" id="deliveries">(.*?)</table>', html, re.S).group(1)
    investors = re.findall(r"<td><code>(INV\d+)</code></td>", table)
    assert sorted(investors) == got
    first = re.search(rf"<td><code>{INVESTOR_ID}</code></td>\s*<td class=\"num\">(\d+)</td>", table)
    assert first and first.group(1) == "1"
    assert "A" in table  # the model version that served it
    assert operator.get("/console/exposure/NOSUCH").status_code == 404


def test_personal_data_in_titles_and_descriptions_is_masked(operator: FlaskClient) -> None:
    listing = operator.get("/console/exposure")
    html = listing.get_data(as_text=True)
    assert "Loans of debtor 110***********0027" in page_text(listing)
    assert "110101199003070027" not in html
    assert _rows(html)[0][0] == PERSONAL_ID  # nobody got it, and it closes first: the worst
    detail = operator.get(f"/console/exposure/{PERSONAL_ID}")
    detail_html, text = detail.get_data(as_text=True), page_text(detail)
    assert "Debtor mobile 138****5678, card 622* **** **** ***4 567." in text
    for raw in ("110101199003070027", "13812345678", "6222 0202 0000 1234 567"):
        assert raw not in detail_html
    assert "0 investors had it in their top 20 (floor: 3" in text and "3 short" in text


def test_the_batch_push_is_a_second_source(operator: FlaskClient, served_market: ServedMarket) -> None:
    path = served_market.folder / "push.json"
    assert "no batch push at" in page_text(operator.get("/console/exposure?source=push"))
    live = sorted(p for p, *_ in _all_rows(operator, "/console/exposure"))
    lists: dict[str, list[str]] = {f"INV00000{n}": [live[1]] for n in range(1, 5)}
    lists["INV000005"] = [f"PKG{n:07d}" for n in range(21)] + [live[2]]  # live[2] at rank 22 only
    path.write_text(json.dumps({"investors": lists, "packages": {}}))
    try:
        response = operator.get("/console/exposure?source=push")
        by_package = {
            package: (in_top, any_rank, below)
            for package, in_top, any_rank, below in _all_rows(operator, "/console/exposure?source=push")
        }
        assert by_package[live[1]] == (4, 4, False)
        assert by_package[live[2]] == (0, 1, True)
        assert "the latest batch push" in page_text(response)
        detail = page_text(operator.get(f"/console/exposure/{live[2]}?source=push"))
        assert "0 investors had it in their top 20" in detail and "1 got it at any rank" in detail
    finally:
        path.unlink()


def _summary(package_id: str, closes_in_days: int) -> PackageSummary:
    return PackageSummary(
        package_id, package_id, None, "active", None, AS_OF, AS_OF + timedelta(days=closes_in_days)
    )


def test_the_report_puts_the_least_exposed_first_then_the_soonest_to_close() -> None:
    exposures = Exposures("served", "test")
    for investor in ("i1", "i2", "i3"):
        exposures.record("well", investor, 1)
    exposures.record("low", "i1", 5)
    exposures.record("low", "i1", 2)  # the same investor again: counted once, best rank kept
    exposures.record("deep", "i1", 30)
    live = [
        _summary("well", 1),
        _summary("low", 9),
        _summary("deep", 3),
        _summary("none-late", 9),
        _summary("none-soon", 2),
    ]
    report = exposure_report(live, exposures, floor_investors=3, floor_top_k=20)
    assert [(row.package.package_id, row.in_top, row.reached) for row in report.rows] == [
        ("none-soon", 0, 0),
        ("none-late", 0, 0),
        ("deep", 0, 1),
        ("low", 1, 1),
        ("well", 3, 3),
    ]
    assert [row.package.package_id for row in report.below] == ["none-soon", "none-late", "deep", "low"]
    assert exposures.of("low")[0].rank == 2 and exposures.of("low")[0].times == 2


def test_a_push_file_that_is_not_a_push_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "push.json"
    path.write_text("[1, 2]")
    assert "has no investors' lists" in (push_exposures(path).problem or "")
    path.write_text("{")
    assert "cannot be read" in (push_exposures(path).problem or "")


def test_every_value_a_console_template_writes_is_masked(app: Flask) -> None:
    with app.test_request_context():
        html = render_template_string(
            "{{ text }}|{{ markup }}|{{ attribute }}",
            text=TITLE,
            markup=Markup("<b>13812345678</b>"),
            attribute=7,
        )
    assert html == "Loans of debtor 110***********0027|<b>138****5678</b>|7"


def _why(html: str) -> dict[str, str]:
    """The 'why below' cell of each table row, by package."""
    row = r'<tr class="(?:below|met)">.*?<code>(.*?)</code>.*?<td class="why">(.*?)</td>'
    cells = re.findall(row, html, re.S)
    return {package: why.strip() for package, why in cells}


def test_a_chart_of_reach_counts_every_live_package_once(operator: FlaskClient) -> None:
    html = operator.get("/console/exposure").get_data(as_text=True)
    svg = re.search(r'<svg id="exposure-chart".*?</svg>', html, re.S)
    assert svg and "<script" not in html
    bars = re.findall(r'<g class="bar( below)?" data-bucket="([^"]+)" data-count="(\d+)">', svg.group(0))
    total = int(re.search(r"<strong>(\d+) of (\d+)</strong>", html).group(2))
    below = int(re.search(r"<strong>(\d+) of", html).group(1))
    assert [bucket for _, bucket, _ in bars[:3]] == ["0", "1", "2"]  # each count below the floor of 3
    assert sum(int(count) for _, _, count in bars) == total
    assert sum(int(count) for flag, _, count in bars if flag) == below > 0


def test_the_table_is_paged_and_keeps_the_filters(
    operator: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webapi.http.console.exposure as exposure_page

    everything = [package for package, *_ in _all_rows(operator, "/console/exposure")]
    monkeypatch.setattr(exposure_page, "PAGE_SIZE", 7)
    pages = -(-len(everything) // 7)
    seen: list[str] = []
    for page in range(1, pages + 1):
        html = operator.get(f"/console/exposure?days=1&page={page}").get_data(as_text=True)
        rows = [package for package, *_ in _rows(html)]
        assert len(rows) == (7 if page < pages else len(everything) - 7 * (pages - 1))
        seen += rows
        assert f"(page {page} of {pages})" in html
        assert ('rel="next"' in html) == (page < pages) and ('rel="prev"' in html) == (page > 1)
    assert seen == everything  # every package once, in the same worst-first order
    last = operator.get("/console/exposure?page=999").get_data(as_text=True)
    assert f"(page {pages} of {pages})" in last  # past the end: the last page
    assert "page=x" not in operator.get("/console/exposure?page=x").get_data(as_text=True)
    below = operator.get("/console/exposure?below=on&page=1").get_data(as_text=True)
    assert all(is_below for *_, is_below in _rows(below))
    if 'rel="next"' in below:
        assert "below=on" in re.search(r'<a rel="next" href="([^"]+)"', below).group(1)


def test_each_package_below_the_floor_says_why(operator: FlaskClient, served_market: ServedMarket) -> None:
    served = operator.get("/console/exposure").get_data(as_text=True)
    why = _why(served)
    for package, _, _, below in _rows(served):
        assert bool(why[package]) == below
        if below:
            assert why[package].startswith(("licence rule: ", "only ", "enough investors eligible"))
    window = "enough investors eligible; fewer than 3 were served it in this window"
    assert window in why.values()
    path = served_market.folder / "push.json"
    live = [p for p, *_ in _rows(served) if not p.startswith("PKG9")]
    path.write_text(json.dumps({
        "investors": {"INV000001": [live[0]]},
        "packages": {},
        "below_floor": [{"package_id": p, "in_top": 0, "reason": f"push says {p}"} for p in live],
    }))
    try:
        pushed = _why(operator.get("/console/exposure?source=push").get_data(as_text=True))
    finally:
        path.unlink()
    from_push = [p for p in live if pushed.get(p) == f"push says {p}"]
    rules_said = [p for p in live if pushed.get(p, "").startswith(("licence rule: ", "only "))]
    assert from_push and len(from_push) + len(rules_said) == len([p for p in live if p in pushed])
