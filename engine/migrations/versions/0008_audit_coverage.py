"""the audit chain covers every field that decides who acts and when (issue 11)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:00:00
"""
from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: filled in by the change that needs it


def downgrade() -> None:
    pass
