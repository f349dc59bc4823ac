"""unit changes scheduled ahead: a succession or rename with a later effective date waits here until the
deadline sweep applies it on that day (issue 13)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 11:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("units", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("successor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scheduled_at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("result", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_unit_change_effective"), "unit_change", ["effective"], unique=False)
    op.create_index(op.f("ix_unit_change_status"), "unit_change", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_unit_change_status"), table_name="unit_change")
    op.drop_index(op.f("ix_unit_change_effective"), table_name="unit_change")
    op.drop_table("unit_change")
