"""plan drafts: plans imported from their text, awaiting review, mapping, validation and activation

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("source_text", sa.String(), nullable=False),
        sa.Column("plan_json", sa.String(), nullable=False),
        sa.Column("mapping_json", sa.String(), nullable=False),
        sa.Column("report_json", sa.String(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plan_draft_code", "plan_draft", ["code"])


def downgrade() -> None:
    op.drop_index("ix_plan_draft_code", table_name="plan_draft")
    op.drop_table("plan_draft")
