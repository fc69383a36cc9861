"""The key that signs the console's session cookie: configured, or made once per instance.

Every process behind one address (gunicorn's workers, a restarted server) must sign and check
cookies with the same key, or a sign-in made through one worker is refused by the next.
``ASSETMATCH_SECRET_KEY`` sets it; without it, a random key is written once to
``<instance>/secret_key`` (readable by its owner only) and every process reads that file.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask

SECRET_FILE = "secret_key"
logger = logging.getLogger(__name__)
_KEY_BYTES = 32


class SecretKeyFileError(RuntimeError):
    """The instance's secret key file exists but cannot be used."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"the session secret key file {path} {problem}; delete it or set ASSETMATCH_SECRET_KEY"
        )


def install_secret_key(app: Flask) -> None:
    """Give ``app`` a ``SECRET_KEY``: its configured one, else the instance's shared one.

    An instance folder that cannot hold the key (read-only, a damaged file) must not stop the
    API from serving: the problem is logged and the console refuses to sign anyone in.
    """
    if app.config.get("SECRET_KEY"):
        return
    try:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    except (OSError, SecretKeyFileError, UnicodeDecodeError) as error:
        logger.error("the operator console cannot sign anyone in: %s", error)


def instance_secret_key(folder: Path) -> str:
    """The key stored in ``folder``, created with mode 0600 by whichever process comes first.

    The key is written to a private temporary file and hard-linked into place, which fails if
    the file exists: processes starting together all end up reading the one key that won,
    and none ever reads a half-written file.
    """
    path = folder / SECRET_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(_KEY_BYTES))
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process won; use its key
        finally:
            temporary.unlink(missing_ok=True)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < _KEY_BYTES:
        raise SecretKeyFileError(path, "holds no usable key")
    return key
