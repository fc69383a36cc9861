"""Model versions: trained artifacts, their metrics, and which one serves.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 06:21:43.035180
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('model_versions',
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('artifact_path', sa.Text(), nullable=False),
    sa.Column('trained_until', sa.DateTime(), nullable=False),
    sa.Column('event_high_water', sa.BigInteger(), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('metrics', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_model_versions'))
    )
    op.create_index(op.f('ix_model_versions_status'), 'model_versions', ['status'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_model_versions_status'), table_name='model_versions')

    op.drop_table('model_versions')
