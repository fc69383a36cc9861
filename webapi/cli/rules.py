"""``assetmatch rules``: show, check, apply and audit the matching rules operators tune.

Every change is a new version with who made it and why (``--why`` is required), so ``rules
history`` answers "what changed, when, by whom and why" for any list the engine served.
Commands that read a rule file share ``read_rule_file``, which refuses a bad file with every
problem on stderr and exit status 1.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import Connection

from data.market_frames import describe_skipped
from data.package_summaries import package_summaries
from data.rule_store import (
    RuleSetAuditError,
    RuleSetVersion,
    UnknownRuleSetVersionError,
    active_rule_set,
    get_rule_set,
)
from matching.rule_changes import RuleChanges, rule_changes
from matching.rule_document import (
    DocumentFormat,
    RuleDocumentError,
    changed_paths,
    parse_rule_document,
    render_document,
    rule_set_to_document,
)
from matching.rule_set import RuleSet
from recommender.errors import ArtifactError
from webapi.cli.support import echo, migrated_engine
from webapi.services.model_store import NoActiveModelError, active_model_version, utc_now
from webapi.services.rule_sets import preview_rule_set
from webapi.services.rule_versions import (
    DEFAULTS_VERSION,
    active_rules,
    apply_rules,
    defaults_json,
    rule_history,
    rules_of,
)

RULE_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
WHY_HELP = "Why the rules change (required: it is kept with the version, for the audit trail)."
AUTHOR_HELP = "Who changes the rules. Default: $USER, else 'operator'."
CHANGES_SHOWN = 8


@click.group("rules")
def rules_group() -> None:
    """Matching rule sets: eligibility filters, score blend, boosts, diversity and exposure caps."""


def read_rule_file(path: Path, refused: str = "") -> RuleSet:
    """The rules in ``path``; a bad file ends the command with every problem on stderr (status 1)."""
    try:
        return parse_rule_document(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        problems = [f"(document): not UTF-8 text ({error.reason} at byte {error.start})"]
    except RuleDocumentError as error:
        problems = error.problems
    echo(f"{path}: {len(problems)} problem{'s' if len(problems) != 1 else ''}:", err=True)
    for problem in problems:
        echo(f"  {problem}", err=True)
    if refused:
        echo(refused, err=True)
    sys.exit(1)


def _author(author: str | None) -> str:
    return author or os.environ.get("USER") or "operator"


def _required_reason(reason: str) -> str:
    if not reason.strip():
        raise click.UsageError("--why must say why the rules change")
    return reason.strip()


def _summary(changes: list[str]) -> str:
    if not changes:
        return "nothing (the same rules as the version before)"
    shown = ", ".join(changes[:CHANGES_SHOWN])
    more = len(changes) - CHANGES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _first_line(text: str) -> str:
    lines = text.strip().splitlines() or [""]
    return lines[0] + (" …" if len(lines) > 1 else "")


@rules_group.command("show")
@click.option("--yaml", "fmt", flag_value="yaml", default=True, help="YAML with a comment header (default).")
@click.option("--json", "fmt", flag_value="json", help="JSON: the version record with its document.")
@click.option("--version", type=click.IntRange(min=0), help="A stored version (0: the built-in defaults).")
@with_appcontext
def rules_show(fmt: DocumentFormat, version: int | None) -> None:
    """Print the rule set in force (or VERSION), with who applied it, when and why.

    The YAML output is a valid document: save it, edit it and `rules apply` it.
    """
    with migrated_engine().connect() as connection:
        stored = active_rule_set(connection) if version is None else _stored(connection, version)
    record = defaults_json() if stored is None else stored.to_json()
    if fmt == "json":
        echo(json.dumps(record, indent=2, ensure_ascii=False))
        return
    for line in _header(stored):
        echo(f"# {line}")
    echo(render_document(record["document"], "yaml"))


def _stored(connection: Connection, version: int) -> RuleSetVersion | None:
    if version == DEFAULTS_VERSION:
        return None
    stored = get_rule_set(connection, version)
    if stored is None:
        raise click.ClickException(str(UnknownRuleSetVersionError(version)))
    return stored


def _header(stored: RuleSetVersion | None) -> list[str]:
    if stored is None:
        return [
            f"rule set version {DEFAULTS_VERSION}: the built-in defaults, in force until rules are applied"
        ]
    return [
        f"rule set version {stored.version} ({stored.status}), "
        f"applied {stored.created_at:%Y-%m-%d %H:%M} UTC by {stored.author}",
        *(f"why: {line}" if i == 0 else f"     {line}" for i, line in enumerate(stored.reason.splitlines())),
    ]


@rules_group.command("validate")
@click.argument("file", type=RULE_FILE)
def rules_validate(file: Path) -> None:
    """Check a rule document (YAML or JSON) without applying it: prints `valid`, or every problem."""
    read_rule_file(file)
    echo("valid")


@rules_group.command("apply")
@click.argument("file", type=RULE_FILE)
@click.option("--why", "reason", required=True, help=WHY_HELP)
@click.option("--author", default=None, help=AUTHOR_HELP)
@click.option("--reset-omitted", is_flag=True,
              help="Confirm that rules FILE leaves out go back to their defaults (refused without it).")
@with_appcontext
def rules_apply(file: Path, reason: str, author: str | None, reset_omitted: bool) -> None:
    """Validate FILE and make it the active rule set (a new version); a bad file changes nothing.

    FILE is a full document: a rule it leaves out takes its default. When that would put back a
    rule the active version sets, nothing is applied unless --reset-omitted confirms it.
    """
    reason = _required_reason(reason)
    read_rule_file(file, refused="nothing was applied")
    with migrated_engine().begin() as connection:
        current_version, current = active_rules(connection)
        rules, changes = rule_changes(current, file.read_text(encoding="utf-8"))
        if changes.reset and not reset_omitted:
            _refuse_resets(file, current_version, changes)
        _make_active(connection, rules, _author(author), reason, f"the rules in {file}", changes)


def _refuse_resets(file: Path, version: int, changes: RuleChanges) -> None:
    echo(f"{file} against rule set version {version}: {changes.summary}", err=True)
    echo(f"  reset to defaults (left out of {file.name}): {', '.join(changes.reset)}", err=True)
    echo(
        "nothing was applied: write those rules in the file to keep them (`assetmatch rules show` "
        "prints the full document to edit), or pass --reset-omitted to reset them",
        err=True,
    )
    sys.exit(1)


def _make_active(
    connection: Connection,
    rules: RuleSet,
    author: str,
    reason: str,
    what: str,
    changes: RuleChanges | None = None,
) -> None:
    """Store ``rules`` as the new active version, unless they are the rules already in force."""
    current_version, current = active_rules(connection)
    if changes is None:
        changes = RuleChanges(tuple(changed_paths(current, rules)), ())
    if not changes.changed:
        echo(f"no change: {what} are those of version {current_version}, which stays active")
        return
    try:
        saved = apply_rules(connection, rule_set_to_document(rules), author, reason, utc_now())
    except RuleSetAuditError as error:
        raise click.UsageError(str(error)) from error
    echo(f"rule set version {saved.version} is active (was {current_version}): {what}, by {saved.author}")
    echo(f"changed: {_summary(list(changes.changed))}")
    if changes.reset:
        echo(f"reset to defaults: {_summary(list(changes.reset))}")


@rules_group.command("rollback")
@click.argument("version", type=click.IntRange(min=0))
@click.option("--why", "reason", required=True, help=WHY_HELP)
@click.option("--author", default=None, help=AUTHOR_HELP)
@with_appcontext
def rules_rollback(version: int, reason: str, author: str | None) -> None:
    """Go back to the rules of VERSION (0: the built-in defaults), saved again as a new version."""
    reason = _required_reason(reason)
    with migrated_engine().begin() as connection:
        try:
            rules = rules_of(connection, version)
        except UnknownRuleSetVersionError as error:
            raise click.ClickException(str(error)) from error
        _make_active(connection, rules, _author(author), reason, f"the rules of version {version}")


@rules_group.command("history")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, documents included.")
@with_appcontext
def rules_history(as_json: bool) -> None:
    """Every rule set version, newest first: status, when, who, why, and which rules it changed."""
    with migrated_engine().connect() as connection:
        history = rule_history(connection)
    if as_json:
        records = [{**version.to_json(), "changed": changes} for version, changes in history]
        echo(json.dumps(records, indent=2, ensure_ascii=False))
        return
    if not history:
        echo(f"no rule set applied yet: version {DEFAULTS_VERSION}, the built-in defaults, is in force")
        return
    for version, changes in history:
        echo(
            f"{version.version:>4}  {version.status:7s}  {version.created_at:%Y-%m-%d %H:%M}  "
            f"{version.author}  {_first_line(version.reason)}"
        )
        echo(f"      changed: {_summary(changes)}")


@rules_group.command("preview")
@click.argument("file", type=RULE_FILE)
@click.option("--sample", default=50, show_default=True, type=click.IntRange(1, 10_000),
              help="Investors whose top k are compared.")
@click.option("--k", default=20, show_default=True, type=click.IntRange(1, 1000), help="List length.")
@click.option("--offline/--no-offline", default=True, show_default=True,
              help="Also replay the evaluation split (refits the model at its cutoff: slow when large).")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="The market clock (UTC) to rank the sampled lists at. Default: now.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def rules_preview(
    file: Path, sample: int, k: int, offline: bool, as_of: datetime | None, as_json: bool
) -> None:
    """What the rules in FILE would change against the active rules; nothing is stored.

    Compares sampled investors' top k (listings in, out, moved) and, with --offline, the
    evaluation split's NDCG@10, precision, buyer recall@50, ineligible pairs, coverage and
    exposure floor under the raw model, the active rules and FILE's rules.
    """
    read_rule_file(file)
    engine = migrated_engine()
    try:
        previewed = preview_rule_set(
            engine,
            active_model_version(engine),
            file.read_text(encoding="utf-8"),
            as_of or utc_now(),
            sample=sample,
            k=k,
            offline=offline,
        )
    except (NoActiveModelError, ArtifactError) as error:
        raise click.ClickException(str(error)) from error
    if previewed.market.skipped:
        echo(describe_skipped(previewed.market.skipped), err=True)
    active_version, changes, result = previewed.active_rule_version, previewed.changes, previewed.result
    if as_json:
        payload = {
            "active_rule_version": active_version,
            "rule_changes": changes.to_json(),
            **result.to_json(),
        }
        echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    with engine.connect() as connection:
        titles = {p: s.title for p, s in package_summaries(connection, result.package_ids()).items()}
    echo(f"{file} against rule set version {active_version}: {changes.summary}")
    if changes.changed:
        echo(f"  changed: {', '.join(changes.changed)}")
    if changes.reset:
        echo(f"  reset to defaults (left out of {file.name}; applying needs --reset-omitted): "
             f"{', '.join(changes.reset)}")
    for line in result.lines(titles):
        echo(line)
