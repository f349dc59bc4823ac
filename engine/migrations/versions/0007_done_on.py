"""done_on: the day an instance entered a done-category state, the base of done on time / done late

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The shipped workflows' done states (plan task approved, report submitted or accepted, difficulty
# answered); a migration must not depend on the YAML of the day, so they are named here.
DONE = (("plan_task", "approved"), ("shortened_procedure", "approved"), ("periodic_report", "submitted"),
        ("periodic_report", "accepted"), ("difficulty", "answered"))


def upgrade() -> None:
    op.add_column("task_instance", sa.Column("done_on", sa.Date(), nullable=True))
    bind = op.get_bind()
    # state_since is UTC text (stamp()); the official day is Việt Nam's (UTC+7).
    local_day = ("date(substr(state_since, 1, 19), '+7 hours')" if bind.dialect.name == "sqlite" else
                 "CAST(CAST(substr(state_since, 1, 19) AS timestamp) + interval '7 hours' AS date)")
    pairs = " OR ".join(f"(workflow = '{w}' AND state = '{s}')" for w, s in DONE)
    op.execute(f"UPDATE task_instance SET done_on = {local_day} WHERE {pairs}")


def downgrade() -> None:
    with op.batch_alter_table("task_instance") as batch:
        batch.drop_column("done_on")
