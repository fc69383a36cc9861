"""``assetmatch keys``: create, list and revoke API keys.

A new key is printed once, alone on the last line of the output, so a script can take it with
``tail -n 1``; only its SHA-256 digest is stored, so it cannot be shown again.
"""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from data.api_keys import ROLES, ApiKeyError, UnknownApiKeyError, create_key, list_keys, revoke_key
from webapi.cli.support import echo, migrated_engine
from webapi.services.model_store import utc_now


@click.group("keys")
def keys_group() -> None:
    """API keys for the HTTP API (roles: platform, operator, investor)."""


@keys_group.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the key may do (docs/api.md).")
@click.option("--investor", "investor_id", default=None, help="The investor an investor key acts for.")
@click.option("--label", default=None, help="Who or what holds the key (shown in listings and audit).")
@with_appcontext
def keys_create(role: str, investor_id: str | None, label: str | None) -> None:
    """Create a key and print it (the last line) once."""
    engine = migrated_engine()
    try:
        with engine.begin() as connection:
            key, secret_text = create_key(connection, role, utc_now(), investor_id=investor_id, label=label)
    except ApiKeyError as error:
        raise click.ClickException(str(error)) from error
    bound = f" for investor {key.investor_id}" if key.investor_id else ""
    echo(f"created {key.role} key {key.key_id}{bound}; store it now, it is not shown again:")
    click.echo(secret_text)  # the key itself: random, never personal data, so not passed to the mask


@keys_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def keys_list(as_json: bool) -> None:
    """Every key (never its secret), oldest first, revoked ones included."""
    engine = migrated_engine()
    with engine.connect() as connection:
        keys = list_keys(connection)
    if as_json:
        echo(json.dumps([key.to_json() for key in keys], indent=2, ensure_ascii=False))
        return
    if not keys:
        echo("no API keys yet: `assetmatch keys create --role platform|operator|investor` makes one")
        return
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        bound = f" investor={key.investor_id}" if key.investor_id else ""
        label = f" label={key.label!r}" if key.label else ""
        echo(f"{key.key_id}  {key.role:8s}  {state}  created {key.created_at:%Y-%m-%d %H:%M}{bound}{label}")


@keys_group.command("revoke")
@click.argument("key_id")
@with_appcontext
def keys_revoke(key_id: str) -> None:
    """Revoke KEY_ID; every server refuses it within API_KEY_CACHE_SECONDS (default 5 s)."""
    engine = migrated_engine()
    try:
        with engine.begin() as connection:
            key = revoke_key(connection, key_id, utc_now())
    except UnknownApiKeyError as error:
        raise click.ClickException(str(error)) from error
    echo(f"key {key.key_id} revoked at {key.revoked_at:%Y-%m-%d %H:%M:%S} UTC")
