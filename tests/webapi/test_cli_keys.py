"""``assetmatch keys``: a key is shown once on the last line, stored only as a digest, and revocable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, select

from data.schema import api_keys_table
from tests.market_files import write_market
from tests.webapi.conftest import app_config
from webapi.cli import main
from webapi.http.app import create_app


@pytest.fixture
def run_cli(engine: Engine, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ASSETMATCH_DATABASE_URL", engine.url.render_as_string(hide_password=False))

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def test_keys_are_created_listed_used_and_revoked(run_cli, engine: Engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("import", str(write_market(tmp_path / "m"))).exit_code == 0
    created = run_cli(
        "keys", "create", "--role", "investor", "--investor", "inv-2", "--label", "Li Ming's app"
    )
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("am_")
    key_id = key.split("_")[1]
    with engine.connect() as connection:
        stored = connection.execute(select(api_keys_table)).one()._mapping
    assert stored["key_id"] == key_id and stored["investor_id"] == "inv-2"
    assert key.split("_", 2)[2] not in json.dumps({k: str(v) for k, v in stored.items()})  # only a digest

    listed = json.loads(run_cli("keys", "list", "--json").output)
    assert [(k["key_id"], k["role"], k["revoked_at"]) for k in listed] == [(key_id, "investor", None)]
    assert key not in run_cli("keys", "list").output

    app = create_app(app_config(engine.url.render_as_string(hide_password=False), tmp_path))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/packages/pkg-2", headers=headers).status_code == 200
    assert run_cli("keys", "revoke", key_id).exit_code == 0
    assert client.get("/v1/packages/pkg-2", headers=headers).status_code == 401
    assert json.loads(run_cli("keys", "list", "--json").output)[0]["revoked_at"]
    app.extensions["assetmatch.engine"].dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "investor"), "must name its investor"),
        (("--role", "investor", "--investor", "nobody"), "unknown investor 'nobody'"),
        (("--role", "platform", "--investor", "inv-1"), "a platform key acts for the whole platform"),
        (("--role", "operator", "--investor", "inv-1"), "an operator key acts for the whole platform"),
    ],
)
def test_keys_that_cannot_work_are_refused(
    run_cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:  # type: ignore[no-untyped-def]
    run_cli("import", str(write_market(tmp_path / "m")))
    result = run_cli("keys", "create", *args)
    assert result.exit_code == 1 and message in result.stderr


def test_revoking_an_unknown_key_fails(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("keys", "revoke", "nope")
    assert result.exit_code == 1 and "unknown API key 'nope'" in result.stderr


def test_an_empty_key_list_says_so(run_cli) -> None:  # type: ignore[no-untyped-def]
    """`keys list` on a database without keys printed nothing at all."""
    result = run_cli("keys", "list")
    assert result.exit_code == 0
    assert result.stdout.startswith("no API keys yet: `assetmatch keys create --role ")
    assert run_cli("keys", "list", "--json").stdout.strip() == "[]"
