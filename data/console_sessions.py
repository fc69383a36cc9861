"""Console sign-ins kept in the store, so that signing out or revoking a key ends them everywhere.

The console's cookie is signed, so nobody can forge one, but a signed cookie alone stays valid
until it expires: a copy taken before **Sign out** would still work. Here a sign-in is a row;
the cookie carries a random session id and the row holds only that id's SHA-256 digest (a copy
of the database does not yield a usable cookie). Signing out deletes the row, revoking a key
deletes every row of that key, and a row past ``expires_at`` no longer counts.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select

from data.schema import console_sessions_table

_SESSION_BYTES = 32


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(connection: Connection, key_id: str, now: datetime, lifetime: timedelta) -> str:
    """Store a new sign-in of ``key_id`` and return its session id (for the cookie only).

    Expired sign-ins are removed on the way, so the table holds about as many rows as there are
    operators signed in.
    """
    connection.execute(delete(console_sessions_table).where(console_sessions_table.c.expires_at <= now))
    session_id = secrets.token_urlsafe(_SESSION_BYTES)
    connection.execute(
        console_sessions_table.insert().values(
            session_hash=_digest(session_id), key_id=key_id, created_at=now, expires_at=now + lifetime
        )
    )
    return session_id


def session_key_id(connection: Connection, session_id: str, now: datetime) -> str | None:
    """The key a live sign-in belongs to; None when it was ended, expired, or never existed."""
    row = connection.execute(
        select(console_sessions_table.c.key_id, console_sessions_table.c.expires_at).where(
            console_sessions_table.c.session_hash == _digest(session_id)
        )
    ).first()
    if row is None or row.expires_at <= now:
        return None
    return row.key_id


def end_session(connection: Connection, session_id: str) -> None:
    """Sign out: the session id no longer signs anyone in, on any process."""
    connection.execute(
        delete(console_sessions_table).where(console_sessions_table.c.session_hash == _digest(session_id))
    )


def end_key_sessions(connection: Connection, key_id: str) -> int:
    """End every sign-in made with ``key_id`` (its revocation); returns how many there were."""
    table = console_sessions_table
    result = connection.execute(delete(table).where(table.c.key_id == key_id))
    return result.rowcount or 0
