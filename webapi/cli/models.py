"""``assetmatch train`` and ``assetmatch models``: build, gate, list, activate and compare versions.

``train`` exits 0 when it promoted a version or had nothing new to learn from, and 3 when the
new version was kept out of service (rejected by the gate), so a scheduler can alert on it.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine

from data.attribution import attributed_events, served_lists, traffic_report
from data.market_frames import describe_skipped
from data.model_registry import ModelVersion, list_versions
from data.wording import count
from recommender.errors import ArtifactError
from recommender.evaluation.holdout import DEFAULT_HOLDOUT_DAYS
from recommender.pipeline import DEFAULT_SECOND_STAGE_FOLDS
from recommender.promotion import DEFAULT_TOLERANCE, GATED_METRICS
from webapi.cli.support import echo, migrated_engine
from webapi.services.activation import ActivationRefusedError, activate_model_version
from webapi.services.model_store import cache_dir_of
from webapi.services.replay import UnknownReplayVersionError, replay_versions
from webapi.services.schedule import InvalidIntervalError, parse_interval, run_every
from webapi.services.training import (
    PROMOTED,
    SKIPPED,
    NoEventsError,
    TrainingOptions,
    TrainingOutcome,
    run_training,
)
from webapi.services.training_progress import StageLines

AS_OF_TYPE = click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"])
GROUPINGS = {
    "model": ("model_version",),
    "rule": ("rule_version",),
    "both": ("model_version", "rule_version"),
}
NOT_PROMOTED_EXIT = 3


class IntervalType(click.ParamType):
    name = "interval"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_interval(str(value))
        except InvalidIntervalError as error:
            self.fail(str(error), param, ctx)


def models_dir() -> Path:
    return Path(current_app.instance_path) / "models"


@click.command("train")
@click.option("--as-of", type=AS_OF_TYPE, default=None,
              help="The market clock (UTC) to train at, e.g. to replay a past day. Default: now.")
@click.option("--force", is_flag=True,
              help="Train even without new events, and promote whatever the gate says (operators).")
@click.option("--tolerance", type=click.FloatRange(0, 1, max_open=True), default=DEFAULT_TOLERANCE,
              show_default=True, help="How much worse (relative) than the active version the holdout "
              "NDCG@10 or buyer recall@50 may be before the new version is rejected.")
@click.option("--holdout-days", type=click.FloatRange(1, 365), default=DEFAULT_HOLDOUT_DAYS,
              show_default=True,
              help="The time-ordered holdout: the newest this many days of events (widened when too few).")
@click.option("--every", type=IntervalType(), default=None,
              help="Keep running: train, sleep this long (30m, 6h, 1d), repeat; "
              "a run without new events skips.")
@click.option("--workers", type=click.IntRange(1, 8), default=2, show_default=True,
              help="Fits run at the same time (holdout candidate, holdout active version, final model).")
@click.option("--second-stage-folds", type=click.IntRange(0, 6), default=DEFAULT_SECOND_STAGE_FOLDS,
              show_default=True, help="Pseudo-cold time folds the learned second stage is trained on "
              "(each refits the first stage); 0 trains a version without one.")
@with_appcontext
def train_command(
    as_of: datetime | None,
    force: bool,
    tolerance: float,
    holdout_days: float,
    every: timedelta | None,
    workers: int,
    second_stage_folds: int,
) -> None:
    """Build a new model version from the database, measure it on a time-ordered holdout against
    the active version, and make it active only if it is not worse (see docs/operations.md)."""
    engine = migrated_engine()
    options = TrainingOptions(as_of=as_of, holdout_days=holdout_days, tolerance=tolerance, force=force,
                              workers=workers, second_stage_folds=second_stage_folds)
    if every is None:
        outcome = _train_once(engine, options)
        if outcome.status not in (PROMOTED, SKIPPED):
            sys.exit(NOT_PROMOTED_EXIT)
        return
    echo(f"training every {every}; stop with Ctrl-C", err=True)
    run_every(every, lambda: _train_once(engine, options),
              report_failure=lambda error: echo(f"training run failed: {error}", err=True))


def _train_once(engine: Engine, options: TrainingOptions) -> TrainingOutcome:
    echo(f"training run at {datetime.now():%Y-%m-%d %H:%M:%S}", err=True)
    try:
        outcome = run_training(engine, models_dir(), options, StageLines(lambda line: echo(line, err=True)))
    except NoEventsError as error:
        raise click.ClickException(str(error)) from error
    if outcome.version is None:
        echo(f"skipped: {outcome.reason}")
        return outcome
    for line in outcome_lines(outcome.version, outcome.status):
        echo(line)
    return outcome


def outcome_lines(version: ModelVersion, status: str) -> list[str]:
    """What an operator needs after a run: the decision, the holdout, both versions' scores."""
    metrics = version.metrics
    holdout = metrics.get("holdout", {})
    lines = [f"model {version.version}: {version.note or status}"]
    if holdout:
        lines.append(
            f"  holdout {holdout['cutoff']} .. {holdout['end']} ({_days(holdout['window_days'])}): "
            f"{count(holdout['investors'], 'investor')} acted, {holdout['packages_with_bidders']} of "
            f"{count(holdout['packages'], 'live package')} drew bids"
        )
        lines.extend(f"  holdout: {problem}" for problem in holdout.get("problems", []))
    lines.append(f"  candidate            {_scores(metrics.get('candidate'))}")
    active = metrics.get("active")
    if active:
        scores = _scores(active.get("metrics"))
        lines.append(f"  active {active['version']}  {scores}  ({active['measured']})")
    skipped = describe_skipped(metrics.get("data", {}).get("skipped_rows", {}))
    if skipped:
        lines.append(f"  data: {skipped}")
    lines.append(f"  artifact: {version.artifact_path}")
    return lines


def _scores(values: dict[str, float] | None) -> str:
    if not values:
        return "not measured"
    return "  ".join(f"{name} {values[name]:.4f}" for name in GATED_METRICS if name in values)


@click.group("models")
def models_group() -> None:
    """Trained model versions: list, activate (promote or roll back), compare on served traffic."""


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def models_list(as_json: bool) -> None:
    """Every model version, newest first, with its holdout metrics and the gate's note."""
    engine = migrated_engine()
    with engine.connect() as connection:
        versions = list_versions(connection)
    if as_json:
        echo(json.dumps([v.to_json() for v in versions], indent=2))
        return
    if not versions:
        echo("no model versions yet: `assetmatch train` builds the first one")
        return
    for v in versions:
        echo(
            f"{v.version}  {v.status:9s}  trained until {v.trained_until:%Y-%m-%d %H:%M}  events <= "
            f"{v.event_high_water}  {_scores(v.metrics.get('candidate'))}"
        )
        if v.note:
            echo(f"    {v.note}")


@models_group.command("activate")
@click.argument("version")
@with_appcontext
def models_activate(version: str) -> None:
    """Make VERSION the active model (a rollback, or an operator's override of the gate).

    Its artifact is checked first (file present, checksum recorded at training, arrays that fit
    together and the registered shape): one that fails is refused and nothing changes.
    """
    engine = migrated_engine()
    try:
        activation = activate_model_version(engine, version, cache_dir=cache_dir_of(models_dir()))
    except ActivationRefusedError as error:
        where = f" (artifact: {error.path})" if error.path is not None else ""
        raise click.ClickException(f"{error}{where}") from error
    previous = activation.previous
    if activation.version.artifact_sha256 is None:
        echo(f"model {version} has no recorded checksum (registered before them); its arrays were checked")
    if not activation.changed:
        echo(f"model {version} was already active")
        return
    echo(f"model {version} is active (was {previous.version if previous else 'none'}); serving swaps to it")


@models_group.command("compare")
@click.option("--since", type=AS_OF_TYPE, default=None, help="Only lists served at or after this time (UTC).")
@click.option("--until", type=AS_OF_TYPE, default=None, help="Only lists served before this time (UTC).")
@click.option("--by", "group_by", type=click.Choice(sorted(GROUPINGS)), default="model", show_default=True,
              help="Compare model versions, rule-set versions, or each pair.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def models_compare(since: datetime | None, until: datetime | None, group_by: str, as_json: bool) -> None:
    """Versions on real traffic: lists served, impressions, actions attributed by request id,
    view and action rates, and the mean reciprocal rank of the items investors acted on."""
    engine = migrated_engine()
    by = GROUPINGS[group_by]
    with engine.connect() as connection:
        lists = served_lists(connection, since, until)
        attributed = attributed_events(connection, since, until)
    report = traffic_report(lists, attributed, by)
    if as_json:
        echo(json.dumps(report, indent=2))
        return
    if not report:
        echo("no served lists recorded in that period")
        return
    for row in report:
        label = ", ".join(f"{key.replace('_', ' ')} {row[key]}" for key in by)
        echo(
            f"{label}: {count(row['lists'], 'list')}, {count(row['impressions'], 'impression')}, "
            f"{count(row['attributed_events'], 'attributed event')}; view rate {_rate(row['view_rate'])}, "
            f"action rate {_rate(row['action_rate'])}, "
            f"lists acted on {_rate(row['list_action_rate'])}, MRR of acted items "
            f"{_number(row['mean_reciprocal_rank'])}, list MRR {_number(row['list_mrr'])}"
        )


@models_group.command("replay")
@click.argument("versions", nargs=-1, required=True)
@click.option("--since", type=AS_OF_TYPE, default=None, help="Only lists served at or after this time (UTC).")
@click.option("--until", type=AS_OF_TYPE, default=None, help="Only lists served before this time (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def models_replay(
    versions: tuple[str, ...], since: datetime | None, until: datetime | None, as_json: bool
) -> None:
    """Re-rank the served lists investors acted on with each of VERSIONS: the mean reciprocal rank
    each gives the acted items, on the same lists and actions (and their rank as served)."""
    engine = migrated_engine()
    try:
        report = replay_versions(engine, list(versions), since, until)
    except (UnknownReplayVersionError, ArtifactError) as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        echo(json.dumps(report, indent=2))
        return
    for row in report:
        echo(
            f"{row['version']}: {count(row['acted_items'], 'acted item')} in {count(row['lists'], 'list')} "
            f"({row['lists_skipped']} it cannot score), MRR {_number(row['mean_reciprocal_rank'])} "
            f"(as served: {_number(row['served_mean_reciprocal_rank'])})"
        )


def _days(days: float) -> str:
    return f"{days:g} day{'' if days == 1 else 's'}"


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
