"""Model versions in the store: register a trained artifact, activate one, list them.

Training writes the artifact file on its own disk (``instance/models/``) and keeps its bytes in
the store too (``model_artifacts``, in the transaction that registers the version), so an API
host that cannot see the trainer's disk can still load it. The table records where, on what data
(cutoff and event high-water mark) and with which parameters and metrics each was trained, the
SHA-256 of the file training wrote (so a file or bytes changed since are refused), and which
single version is active.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from data.schema import model_artifacts_table, model_versions_table

ACTIVE = "active"
RETIRED = "retired"
CANDIDATE = "candidate"
REJECTED = "rejected"
MODEL_STATUSES = (ACTIVE, RETIRED, CANDIDATE, REJECTED)


class UnknownModelVersionError(LookupError):
    """A model version that is not registered."""

    def __init__(self, version: str) -> None:
        super().__init__(f"unknown model version {version!r}")


@dataclass(frozen=True)
class ModelVersion:
    """One registered model version."""

    version: str
    created_at: datetime
    status: str
    artifact_path: str
    trained_until: datetime
    event_high_water: int
    params: dict[str, Any]
    metrics: dict[str, Any]
    note: str | None = None
    #: The artifact file's SHA-256 as written by training (None: registered before checksums).
    artifact_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "active": self.status == ACTIVE,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "trained_until": self.trained_until.isoformat(),
            "event_high_water": self.event_high_water,
            "artifact_path": self.artifact_path,
            "artifact_sha256": self.artifact_sha256,
            "params": self.params,
            "metrics": self.metrics,
            "note": self.note,
        }


def register_version(connection: Connection, version: ModelVersion, artifact: bytes | None = None) -> None:
    """Record a new version (its status as given; activate separately), with its artifact's bytes if given.

    The bytes are stored under ``version.artifact_sha256`` (required with them), in the same
    transaction as the version row, so no host sees a version whose bytes are not there yet.
    """
    if artifact is not None and version.artifact_sha256 is None:
        raise ValueError("an artifact's bytes are stored with the checksum training recorded")
    connection.execute(
        model_versions_table.insert().values(
            version=version.version,
            created_at=version.created_at,
            status=version.status,
            artifact_path=version.artifact_path,
            trained_until=version.trained_until,
            event_high_water=version.event_high_water,
            params=json.dumps(version.params, sort_keys=True),
            metrics=json.dumps(version.metrics, sort_keys=True),
            note=version.note,
            artifact_sha256=version.artifact_sha256,
        )
    )
    if artifact is not None:
        connection.execute(
            model_artifacts_table.insert().values(
                version=version.version, sha256=version.artifact_sha256, content=artifact
            )
        )


def stored_artifact(connection: Connection, version: str) -> tuple[str, bytes] | None:
    """The checksum and bytes kept in the store for ``version``, or None (registered without them)."""
    table = model_artifacts_table
    query = select(table.c.sha256, table.c.content).where(table.c.version == version)
    row = connection.execute(query).first()
    return None if row is None else (row.sha256, bytes(row.content))


def activate_version(connection: Connection, version: str) -> None:
    """Make ``version`` the only active one (the previous active one is retired)."""
    if get_version(connection, version) is None:
        raise UnknownModelVersionError(version)
    table = model_versions_table
    connection.execute(update(table).where(table.c.status == ACTIVE).values(status=RETIRED))
    connection.execute(update(table).where(table.c.version == version).values(status=ACTIVE))


def get_version(connection: Connection, version: str) -> ModelVersion | None:
    row = connection.execute(select(model_versions_table).where(model_versions_table.c.version == version)).first()
    return None if row is None else _from_row(row._mapping)


def active_version(connection: Connection) -> ModelVersion | None:
    """The version serving uses, or None before the first training."""
    row = connection.execute(
        select(model_versions_table).where(model_versions_table.c.status == ACTIVE)
    ).first()
    return None if row is None else _from_row(row._mapping)


def list_versions(connection: Connection) -> list[ModelVersion]:
    """Every version, newest first."""
    rows = connection.execute(
        select(model_versions_table).order_by(model_versions_table.c.created_at.desc())
    ).all()
    return [_from_row(row._mapping) for row in rows]


def _from_row(row: Any) -> ModelVersion:
    return ModelVersion(
        version=row["version"],
        created_at=row["created_at"],
        status=row["status"],
        artifact_path=row["artifact_path"],
        trained_until=row["trained_until"],
        event_high_water=int(row["event_high_water"]),
        params=json.loads(row["params"]),
        metrics=json.loads(row["metrics"]),
        note=row["note"],
        artifact_sha256=row["artifact_sha256"],
    )
