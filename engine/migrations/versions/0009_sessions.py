"""server-side sessions and token revocation; login throttling per account and per source (issue 11)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:00:00
"""
from __future__ import annotations

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: filled in by the change that needs it


def downgrade() -> None:
    pass
