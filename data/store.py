"""Opening the market store: database URL, engine, schema migrations, session scope.

SQLite is the embedded default; PostgreSQL is chosen by URL. The schema is only ever created
or changed by the Alembic migrations in ``data/migrations``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DATABASE_URL_ENV = "ASSETMATCH_DATABASE_URL"
SQLITE_FILE_NAME = "assetmatch.sqlite"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class SchemaOutOfDateError(RuntimeError):
    """The database has not been migrated to the schema this code expects."""

    def __init__(self, current: str | None, expected: str) -> None:
        super().__init__(
            f"database schema is at revision {current or 'none (empty database)'}, "
            f"code expects {expected}: run `assetmatch db upgrade`"
        )


def default_sqlite_url(instance_dir: Path) -> str:
    """The embedded default: an SQLite file in the application's instance folder."""
    return f"sqlite:///{(instance_dir / SQLITE_FILE_NAME).resolve()}"


def resolve_database_url(instance_dir: Path, configured: str | None = None) -> str:
    """Pick the database URL: explicit config, then the environment, then embedded SQLite."""
    url = configured or os.environ.get(DATABASE_URL_ENV) or default_sqlite_url(instance_dir)
    return normalize_url(url)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (SQLAlchemy would otherwise want psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_store_engine(url: str) -> Engine:
    """Create an engine with the settings the store relies on for each backend."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _configure_sqlite_connection)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite_connection(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """Enforce foreign keys, and let readers run beside one writer (WAL)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to ``engine`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (all migrations by default)."""
    command.upgrade(alembic_config(engine), revision)


def downgrade_schema(engine: Engine, revision: str) -> None:
    """Roll the schema back to ``revision`` (``base`` removes every table)."""
    command.downgrade(alembic_config(engine), revision)


def head_revision() -> str:
    """The newest migration this code ships."""
    head = ScriptDirectory.from_config(alembic_config(create_engine("sqlite://"))).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database that was not migrated to this code's schema."""
    current, expected = current_revision(engine), head_revision()
    if current != expected:
        raise SchemaOutOfDateError(current, expected)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit if the block succeeds, roll back if it raises."""
    session = sessionmaker(bind=engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
