"""The rules page: the rule set in force, validate, preview as a diff, apply with a reason, history."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from data.rule_store import active_rule_set
from tests.webapi.conftest import Keys, ServedMarket
from tests.webapi.console_support import list_items, page_text, post_form, signed_in_client

CHANGE = "blend:\n  model: 0.0\n  stated: 1.0\n"


@pytest.fixture(scope="module")
def operator(app: Flask, keys: Keys) -> FlaskClient:
    return signed_in_client(app.test_client, keys.operator)


def test_the_page_shows_the_rules_in_force_in_the_editor(operator: FlaskClient) -> None:
    response = operator.get("/console/rules")
    assert response.status_code == 200
    text = page_text(response)
    assert "In force: version 0" in text and "built-in defaults" in text
    editor = re.search(
        r'<textarea id="document"[^>]*>(.*?)</textarea>', response.get_data(as_text=True), re.S
    )
    assert editor and "floor_investors: 3" in editor.group(1)
    assert 'id="version-0"' in response.get_data(as_text=True)


def test_validation_lists_every_problem_on_its_own_line(operator: FlaskClient) -> None:
    document = "top_k: -3\nblend:\n  model: 99\n"
    response = post_form(operator, "/console/rules/validate", document=document)
    assert response.status_code == 422
    problems = list_items(response, "problems")
    assert len(problems) == 2
    assert any(p.startswith("top_k:") for p in problems) and any(
        p.startswith("blend.model:") for p in problems
    )
    assert document.strip() in response.get_data(as_text=True)  # the editor keeps what was typed
    broken = post_form(operator, "/console/rules/validate", document="blend: [unclosed")
    assert broken.status_code == 422 and "not valid YAML or JSON" in list_items(broken, "problems")[0]


def test_a_valid_document_says_what_it_changes(operator: FlaskClient) -> None:
    response = post_form(operator, "/console/rules/validate", document=CHANGE.replace("\n", "\r\n"))
    assert response.status_code == 200
    assert "Valid. 2 rules change, none reset to defaults: blend.model, blend.stated." in page_text(response)
    same = post_form(operator, "/console/rules/validate", document="{}")
    assert "It is the same as the active rule set." in page_text(same)


def test_a_preview_shows_the_diff_and_the_offline_metrics_and_stores_nothing(
    operator: FlaskClient, served_market: ServedMarket
) -> None:
    response = post_form(
        operator, "/console/rules/preview", document=CHANGE, sample="10", k="10", offline="on"
    )
    assert response.status_code == 200, page_text(response)
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert re.search(r"\d+ of 10 sampled investors' top 10 change", text)
    assert "Nothing was stored." in text
    assert "Against active rule set version 0: 2 rules change, none reset to defaults" in text
    changes = re.search(r'<p id="rule-changes">(.*?)</p>', html, re.S)
    assert changes and re.findall(r"<code>(.*?)</code>", changes.group(1)) == ["blend.model", "blend.stated"]
    # the decision first (what changes, the counts, the metrics), then each investor's list, folded
    order = [html.index(marker) for marker in
             ('id="rule-changes"', 'id="preview-summary"', 'id="offline-metrics"', '<details class="investor-diff"')]
    assert order == sorted(order)
    assert "<details class=\"investor-diff\">" in html and "<details class=\"investor-diff\" open" not in html
    for kind in ("in", "out"):
        assert f'<tr class="diff-{kind}">' in html
    assert '<tr class="diff-up">' in html or '<tr class="diff-down">' in html
    assert re.search(r'<td class="rank">\d+ → \d+</td>', html)
    metrics = re.search(r'<table class="metrics" id="offline-metrics">(.*?)</table>', html, re.S)
    assert metrics, "the offline table is shown"
    headers = re.findall(r"<th>(.*?)</th>", metrics.group(1))
    assert headers[:1] == ["Metric"] and {"active", "candidate", "candidate − active"} <= set(headers)
    for metric in ("ndcg@10", "buyer_recall@50", "floor_met"):
        assert f"<th>{metric}</th>" in metrics.group(1)
    with served_market.engine.connect() as connection:
        assert active_rule_set(connection) is None


def test_a_quick_preview_skips_the_offline_replay(operator: FlaskClient) -> None:
    response = post_form(operator, "/console/rules/preview", document=CHANGE, sample="5", k="5")
    assert response.status_code == 200
    assert "offline-metrics" not in response.get_data(as_text=True)
    assert "Not run: tick “offline replay”" in page_text(response)


def test_a_preview_refuses_bad_options_and_bad_documents(operator: FlaskClient) -> None:
    response = post_form(operator, "/console/rules/preview", document="top_k: 0", sample="0", k="x")
    assert response.status_code == 422
    problems = list_items(response, "problems")
    assert problems[0] == "(preview) investors: must be an integer from 1 to 500, got '0'"
    assert problems[1] == "(preview) k: must be an integer from 1 to 100, got 'x'"
    assert problems[2].startswith("top_k:")


def test_applying_needs_a_reason_and_a_valid_document(
    operator: FlaskClient, served_market: ServedMarket
) -> None:
    response = post_form(operator, "/console/rules/apply", document="top_k: -1", why="  ")
    assert response.status_code == 422
    problems = list_items(response, "problems")
    assert problems[0] == "why: say why the rules change (a non-empty text)" and problems[1].startswith(
        "top_k:"
    )
    with served_market.engine.connect() as connection:
        assert active_rule_set(connection) is None


def test_an_applied_change_becomes_the_active_version_with_who_and_why(
    operator: FlaskClient, served_market: ServedMarket
) -> None:
    why = "weigh stated preferences; questions to 13812345678"
    response = post_form(operator, "/console/rules/apply", document=CHANGE, why=why)
    assert (response.status_code, response.headers["Location"]) == (303, "/console/rules")
    with served_market.engine.connect() as connection:
        stored = active_rule_set(connection)
    assert stored is not None and stored.version == 1 and stored.author.startswith("ops (key ")
    assert stored.document["blend"]["stated"] == 1.0
    page = operator.get("/console/rules")
    html, text = page.get_data(as_text=True), page_text(page)
    assert "Rule set version 1 is active" in text and "In force: version 1" in text
    assert "serving process serves rule set version 1." in text  # the 1, or all of them
    history = re.search(r'<li class="version status-active" id="version-1">(.*?)id="version-0"', html, re.S)
    assert history, "version 1 is listed above version 0"
    assert re.findall(r"<code>(.*?)</code>", history.group(1)) == ["blend.model", "blend.stated"]
    assert "138****5678" in text and "13812345678" not in html  # personal data is masked on the page
    assert 'id="version-0"' in html and "status-retired" in html


def test_applying_a_document_that_resets_tuned_rules_asks_to_confirm_the_resets_first(
    operator: FlaskClient, served_market: ServedMarket
) -> None:
    """Applying a partial document silently put every rule it left out back to its default."""
    with served_market.engine.connect() as connection:
        before = active_rule_set(connection)
    assert before is not None and before.document["blend"]["stated"] == 1.0  # version 1, applied above
    first = post_form(operator, "/console/rules/apply", document="top_k: 30", why="longer lists")
    assert first.status_code == 409
    text = page_text(first)
    assert (
        "Nothing was applied yet. 3 rules change, of which 2 reset to defaults: blend.model, blend.stated, top_k. "
        "Left out of the document, so back to the default: blend.model, blend.stated. Apply again to confirm."
    ) in text
    with served_market.engine.connect() as connection:
        assert active_rule_set(connection).version == before.version
    token = re.search(r'name="confirm_reset" value="([0-9a-f]+)"', first.get_data(as_text=True))
    assert token, "the page carries the confirmation of exactly these resets"

    other_resets = post_form(
        operator, "/console/rules/apply", document="blend: {model: 0.0}\ntop_k: 30", why="longer lists",
        confirm_reset=token.group(1),
    )  # fmt: skip
    assert other_resets.status_code == 409  # other resets than those confirmed: asked again

    confirmed = post_form(
        operator, "/console/rules/apply", document="top_k: 30", why="longer lists", confirm_reset=token.group(1)
    )
    assert confirmed.status_code == 303
    with served_market.engine.connect() as connection:
        stored = active_rule_set(connection)
    assert stored.version == before.version + 1
    assert (stored.document["top_k"], stored.document["blend"]["stated"]) == (30, 0.0)
