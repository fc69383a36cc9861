"""API keys in the store: create one (shown once), look one up, list them, revoke one.

A key reads ``am_<key_id>_<secret>``. ``key_id`` is public: it names the key in listings, logs
and revocations. Only the SHA-256 digest of the 256-bit random ``secret`` is stored, so a copy of
the database does not let anyone call the API; a plain digest (no slow KDF) is enough because the
secret is high-entropy, not a password a person chose, and it keeps the check per request cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from data.console_sessions import end_key_sessions
from data.identifiers import fresh_id
from data.schema import api_keys_table, investors_table
from data.wording import article

PLATFORM = "platform"
OPERATOR = "operator"
INVESTOR = "investor"
ROLES: tuple[str, ...] = (PLATFORM, OPERATOR, INVESTOR)
KEY_PREFIX = "am"
_KEY_ID_BYTES = 6
_SECRET_BYTES = 32


class ApiKeyError(ValueError):
    """A key that cannot be created as asked (unknown role, investor binding missing or unknown)."""


class UnknownApiKeyError(LookupError):
    def __init__(self, key_id: str) -> None:
        super().__init__(f"unknown API key {key_id!r}")


@dataclass(frozen=True)
class ApiKey:
    """A stored key without its secret: what a request is allowed to do, and on whose behalf."""

    key_id: str
    role: str
    investor_id: str | None
    label: str | None
    created_at: datetime
    revoked_at: datetime | None
    key_hash: str = ""

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "role": self.role,
            "investor_id": self.investor_id,
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
        }


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split_key(presented: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a key as a client sends it, or None when it is not shaped like one."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def is_key_id(text: str) -> bool:
    """Whether ``text`` could be a key id this module made (lowercase hex of the right length)."""
    return len(text) == 2 * _KEY_ID_BYTES and all(character in "0123456789abcdef" for character in text)


def secret_matches(key: ApiKey, secret: str) -> bool:
    """Compare in constant time, so response timing does not reveal how much of a guess was right."""
    return hmac.compare_digest(key.key_hash, hash_secret(secret))


def create_key(
    connection: Connection,
    role: str,
    now: datetime,
    investor_id: str | None = None,
    label: str | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key and return it with the full key text, which is never retrievable again.

    An ``investor`` key must name an existing investor (it may act for that investor only);
    the other roles must not name one.
    """
    if role not in ROLES:
        raise ApiKeyError(f"unknown role {role!r} (expected one of: {', '.join(ROLES)})")
    if role == INVESTOR and not investor_id:
        raise ApiKeyError("an investor key must name its investor (--investor ID)")
    if role != INVESTOR and investor_id:
        raise ApiKeyError(
            f"{article(role + ' key')} acts for the whole platform and cannot be bound to an investor"
        )
    if investor_id is not None:
        known = connection.execute(
            select(investors_table.c.investor_id).where(investors_table.c.investor_id == investor_id)
        ).first()
        if known is None:
            raise ApiKeyError(f"unknown investor {investor_id!r}")
    key_id = fresh_id(lambda: secrets.token_hex(_KEY_ID_BYTES))
    secret = fresh_id(lambda: secrets.token_urlsafe(_SECRET_BYTES))  # printed through the mask
    key = ApiKey(key_id, role, investor_id, label, now, None, hash_secret(secret))
    connection.execute(
        api_keys_table.insert().values(
            key_id=key.key_id,
            key_hash=key.key_hash,
            role=key.role,
            investor_id=key.investor_id,
            label=key.label,
            created_at=key.created_at,
            revoked_at=None,
        )
    )
    return key, f"{KEY_PREFIX}_{key_id}_{secret}"


def get_key(connection: Connection, key_id: str) -> ApiKey | None:
    """The stored key (revoked or not), or None."""
    row = connection.execute(select(api_keys_table).where(api_keys_table.c.key_id == key_id)).first()
    return None if row is None else _from_row(row._mapping)


def list_keys(connection: Connection) -> list[ApiKey]:
    """Every key, oldest first, revoked ones included (they are the audit trail)."""
    rows = connection.execute(
        select(api_keys_table).order_by(api_keys_table.c.created_at, api_keys_table.c.key_id)
    )
    return [_from_row(row._mapping) for row in rows]


def revoke_key(connection: Connection, key_id: str, now: datetime) -> ApiKey:
    """Mark a key revoked (idempotent: the first revocation time is kept) and end its console sign-ins."""
    key = get_key(connection, key_id)
    if key is None:
        raise UnknownApiKeyError(key_id)
    if key.revoked_at is None:
        connection.execute(
            update(api_keys_table).where(api_keys_table.c.key_id == key_id).values(revoked_at=now)
        )
        key = replace(key, revoked_at=now)
    end_key_sessions(connection, key_id)
    return key


def _from_row(row: Any) -> ApiKey:
    return ApiKey(
        key_id=row["key_id"],
        role=row["role"],
        investor_id=row["investor_id"],
        label=row["label"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        key_hash=row["key_hash"],
    )
