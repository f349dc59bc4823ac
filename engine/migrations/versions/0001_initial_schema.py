"""initial schema: registry, plans, task instances, append-only audit

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 08:33:08.511604
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unit',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('aliases', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_region'), ['region'], unique=False)

    op.create_table('unit_group',
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('aliases', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('members', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('region', 'name')
    )
    op.create_table('app_user',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('roles', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['unit'], ['unit.code'], ),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('plan',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('authority', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('monitor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('justice', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('definition', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('loaded_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['authority'], ['unit.code'], ),
    sa.ForeignKeyConstraint(['issuer'], ['unit.code'], ),
    sa.ForeignKeyConstraint(['justice'], ['unit.code'], ),
    sa.ForeignKeyConstraint(['monitor'], ['unit.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('plan_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('parent', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('heading', sa.Boolean(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('focal', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('lead', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('lead_text', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('coordinators', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('coordinators_text', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('product', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('deadline_phrase', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('deadline_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('deadline_due', sa.Date(), nullable=True),
    sa.Column('deadline_start', sa.Date(), nullable=True),
    sa.Column('workflow', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('procedure_text', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('complex', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['plan'], ['plan.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan', 'number')
    )
    op.create_table('task_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('task', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('focal', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('authority', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('monitor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('justice', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('coordinators', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('workflow', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('deadline_phrase', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('state_due', sa.Date(), nullable=True),
    sa.Column('complex', sa.Boolean(), nullable=False),
    sa.Column('state_since', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('overdue_at', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('last_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['plan'], ['plan.code'], ),
    sa.ForeignKeyConstraint(['unit'], ['unit.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan', 'task', 'unit')
    )
    with op.batch_alter_table('task_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_instance_focal'), ['focal'], unique=False)
        batch_op.create_index('ix_task_instance_open_due', ['state', 'deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_instance_plan'), ['plan'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_instance_unit'), ['unit'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('from_state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('to_state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('capacity', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['task_instance.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('task_id', 'seq')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)

    _append_only_audit()


def _append_only_audit() -> None:
    """Audit rows are never edited or deleted: the database itself refuses it.
    PostgreSQL also gets sha256_hex(), which SQLite connections register in Python."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION sha256_hex(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT "
            "AS $$ SELECT encode(sha256(convert_to(t, 'UTF8')), 'hex') $$"
        )
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit events are append-only (%)', TG_OP; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{action.lower()} BEFORE {action} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, 'audit events are append-only ({action})'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
        op.execute("DROP FUNCTION IF EXISTS sha256_hex(text)")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor'))

    op.drop_table('audit_event')
    with op.batch_alter_table('task_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_instance_unit'))
        batch_op.drop_index(batch_op.f('ix_task_instance_plan'))
        batch_op.drop_index('ix_task_instance_open_due')
        batch_op.drop_index(batch_op.f('ix_task_instance_focal'))

    op.drop_table('task_instance')
    op.drop_table('plan_task')
    op.drop_table('plan')
    op.drop_table('app_user')
    op.drop_table('unit_group')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_region'))

    op.drop_table('unit')
