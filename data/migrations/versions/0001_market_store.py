"""Market store: investors, packages and the event log, as in the data contract.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 05:35:56.353114
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('investors',
    sa.Column('investor_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('investor_type', sa.String(length=32), nullable=False),
    sa.Column('province', sa.String(length=32), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.Column('capital_cny', sa.Float(), nullable=False),
    sa.Column('min_ticket_cny', sa.Float(), nullable=True),
    sa.Column('max_ticket_cny', sa.Float(), nullable=True),
    sa.Column('preferred_asset_types', sa.Text(), nullable=True),
    sa.Column('preferred_provinces', sa.Text(), nullable=True),
    sa.Column('risk_appetite', sa.String(length=32), nullable=True),
    sa.Column('licensed_amc', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('investor_id', name=op.f('pk_investors'))
    )
    op.create_index(op.f('ix_investors_investor_type'), 'investors', ['investor_type'], unique=False)

    op.create_table('packages',
    sa.Column('package_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('seller_type', sa.String(length=32), nullable=False),
    sa.Column('asset_class', sa.String(length=32), nullable=False),
    sa.Column('asset_type', sa.String(length=32), nullable=False),
    sa.Column('province', sa.String(length=32), nullable=False),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('principal_cny', sa.Float(), nullable=False),
    sa.Column('claim_total_cny', sa.Float(), nullable=True),
    sa.Column('appraised_value_cny', sa.Float(), nullable=True),
    sa.Column('reserve_price_cny', sa.Float(), nullable=False),
    sa.Column('loan_count', sa.Integer(), nullable=False),
    sa.Column('collateral', sa.String(length=32), nullable=False),
    sa.Column('litigation_status', sa.String(length=32), nullable=False),
    sa.Column('dd_completeness', sa.Float(), nullable=False),
    sa.Column('listed_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('cross_border_eligible', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('package_id', name=op.f('pk_packages'))
    )
    op.create_index(op.f('ix_packages_listed_at'), 'packages', ['listed_at'], unique=False)
    op.create_index(op.f('ix_packages_status'), 'packages', ['status'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('investor_id', sa.String(length=64), nullable=False),
    sa.Column('package_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('amount_cny', sa.Float(), nullable=True),
    sa.Column('dwell_seconds', sa.Float(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['investor_id'], ['investors.investor_id'], name=op.f('fk_events_investor_id_investors')),
    sa.ForeignKeyConstraint(['package_id'], ['packages.package_id'], name=op.f('fk_events_package_id_packages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_events_event_id'))
    )
    op.create_index('ix_events_investor_id', 'events', ['investor_id'], unique=False)
    op.create_index('ix_events_package_id', 'events', ['package_id'], unique=False)



def downgrade() -> None:
    op.drop_index('ix_events_package_id', table_name='events')
    op.drop_index('ix_events_investor_id', table_name='events')

    op.drop_table('events')
    op.drop_index(op.f('ix_packages_status'), table_name='packages')
    op.drop_index(op.f('ix_packages_listed_at'), table_name='packages')

    op.drop_table('packages')
    op.drop_index(op.f('ix_investors_investor_type'), table_name='investors')

    op.drop_table('investors')
