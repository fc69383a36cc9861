"""What every ``assetmatch`` command module shares: the store engine and masked output."""

from __future__ import annotations

import click
from sqlalchemy import Engine

from data.masking import mask_personal_data
from data.store import SchemaOutOfDateError, require_current_schema
from webapi.http.context import store_engine


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
