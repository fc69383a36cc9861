"""The ``assetmatch`` command line: a Flask CLI group over the application factory."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, time
from importlib import metadata
from pathlib import Path
from typing import Any

import click
from flask.cli import FlaskGroup, with_appcontext
from tqdm import tqdm

from data.csv_reader import MarketFileError, read_market
from data.generator import SCENARIOS, MarketOracle, generate_market, load_truth, write_market
from data.importer import count_event_rows, import_market
from data.market_frames import describe_skipped, load_market
from data.store import current_revision, downgrade_schema, upgrade_schema
from data.summary import market_summary_lines
from data.wording import count
from matching.batch_push import batch_push
from matching.matcher import Matcher
from recommender.errors import ArtifactError
from recommender.evaluation.market_report import market_report
from webapi.cli.keys import keys_group
from webapi.cli.models import models_dir, models_group, train_command
from webapi.cli.rules import rules_group
from webapi.cli.serve import serve_command
from webapi.cli.support import command_engine, echo, migrated_engine
from webapi.http.app import create_app
from webapi.services.model_store import NoActiveModelError, cache_dir_of, load_active_model, utc_now
from webapi.services.rule_versions import active_rules

AS_OF_HELP = "The market clock (UTC) to train or rank at, e.g. to replay a past day. Default: now."
AS_OF_TYPE = click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"])


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    try:
        version = metadata.version("assetmatch")
    except metadata.PackageNotFoundError:
        version = "(not installed: run from a source tree)"
    click.echo(f"assetmatch {version}")
    ctx.exit()


class AssetMatchGroup(FlaskGroup):
    """Flask's CLI group without Flask's own options.

    ``FlaskGroup`` adds ``--version`` (Flask's and Werkzeug's versions), ``-e/--env-file``,
    ``-A/--app`` and ``--debug``. The application is always ``webapi.http.app.create_app``, configured
    by ``ASSETMATCH_*`` variables (docs/cli.md), so those options only mislead: they are dropped,
    and ``--version`` prints AssetMatch's version.
    """

    FLASK_OPTIONS = frozenset({"env_file", "app", "debug", "version"})

    def __init__(self, **extra: Any) -> None:
        super().__init__(add_version_option=False, load_dotenv=False, set_debug_flag=False, **extra)
        self.params = [param for param in self.params if param.name not in self.FLASK_OPTIONS]
        self.params.append(
            click.Option(
                ["--version"],
                is_flag=True,
                expose_value=False,
                is_eager=True,
                callback=_print_version,
                help="Print the AssetMatch version and exit.",
            )
        )


@click.group(cls=AssetMatchGroup, create_app=create_app, add_default_commands=False)
def main() -> None:
    """AssetMatch: investor-asset recommendation and matchmaking for distressed assets."""


@main.group("db")
def db_group() -> None:
    """Create or migrate the database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target migration revision.")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to the newest schema (creates it when empty)."""
    engine = command_engine()
    upgrade_schema(engine, revision)
    echo(f"database {engine.url.render_as_string(hide_password=True)} at revision {current_revision(engine)}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Roll the schema back to REVISION (``base`` drops every table)."""
    engine = command_engine()
    downgrade_schema(engine, revision)
    echo(f"database at revision {current_revision(engine) or 'base'}")


@main.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def import_command(directory: Path) -> None:
    """Import investors.csv, packages.csv and events.csv from DIRECTORY, all or nothing."""
    engine = migrated_engine()
    total = count_event_rows(directory)
    with tqdm(total=total, unit="event", desc="events", disable=None, file=sys.stderr) as bar:
        try:
            summary = import_market(engine, directory, on_event_progress=bar.update)
        except MarketFileError as error:
            bar.close()
            for line in str(error).splitlines():
                echo(line, err=True)
            echo("nothing was imported", err=True)
            sys.exit(1)
    for line in summary.lines():
        echo(line)


@main.command("generate")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--investors", "n_investors", default=2_000, show_default=True, type=click.IntRange(min=1))
@click.option("--packages", "n_packages", default=5_000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--scenario",
    default="default",
    show_default=True,
    type=click.Choice(list(SCENARIOS)),
    help="What kind of platform to simulate (docs/synthetic-market.md lists the scenarios).",
)
@click.option(
    "--end",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="The market's 'now' (local time): history ends here, the newest listings are live. "
    "Default: today at midnight, so the market is live when imported.",
)
def generate_command(
    out_dir: Path, n_investors: int, n_packages: int, seed: int, scenario: str, end: datetime | None
) -> None:
    """Write a synthetic market (and its hidden truth) in the contract's CSV format.

    The same seed, --scenario and --end always give the same files.
    """
    end = end or datetime.combine(date.today(), time())
    market = generate_market(n_investors=n_investors, n_packages=n_packages, seed=seed, end=end, scenario=scenario)
    write_market(market, out_dir)
    echo(
        f"wrote {count(len(market.investors), 'investor')}, {count(len(market.packages), 'package')}, "
        f"{count(len(market.events), 'event')} to {out_dir}"
    )


@main.command("summary")
@click.option(
    "--as-of", type=AS_OF_TYPE, default=None, help="The market clock (UTC) for 'live now'. Default: now."
)
@with_appcontext
def summary_command(as_of: datetime | None) -> None:
    """Print what the database holds."""
    engine = migrated_engine()
    for line in market_summary_lines(engine, as_of):
        echo(line)


@main.command("rank")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--k", default=50, show_default=True, type=click.IntRange(1, 1000), help="Packages per investor.")
@click.option("--buyers-k", default=100, show_default=True, type=click.IntRange(1, 10000), help="Buyers per package.")
@click.option("--as-of", type=AS_OF_TYPE, default=None, help=AS_OF_HELP)
@with_appcontext
def rank_command(out_file: Path, k: int, buyers_k: int, as_of: datetime | None) -> None:
    """Write the batch push: ranked live packages per investor and ranked buyers per live package."""
    engine = migrated_engine()
    now = as_of or utc_now()
    try:
        version, model = load_active_model(engine, cache_dir_of(models_dir()))
    except (NoActiveModelError, ArtifactError) as error:
        raise click.ClickException(str(error)) from error
    market = load_market(engine)
    if market.skipped:
        echo(describe_skipped(market.skipped), err=True)
    with engine.connect() as connection:
        rules_version, rules = active_rules(connection)
    investors = market.investors[market.investors["registered_at"] <= now]
    investor_ids = investors["investor_id"].tolist()
    added = [i for i in investor_ids if i not in model.investor_ids]
    matcher = Matcher.build(model, None, market.investors, market.packages, market.events, rules, now)
    live = len(model.package_index)
    with tqdm(total=len(investor_ids) + live, unit="list", disable=None, file=sys.stderr) as bar:
        push = batch_push(matcher, investor_ids, k, buyers_k, bar.update)
    below_floor = [
        {"package_id": s.package_id, "in_top": s.in_top, "reason": s.reason} for s in push.below_floor
    ]
    write_json_atomically(
        out_file, {"investors": push.investors, "packages": push.packages, "below_floor": below_floor}
    )
    echo(
        f"model {version.version}, rule set {rules_version}: "
        f"ranked {count(len(push.investors), 'investor')} ({len(added)} new since training) "
        f"and {count(len(push.packages), 'live package')} into {out_file}"
    )
    for line in push.lines():
        echo(line)


def write_json_atomically(path: Path, payload: dict) -> None:
    """Write to a temporary file and rename, so a reader never sees half a push."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False)
    temporary.replace(path)


@main.command("evaluate")
@click.option("--market", "market_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A market written by `assetmatch generate` (its truth/ is the oracle).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="Write the markdown report here.")
@click.option("--window-days", default=90, show_default=True, type=click.IntRange(7, 365))
@click.option("--movielens", "movielens_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also run the MovieLens 100k report on this ml-100k folder.")
def evaluate_command(market_dir: Path, out_file: Path | None, window_days: int, movielens_dir: Path | None) -> None:
    """Offline evaluation: the market time split (and optionally MovieLens 100k), as markdown."""
    frames = read_market(market_dir)
    truth = load_truth(market_dir / "truth")
    report = market_report(
        frames.investors, frames.packages, frames.events, MarketOracle(truth),
        window_days=window_days, log=lambda line: echo(line, err=True),
    )
    if movielens_dir is not None:
        from recommender.evaluation.movielens import movielens_report

        report += "\n\n" + movielens_report(movielens_dir)
    if out_file:
        out_file.write_text(report + "\n", encoding="utf-8")
    echo(report)


main.add_command(rules_group)
main.add_command(keys_group)
main.add_command(serve_command)
main.add_command(train_command)
main.add_command(models_group)
