"""server-side sessions and token revocation; login throttling per account and per source (issue 11)

auth_session: one row per session cookie or bearer token (the id's SHA-256), checked on every request;
deleting a user's rows ends all their sessions at once. app_user.active: a deactivated user has none.
login_throttle: one row per account or source address with its recent failures and the real time
(seconds since the epoch) before which it may not try again; replaces login_failure.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_session",
        sa.Column("id", sa.String(length=64), primary_key=True),  # sha256 hex of the id the cookie/token carries
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),  # cookie | token
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.String(length=32), nullable=False),
    )
    op.create_index("ix_auth_session_user_name", "auth_session", ["user_name"])
    op.add_column("app_user", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=100), primary_key=True),  # account:NAME or source:ADDRESS
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.Float(), nullable=False),  # real time, epoch seconds
        sa.Column("next_allowed", sa.Float(), nullable=False),
    )
    op.create_index("ix_login_throttle_last_failure", "login_throttle", ["last_failure"])
    op.drop_index("ix_login_failure_key", table_name="login_failure")
    op.drop_table("login_failure")


def downgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
    )
    op.create_index("ix_login_failure_key", "login_failure", ["user_name", "ip", "at"])
    op.drop_index("ix_login_throttle_last_failure", table_name="login_throttle")
    op.drop_table("login_throttle")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("active")
    op.drop_index("ix_auth_session_user_name", table_name="auth_session")
    op.drop_table("auth_session")
