"""The ``assetmatch`` command line: a Flask CLI group over the application factory."""

from __future__ import annotations

import sys
from datetime import date, datetime, time
from pathlib import Path

import click
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import Engine
from tqdm import tqdm

from data.csv_reader import MarketFileError
from data.generator import generate_market, write_market
from data.importer import count_event_rows, import_market
from data.masking import mask_personal_data
from data.store import (
    SchemaOutOfDateError,
    current_revision,
    downgrade_schema,
    require_current_schema,
    upgrade_schema,
)
from data.summary import market_summary_lines
from webapi.app import create_app, store_engine


def command_engine() -> Engine:
    """The app's store engine; its connections are closed when the command ends."""
    engine = store_engine()
    click.get_current_context().call_on_close(engine.dispose)
    return engine


def migrated_engine() -> Engine:
    """The store engine, refusing (with the command to run) a database not yet migrated."""
    engine = command_engine()
    try:
        require_current_schema(engine)
    except SchemaOutOfDateError as error:
        raise click.ClickException(str(error)) from error
    return engine


def echo(text: str, err: bool = False) -> None:
    """Every CLI line passes the personal-data mask before it leaves the engine."""
    click.echo(mask_personal_data(text), err=err)


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
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
    "--end",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="The market's 'now' (local time): history ends here, the newest listings are live. "
    "Default: today at midnight, so the market is live when imported.",
)
def generate_command(out_dir: Path, n_investors: int, n_packages: int, seed: int, end: datetime | None) -> None:
    """Write a synthetic market (and its hidden truth) in the contract's CSV format.

    The same seed and --end always give the same files.
    """
    end = end or datetime.combine(date.today(), time())
    market = generate_market(n_investors=n_investors, n_packages=n_packages, seed=seed, end=end)
    write_market(market, out_dir)
    echo(
        f"wrote {len(market.investors)} investors, {len(market.packages)} packages, "
        f"{len(market.events)} events to {out_dir}"
    )


@main.command("summary")
@with_appcontext
def summary_command() -> None:
    """Print what the database holds."""
    engine = migrated_engine()
    for line in market_summary_lines(engine):
        echo(line)
