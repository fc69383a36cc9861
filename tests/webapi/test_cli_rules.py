"""``assetmatch rules``, driven as an operator drives it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from matching.rule_document import parse_rule_document
from matching.rule_set import DEFAULT_RULES
from tests.conftest import REPO_ROOT
from webapi.cli import main

EXAMPLE = REPO_ROOT / "docs" / "examples" / "rules.yaml"
PUSH = "boosts:\n  closing_soon: {enabled: true, weight: 0.2}\nmarket: {licence_min_loans: 5}\n"
BAD = "boots: {}\nblend: {model: high}\nmarket: {licence_rule: false}\n"


@pytest.fixture
def run_cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ASSETMATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("USER", "ops-desk")

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    assert run("db", "upgrade").exit_code == 0
    return run


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_show_prints_the_built_in_defaults_as_an_appliable_document(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("rules", "show")
    assert result.exit_code == 0
    assert result.stdout.startswith("# rule set version 0: the built-in defaults")
    assert parse_rule_document(result.stdout) == DEFAULT_RULES
    shown = json.loads(run_cli("rules", "show", "--json").stdout)
    assert (shown["version"], shown["reason"]) == (0, "built-in defaults")
    assert parse_rule_document(shown["document"]) == DEFAULT_RULES
    assert "no rule set applied yet" in run_cli("rules", "history").stdout


def test_validate_says_valid_or_lists_every_problem_on_stderr(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = run_cli("rules", "validate", str(EXAMPLE))
    assert (good.exit_code, good.stdout) == (0, "valid\n")
    bad = run_cli("rules", "validate", write(tmp_path, "bad.yaml", BAD))
    assert bad.exit_code == 1
    lines = bad.stderr.splitlines()
    assert lines[0].endswith("bad.yaml: 3 problems:")
    assert lines[1:3] == ["  boots: unknown rule", '  blend.model: must be a number, got "high"']
    assert "market.licence_rule: the market rule cannot be disabled" in lines[3]


def test_apply_show_and_history_keep_who_when_why_and_what_changed(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    push = write(tmp_path, "push.yaml", PUSH)
    applied = run_cli("rules", "apply", push, "--why", "closing-soon push", "--author", "alice")
    assert applied.exit_code == 0, applied.output
    assert applied.stdout.splitlines() == [
        f"rule set version 1 is active (was 0): the rules in {push}, by alice",
        "changed: market.licence_min_loans, boosts.closing_soon.enabled, boosts.closing_soon.weight",
    ]
    again = run_cli("rules", "apply", push, "--why", "once more")
    assert again.stdout.startswith(f"no change: the rules in {push} are those of version 1")
    example = run_cli("rules", "apply", str(EXAMPLE), "--why", "the documented example\nsecond line")
    assert example.exit_code == 0

    shown = run_cli("rules", "show").stdout
    assert shown.startswith("# rule set version 2 (active), applied ")
    assert "UTC by ops-desk\n# why: the documented example\n#      second line\n" in shown
    assert parse_rule_document(shown) == parse_rule_document(EXAMPLE.read_text(encoding="utf-8"))
    first = run_cli("rules", "show", "--version", "1", "--json")
    assert json.loads(first.stdout)["status"] == "retired"

    history = run_cli("rules", "history").stdout.splitlines()
    assert history[0].startswith("   2  active ") and history[0].endswith(
        "ops-desk  the documented example …"
    )
    assert history[1].startswith(
        "      changed: market.min_hours_before_close, eligibility.ticket_fit.tolerance, "
    )
    assert history[1].endswith(" more")
    assert history[2].startswith("   1  retired ") and history[2].endswith("alice  closing-soon push")
    records = json.loads(run_cli("rules", "history", "--json").stdout)
    assert [(r["version"], r["author"]) for r in records] == [(2, "ops-desk"), (1, "alice")]
    assert records[1]["changed"] == ["market.licence_min_loans", "boosts.closing_soon.enabled",
                                     "boosts.closing_soon.weight"]  # fmt: skip


def test_rollback_saves_an_earlier_version_again(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_cli("rules", "apply", write(tmp_path, "push.yaml", PUSH), "--why", "push")
    result = run_cli("rules", "rollback", "0", "--why", "push is over")
    assert result.stdout.startswith(
        "rule set version 2 is active (was 1): the rules of version 0, by ops-desk"
    )
    shown = json.loads(run_cli("rules", "show", "--json").stdout)
    assert (shown["version"], shown["reason"]) == (2, "push is over")
    assert parse_rule_document(shown["document"]) == DEFAULT_RULES
    unknown = run_cli("rules", "rollback", "9", "--why", "typo")
    assert unknown.exit_code == 1 and "unknown rule set version 9" in unknown.stderr


def test_a_refused_apply_changes_nothing(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    push = write(tmp_path, "push.yaml", PUSH)
    bad = run_cli("rules", "apply", write(tmp_path, "bad.yaml", BAD), "--why", "try")
    assert bad.exit_code == 1
    assert bad.stderr.splitlines()[-1] == "nothing was applied"
    no_why = run_cli("rules", "apply", push)
    assert no_why.exit_code == 2 and "--why" in no_why.stderr
    blank_why = run_cli("rules", "apply", push, "--why", "  ")
    assert blank_why.exit_code == 2 and "--why must say why the rules change" in blank_why.stderr
    assert "no rule set applied yet" in run_cli("rules", "history").stdout


def test_output_masks_personal_data_even_in_rule_ids(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    document = write(tmp_path, "ids.yaml", "eligibility: {related_parties: [['13812345678', bank-jilin]]}\n")
    run_cli("rules", "apply", document, "--why", "conflict of interest for 13812345678")
    for output in (run_cli("rules", "show").stdout, run_cli("rules", "history", "--json").stdout):
        assert "13812345678" not in output
        assert "138****5678" in output


def test_a_document_that_leaves_out_tuned_rules_is_refused_until_the_resets_are_confirmed(
    run_cli, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    """Applying `top_k: 30` on top of a tuned version silently put `blend.stated 0.3` and
    `max_per_asset_type 3` back to their defaults."""
    tuned = write(tmp_path, "v1.yaml", "blend: {stated: 0.3}\ndiversity: {max_per_asset_type: 3}\n")
    assert run_cli("rules", "apply", tuned, "--why", "v1").exit_code == 0
    partial = write(tmp_path, "top.yaml", "top_k: 30\n")
    refused = run_cli("rules", "apply", partial, "--why", "longer lists")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[:2] == [
        f"{partial} against rule set version 1: 3 rules change, of which 2 reset to defaults",
        "  reset to defaults (left out of top.yaml): blend.stated, diversity.max_per_asset_type",
    ]
    assert refused.stderr.splitlines()[2].startswith("nothing was applied")
    assert json.loads(run_cli("rules", "show", "--json").stdout)["version"] == 1

    confirmed = run_cli("rules", "apply", partial, "--why", "longer lists, defaults again", "--reset-omitted")
    assert confirmed.exit_code == 0, confirmed.output
    assert confirmed.stdout.splitlines()[1:] == [
        "changed: blend.stated, diversity.max_per_asset_type, top_k",
        "reset to defaults: blend.stated, diversity.max_per_asset_type",
    ]
    document = json.loads(run_cli("rules", "show", "--json").stdout)["document"]
    assert (document["top_k"], document["blend"]["stated"]) == (30, 0.0)

    kept = write(tmp_path, "kept.yaml", "blend: {stated: 0.3}\ndiversity: {max_per_asset_type: 3}\ntop_k: 30\n")
    written_out = run_cli("rules", "apply", kept, "--why", "tuned again, with longer lists")
    assert written_out.exit_code == 0 and "reset to defaults" not in written_out.stdout
