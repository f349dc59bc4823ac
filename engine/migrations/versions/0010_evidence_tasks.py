"""evidence belongs to the task it was uploaded for (issue 11)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:00:00
"""
from __future__ import annotations

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: filled in by the change that needs it


def downgrade() -> None:
    pass
