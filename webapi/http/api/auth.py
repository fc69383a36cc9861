"""Who is calling: API keys from the ``Authorization: Bearer`` header, and what each role may do.

Roles (see docs/api.md for the full matrix):

- ``platform``: the marketplace's backend. Writes market data (investors, listings, events) and
  reads every list; no rules, no model activation.
- ``operator``: the people who tune matching. Rules, model versions, and every read (including
  what rules removed from a list); no market writes.
- ``investor``: bound to one investor. Reads its own recommendations and any listing, posts its
  own events; nothing else.

A verified key is cached per process for ``API_KEY_CACHE_SECONDS`` (default 5), so a request
does not cost a database round trip; a revoked key therefore stops working within that time.
Unknown key ids are remembered for a second (``API_KEY_NEGATIVE_CACHE_SECONDS``) and ids not
shaped like ours are refused without a lookup, so made-up keys cannot make every request a
database query.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request
from sqlalchemy import Engine

from data.api_keys import (
    INVESTOR,
    OPERATOR,
    PLATFORM,
    ApiKey,
    get_key,
    is_key_id,
    secret_matches,
    split_key,
)
from data.wording import article
from webapi.http.api.problems import ProblemError

AUTH_EXTENSION = "assetmatch.api_keys"
DEFAULT_CACHE_SECONDS = 5.0
#: How long an unknown key id is remembered (at most ``API_KEY_CACHE_SECONDS``).
NEGATIVE_CACHE_SECONDS = 1.0
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="assetmatch"'}

EVERY_ROLE = (PLATFORM, OPERATOR, INVESTOR)
READERS = (PLATFORM, OPERATOR)

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Caller:
    """The verified key a request was made with."""

    key_id: str
    role: str
    investor_id: str | None
    label: str | None

    @property
    def author(self) -> str:
        """How audit records name this caller: the key's label, then its id."""
        return f"{self.label} (key {self.key_id})" if self.label else f"key {self.key_id}"


class KeyCache:
    """Stored keys by id, each kept for a few seconds, and unknown ids for a second; thread-safe.

    Known keys are kept ``seconds`` (so a revocation takes that long to reach every process).
    An id the store does not hold is remembered ``negative_seconds``, so a client retrying with
    a wrong key, or a flood of one made-up key, costs one lookup per interval instead of one per
    request. Remembering a miss can never hide a key created afterwards: key ids are random
    (``data.api_keys``), so a new key's id has never been looked up before it exists. Both maps
    are bounded, dropping their oldest entries, and kept apart so a flood of made-up ids never
    pushes out the keys real clients use.
    """

    def __init__(
        self, engine: Engine, seconds: float, negative_seconds: float | None = None, max_entries: int = 10_000
    ) -> None:
        self._engine = engine
        self._seconds = seconds
        self._negative_seconds = (
            min(seconds, NEGATIVE_CACHE_SECONDS) if negative_seconds is None else negative_seconds
        )
        self._max_entries = max_entries
        self._keys: OrderedDict[str, tuple[ApiKey, float]] = OrderedDict()
        self._unknown: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key_id: str) -> ApiKey | None:
        """The stored key of ``key_id`` (revoked or not), or None when there is none."""
        if not is_key_id(key_id):  # no key ever had such an id: no lookup, nothing remembered
            return None
        now = time.monotonic()
        with self._lock:
            cached = self._keys.get(key_id)
            if cached is not None and now - cached[1] < self._seconds:
                return cached[0]
            missed_at = self._unknown.get(key_id)
            if missed_at is not None and now - missed_at < self._negative_seconds:
                return None
        with self._engine.connect() as connection:
            key = get_key(connection, key_id)
        with self._lock:
            if key is not None:
                self._unknown.pop(key_id, None)
                if self._seconds > 0:
                    _remember(self._keys, key_id, (key, now), self._max_entries)
            elif self._negative_seconds > 0:
                _remember(self._unknown, key_id, now, self._max_entries)
        return key


def _remember(entries: OrderedDict[str, Any], key_id: str, value: Any, limit: int) -> None:
    entries[key_id] = value
    entries.move_to_end(key_id)
    while len(entries) > limit:
        entries.popitem(last=False)


def install_key_cache(app: Any, engine: Engine) -> None:
    seconds = float(app.config.get("API_KEY_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
    negative = app.config.get("API_KEY_NEGATIVE_CACHE_SECONDS")
    app.extensions[AUTH_EXTENSION] = KeyCache(engine, seconds, None if negative is None else float(negative))


def authenticate() -> Caller:
    """The caller of this request; 401 without a valid, unrevoked key."""
    cached = g.get("caller")
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if not header:
        raise ProblemError(
            401, "send an API key: Authorization: Bearer am_<key_id>_<secret>", headers=CHALLENGE
        )
    parts = split_key(presented.strip()) if scheme.lower() == "bearer" else None
    if parts is None:
        raise ProblemError(
            401, "the Authorization header is not 'Bearer am_<key_id>_<secret>'", headers=CHALLENGE
        )
    key_id, secret = parts
    key = current_app.extensions[AUTH_EXTENSION].get(key_id)
    if key is None or not secret_matches(key, secret):
        raise ProblemError(401, "the API key is not valid", headers=CHALLENGE)
    if not key.active:
        raise ProblemError(401, f"API key {key_id} was revoked", headers=CHALLENGE)
    caller = Caller(key.key_id, key.role, key.investor_id, key.label)
    g.caller = caller
    return caller


def require(*roles: str) -> Callable[[View], View]:
    """Let a view run only for callers with one of ``roles`` (401 without a key, 403 otherwise)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            caller = authenticate()
            if caller.role not in roles:
                raise ProblemError(403, f"{article(caller.role + ' key')} may not {_action()}")
            return view(*args, **kwargs)

        guarded.roles = tuple(roles)  # type: ignore[attr-defined]  # read by the OpenAPI document
        return guarded  # type: ignore[return-value]

    return decorate


def current_caller() -> Caller:
    return authenticate()


def require_own_investor(investor_ids: Collection[str]) -> None:
    """An investor key acts only for its own investor: 403 for anyone else's id."""
    caller = authenticate()
    if caller.role != INVESTOR:
        return
    others = sorted({i for i in investor_ids if i != caller.investor_id})
    if others:
        raise ProblemError(403, f"an investor key may act only for investor {caller.investor_id}")


def require_role_for(option: str, *roles: str) -> None:
    """A request option (``include_removed``) that only some roles may use."""
    caller = authenticate()
    if caller.role not in roles:
        raise ProblemError(403, f"{option} is for {' and '.join(roles)} keys only")


def _action() -> str:
    return f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"
