"""The session signing key: configured, or made once per instance folder and shared by every process."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from webapi.http.app import create_app
from webapi.http.console.secret import SECRET_FILE, SecretKeyFileError, instance_secret_key


def test_the_key_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    key = instance_secret_key(tmp_path)
    path = tmp_path / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 32 and instance_secret_key(tmp_path) == key
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_FILE]  # no temporary file is left behind


def test_processes_starting_together_end_up_with_one_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: instance_secret_key(tmp_path / "instance"), range(16)))
    assert len(keys) == 1


def test_a_damaged_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("short")
    with pytest.raises(SecretKeyFileError, match="holds no usable key"):
        instance_secret_key(tmp_path)


def _app(tmp_path: Path, **config: object):  # type: ignore[no-untyped-def]
    return create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite'}", "INSTANCE_PATH": str(tmp_path), **config}
    )


def test_a_configured_key_wins_and_no_file_is_written(tmp_path: Path) -> None:
    app = _app(tmp_path, SECRET_KEY="configured-key-of-enough-length-0123456789")
    assert app.secret_key == "configured-key-of-enough-length-0123456789"
    assert not (tmp_path / SECRET_FILE).exists()
    app.extensions["assetmatch.engine"].dispose()


def test_without_a_usable_key_the_api_starts_and_the_console_says_why_it_cannot_sign_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / SECRET_FILE).write_text("short")
    app = _app(tmp_path)
    assert not app.secret_key
    assert "cannot sign anyone in" in caplog.text
    response = app.test_client().get("/console/login")
    assert response.status_code == 503 and "ASSETMATCH_SECRET_KEY" in response.get_data(as_text=True)
    assert app.test_client().get("/healthz").status_code == 200
    app.extensions["assetmatch.engine"].dispose()
