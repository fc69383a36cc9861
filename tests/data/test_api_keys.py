"""API keys in the store: only a digest is kept, the secret is checked in constant time, revocation sticks."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine

from data.api_keys import (
    ApiKeyError,
    UnknownApiKeyError,
    create_key,
    get_key,
    list_keys,
    revoke_key,
    secret_matches,
    split_key,
)

NOW = datetime(2026, 6, 20)


def test_a_key_is_found_by_its_id_and_checked_by_its_secret(engine: Engine) -> None:
    with engine.begin() as connection:
        key, text = create_key(connection, "operator", NOW, label="ops")
    key_id, secret = split_key(text) or ("", "")
    assert key_id == key.key_id and len(secret) >= 43  # 256 bits
    with engine.connect() as connection:
        stored = get_key(connection, key_id)
    assert stored is not None and stored.key_hash != secret
    assert secret_matches(stored, secret) and not secret_matches(stored, secret[:-1] + "x")
    with engine.begin() as connection:
        revoked = revoke_key(connection, key_id, NOW)
        again = revoke_key(connection, key_id, datetime(2027, 1, 1))
    assert revoked.revoked_at == NOW == again.revoked_at and not again.active
    with engine.connect() as connection:
        assert [k.key_id for k in list_keys(connection)] == [key_id]


@pytest.mark.parametrize("text", ["", "am_", "am__x", "xx_id_secret", "Bearer am_a_b"])
def test_text_not_shaped_like_a_key_is_not_split(text: str) -> None:
    assert split_key(text) is None


def test_bad_requests_are_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        with pytest.raises(ApiKeyError, match="unknown role"):
            create_key(connection, "admin", NOW)
        with pytest.raises(UnknownApiKeyError):
            revoke_key(connection, "missing", NOW)
