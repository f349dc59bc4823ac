"""failed logins: one row per failed attempt, counted per user name and address

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('user_name', sa.String(length=64), nullable=False),
        sa.Column('ip', sa.String(length=64), nullable=False),
        sa.Column('at', sa.String(length=32), nullable=False),
    )
    op.create_index('ix_login_failure_key', 'login_failure', ['user_name', 'ip', 'at'])


def downgrade() -> None:
    op.drop_index('ix_login_failure_key', table_name='login_failure')
    op.drop_table('login_failure')
