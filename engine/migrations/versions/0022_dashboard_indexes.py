"""indexes for the dashboard of one who follows a whole plan (engine/dashboard.py): (plan, monitor) tells in two
index probes whether every instance names the plan's monitor; (plan, deadline) gives its nearest overdue and
due-soon tasks without reading the plan's instances (a national plan has a million); (authority), beside the
existing (focal), lets a focal agency's or an approving authority's dashboard read only the tasks it tracks

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 04:50:00
"""
from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_task_instance_plan_monitor", "task_instance", ["plan", "monitor"])
    op.create_index("ix_task_instance_plan_deadline", "task_instance", ["plan", "deadline"])
    op.create_index("ix_task_instance_authority", "task_instance", ["authority"])


def downgrade() -> None:
    op.drop_index("ix_task_instance_authority", table_name="task_instance")
    op.drop_index("ix_task_instance_plan_deadline", table_name="task_instance")
    op.drop_index("ix_task_instance_plan_monitor", table_name="task_instance")
