"""SQLAlchemy tables of the market store.

Columns follow ``data/contract.py`` one to one, so an import is a straight copy of validated
frames. All timestamps are stored as naive UTC; lists as the contract's ``;``-joined text.
Amounts are double precision: they feed models and ranking, not an accounting ledger.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 64
ENUM_LENGTH = 32

# An auto-incrementing 64-bit key; SQLite only auto-increments a plain INTEGER primary key.
AutoIncrementKey = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class InvestorRow(Base):
    """One investor, as in ``investors.csv``."""

    __tablename__ = "investors"

    investor_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    investor_type: Mapped[str] = mapped_column(String(ENUM_LENGTH), index=True)
    province: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    registered_at: Mapped[datetime] = mapped_column(DateTime)
    capital_cny: Mapped[float] = mapped_column(Float)
    min_ticket_cny: Mapped[float | None] = mapped_column(Float)
    max_ticket_cny: Mapped[float | None] = mapped_column(Float)
    preferred_asset_types: Mapped[str | None] = mapped_column(Text)
    preferred_provinces: Mapped[str | None] = mapped_column(Text)
    risk_appetite: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    licensed_amc: Mapped[bool] = mapped_column(Boolean)


class PackageRow(Base):
    """One listing, as in ``packages.csv``; ``description`` may hold debtors' personal data."""

    __tablename__ = "packages"

    package_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    seller_type: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    asset_class: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    asset_type: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    province: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    city: Mapped[str | None] = mapped_column(Text)
    principal_cny: Mapped[float] = mapped_column(Float)
    claim_total_cny: Mapped[float | None] = mapped_column(Float)
    appraised_value_cny: Mapped[float | None] = mapped_column(Float)
    reserve_price_cny: Mapped[float] = mapped_column(Float)
    loan_count: Mapped[int] = mapped_column(Integer)
    collateral: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    litigation_status: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    dd_completeness: Mapped[float] = mapped_column(Float)
    listed_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    closes_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(ENUM_LENGTH), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    cross_border_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    seller_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))


class EventRow(Base):
    """One investor action on a package: the feedback log.

    ``id`` grows with every accepted event, so it doubles as the high-water mark that tells a
    retrain whether anything new arrived. ``event_id`` is the idempotency key (derived from
    the row's content when the source gave none).
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(AutoIncrementKey, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    investor_id: Mapped[str] = mapped_column(ForeignKey("investors.investor_id"))
    package_id: Mapped[str] = mapped_column(ForeignKey("packages.package_id"))
    event_type: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    amount_cny: Mapped[float | None] = mapped_column(Float)
    dwell_seconds: Mapped[float | None] = mapped_column(Float)
    request_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))

    __table_args__ = (
        Index("ix_events_investor_id", "investor_id"),
        Index("ix_events_package_id", "package_id"),
    )


investors_table = InvestorRow.__table__
packages_table = PackageRow.__table__
events_table = EventRow.__table__


class ModelVersionRow(Base):
    """One trained model: where its artifact is, what it was trained on, how it scored.

    Exactly one version is ``active`` at a time: the one serving uses.
    """

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(ENUM_LENGTH), index=True)
    artifact_path: Mapped[str] = mapped_column(Text)
    trained_until: Mapped[datetime] = mapped_column(DateTime)
    event_high_water: Mapped[int] = mapped_column(BigInteger)
    params: Mapped[str] = mapped_column(Text)
    metrics: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the artifact file, recorded at training; None for versions registered before it was.
    artifact_sha256: Mapped[str | None] = mapped_column(String(64))


model_versions_table = ModelVersionRow.__table__


class ModelArtifactRow(Base):
    """The bytes of a model version's artifact, so a host that cannot see the trainer's disk can serve it.

    Written in the transaction that registers the version; ``sha256`` is the checksum training
    recorded, which a serving host checks the bytes (and its local cache file) against.
    """

    __tablename__ = "model_artifacts"

    version: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("model_versions.version"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)


model_artifacts_table = ModelArtifactRow.__table__


class RuleSetRow(Base):
    """One version of the matching rule set: the document, who applied it, when and why.

    Versions are never edited or deleted, so the table is the audit trail; exactly one version
    is ``active``.
    """

    __tablename__ = "rule_sets"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(ID_LENGTH * 2))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(ENUM_LENGTH), index=True)
    document: Mapped[str] = mapped_column(Text)


rule_sets_table = RuleSetRow.__table__


class ApiKeyRow(Base):
    """An API key: only its SHA-256 digest is stored; ``key_id`` is the public part of the key."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(ID_LENGTH * 2))
    role: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    investor_id: Mapped[str | None] = mapped_column(ForeignKey("investors.investor_id"))
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


api_keys_table = ApiKeyRow.__table__


class ServedListRow(Base):
    """What one recommendation response served, so feedback carrying its ``request_id`` can be
    attributed to the model and rule-set versions that produced it."""

    __tablename__ = "served_lists"

    request_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    served_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    kind: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    subject_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    model_version: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    items: Mapped[str] = mapped_column(Text)


served_lists_table = ServedListRow.__table__


class MarketChangeRow(Base):
    """A journal of listing and investor upserts made while serving.

    Every serving process reads the rows after the last id it has seen, so a listing added
    through one process is recommendable from all of them without a retrain or a restart.
    """

    __tablename__ = "market_changes"

    id: Mapped[int] = mapped_column(AutoIncrementKey, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(ENUM_LENGTH))  # "package" or "investor"
    entity_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    changed_at: Mapped[datetime] = mapped_column(DateTime)


market_changes_table = MarketChangeRow.__table__


class ConsoleSessionRow(Base):
    """A signed-in console session: the cookie holds a random id, the store only its SHA-256 digest.

    Deleting the row ends the session on every process at once (sign-out, key revocation),
    which a signed cookie on its own cannot do: it stays valid until it expires.
    """

    __tablename__ = "console_sessions"

    session_hash: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.key_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


console_sessions_table = ConsoleSessionRow.__table__


class ServingProcessRow(Base):
    """What one serving process (a gunicorn worker, a development server) serves, as it last said.

    Each process writes its row when the model or rule set it serves changes and every few
    seconds besides, so the console can show every process's versions, not only its own.
    """

    __tablename__ = "serving_processes"

    process_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    seen_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    model_version: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    problem: Mapped[str | None] = mapped_column(Text)


serving_processes_table = ServingProcessRow.__table__
