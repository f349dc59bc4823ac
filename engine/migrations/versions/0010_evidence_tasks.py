"""evidence belongs to the task it was uploaded for (issue 11)

One row per upload (task, hash, uploader, unit, time, name, type, size). Files cited by events written
before this revision stay downloadable by those who see the citing tasks: each (task, hash) an older
event cites becomes a row with source 'audit' (the event's actor, unit and time; name, type and size
unknown to the database). From here on, only uploads add rows.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:00:00
"""
from __future__ import annotations

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SHA256 = re.compile(r"^[0-9a-f]{64}$")
BATCH = 1000


def upgrade() -> None:
    upload = op.create_table(
        "evidence_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploader", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("media_type", sa.String(length=128), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["task_instance.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_evidence_upload_sha256", "evidence_upload", ["sha256"])
    op.create_index("ix_evidence_upload_task_sha", "evidence_upload", ["task_id", "sha256"])
    # Backfill: read in Python (the JSON functions differ between SQLite and PostgreSQL), first citation wins.
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT task_id, actor, unit, at, evidence FROM audit_event "
                                "WHERE evidence LIKE '%sha256%' ORDER BY task_id, seq")).all()
    seen: set[tuple[int, str]] = set()
    batch: list[dict[str, object]] = []
    for task_id, actor, unit, at, evidence in rows:
        try:
            sha = json.loads(evidence).get("sha256")
        except (ValueError, AttributeError):
            continue  # a malformed event is the audit verifier's to report, not this migration's
        if not isinstance(sha, str) or not SHA256.match(sha) or (task_id, sha) in seen:
            continue
        seen.add((task_id, sha))
        batch.append({"task_id": task_id, "sha256": sha, "uploader": actor, "unit": unit, "at": at,
                      "name": None, "media_type": None, "size": None, "source": "audit"})
        if len(batch) >= BATCH:
            op.bulk_insert(upload, batch)
            batch = []
    if batch:
        op.bulk_insert(upload, batch)


def downgrade() -> None:
    op.drop_index("ix_evidence_upload_task_sha", table_name="evidence_upload")
    op.drop_index("ix_evidence_upload_sha256", table_name="evidence_upload")
    op.drop_table("evidence_upload")
