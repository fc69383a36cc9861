"""Matching rule sets, API keys, served lists, the market change journal, and packages' seller id.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("packages") as batch:
        batch.add_column(sa.Column("seller_id", sa.String(length=64), nullable=True))
    op.create_table(
        "rule_sets",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_rule_sets")),
    )
    op.create_index(op.f("ix_rule_sets_status"), "rule_sets", ["status"], unique=False)
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("investor_id", sa.String(length=64), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["investor_id"], ["investors.investor_id"], name=op.f("fk_api_keys_investor_id_investors")
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    op.create_table(
        "served_lists",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("served_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("items", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_served_lists")),
    )
    op.create_index(op.f("ix_served_lists_served_at"), "served_lists", ["served_at"], unique=False)
    op.create_index(op.f("ix_served_lists_subject_id"), "served_lists", ["subject_id"], unique=False)
    op.create_table(
        "market_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_changes")),
    )


def downgrade() -> None:
    op.drop_table("market_changes")
    op.drop_index(op.f("ix_served_lists_subject_id"), table_name="served_lists")
    op.drop_index(op.f("ix_served_lists_served_at"), table_name="served_lists")
    op.drop_table("served_lists")
    op.drop_table("api_keys")
    op.drop_index(op.f("ix_rule_sets_status"), table_name="rule_sets")
    op.drop_table("rule_sets")
    with op.batch_alter_table("packages") as batch:
        batch.drop_column("seller_id")
