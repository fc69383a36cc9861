"""Model versions record the SHA-256 of their artifact file, so a changed file is refused.

Versions registered before this revision keep no checksum (NULL); their arrays are still checked
when they are activated or loaded.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(sa.Column("artifact_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("artifact_sha256")
