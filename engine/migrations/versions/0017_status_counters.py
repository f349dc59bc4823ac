"""status counters (issue 16): how many task instances share each time-independent input of the official
category, per unit (status_counter), per plan task (task_status_counter) and per done day (done_day_counter),
kept by triggers on task_instance, so every write path updates them in its own transaction

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:00:00
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# Frozen copies of engine/counters.py COUNTERS (a migration never changes with the engine): table,
# key columns with their expression over a task_instance row `r`, and the rows counted.
NO_DAY = "9999-12-31"  # stands for "no deadline" / "not done" in a key column (a key has no NULL)
_LATE = "(r.done_on IS NOT NULL AND r.deadline IS NOT NULL AND r.done_on > r.deadline)"


def _counters(day: str) -> list[tuple[str, list[tuple[str, str]], str]]:
    plain = [("plan", "r.plan"), ("kind", "r.kind")]
    status = [("workflow", "r.workflow"), ("state", "r.state"), ("deadline", f"COALESCE(r.deadline, {day})"),
              ("done_late", _LATE)]
    return [
        ("status_counter", [*plain, ("unit", "r.unit"), *status], "TRUE"),
        ("task_status_counter", [*plain, ("task", "r.task"), *status], "TRUE"),
        ("done_day_counter", [*plain, ("done_on", "r.done_on")], "r.done_on IS NOT NULL"),
    ]


WATCHED = ("plan", "kind", "unit", "task", "workflow", "state", "deadline", "done_on")


def _create_tables() -> None:
    """Each counter's key is its primary key: the upserts below conflict on it."""
    text = sqlmodel.sql.sqltypes.AutoString

    def status() -> list[sa.Column[Any]]:
        return [sa.Column("workflow", text(length=64), nullable=False), sa.Column("state", text(length=32), nullable=False),
                sa.Column("deadline", sa.Date(), nullable=False), sa.Column("done_late", sa.Boolean(), nullable=False)]

    for table, by, length, rest in (("status_counter", "unit", 64, status), ("task_status_counter", "task", 32, status),
                                    ("done_day_counter", "done_on", 0, None)):
        by_column = sa.Column(by, sa.Date() if not length else text(length=length), nullable=False)
        columns = [sa.Column("plan", text(length=64), nullable=False), sa.Column("kind", text(length=16), nullable=False),
                   by_column, *(rest() if rest else [])]
        op.create_table(table, *columns, sa.Column("n", sa.Integer(), nullable=False),
                        sa.PrimaryKeyConstraint(*(c.name for c in columns)))


def _pg_apply(table: str, keys: list[tuple[str, str]], where: str, sources: list[tuple[str, int]]) -> str:
    """One set-based upsert of the net change a statement made (rows leaving a key -1, entering +1);
    in key order, so concurrent statements lock counter rows in the same order."""
    names = ", ".join(k for k, _ in keys)
    parts = " UNION ALL ".join(f"SELECT {', '.join(f'{e} AS {k}' for k, e in keys)}, {sign} AS d FROM {src} r WHERE {where}"
                               for src, sign in sources)
    return (f"INSERT INTO {table} AS c ({names}, n) SELECT {names}, SUM(d) FROM ({parts}) x GROUP BY {names} "
            f"HAVING SUM(d) <> 0 ORDER BY {names} ON CONFLICT ({names}) DO UPDATE SET n = c.n + EXCLUDED.n;")


_PG_OPS = {"insert": [("new_rows", 1)], "delete": [("old_rows", -1)], "update": [("old_rows", -1), ("new_rows", 1)]}
_PG_REFERENCING = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows",
                   "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}


def _pg_upgrade() -> None:
    for action, sources in _PG_OPS.items():
        body = " ".join(_pg_apply(t, keys, where, sources) for t, keys, where in _counters(f"DATE '{NO_DAY}'"))
        op.execute(f"CREATE OR REPLACE FUNCTION status_counters_{action}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {body} RETURN NULL; END $$")
        op.execute(f"CREATE TRIGGER status_counters_{action} AFTER {action.upper()} ON task_instance "
                   f"REFERENCING {_PG_REFERENCING[action]} FOR EACH STATEMENT EXECUTE FUNCTION status_counters_{action}()")


def _sqlite_row(table: str, keys: list[tuple[str, str]], where: str, row: str, sign: int) -> str:
    names = ", ".join(k for k, _ in keys)
    values = ", ".join(e.replace("r.", f"{row}.") for _, e in keys)
    cond = where.replace("r.", f"{row}.")
    if sign < 0:
        match = " AND ".join(f"{k} = {e.replace('r.', f'{row}.')}" for k, e in keys)
        return f"UPDATE {table} SET n = n - 1 WHERE {match} AND {cond};"
    return (f"INSERT INTO {table} ({names}, n) SELECT {values}, 1 WHERE {cond} "
            f"ON CONFLICT ({names}) DO UPDATE SET n = n + 1;")


def _sqlite_upgrade() -> None:
    counters = _counters(f"'{NO_DAY}'")
    insert = " ".join(_sqlite_row(t, k, w, "NEW", 1) for t, k, w in counters)
    delete = " ".join(_sqlite_row(t, k, w, "OLD", -1) for t, k, w in counters)
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    op.execute(f"CREATE TRIGGER status_counters_insert AFTER INSERT ON task_instance BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER status_counters_delete AFTER DELETE ON task_instance BEGIN {delete} END")
    op.execute(f"CREATE TRIGGER status_counters_update AFTER UPDATE OF {', '.join(WATCHED)} ON task_instance "
               f"WHEN {changed} BEGIN {delete} {insert} END")


def upgrade() -> None:
    _create_tables()
    pg = op.get_bind().dialect.name == "postgresql"
    for table, keys, where in _counters(f"DATE '{NO_DAY}'" if pg else f"'{NO_DAY}'"):
        names = ", ".join(k for k, _ in keys)
        exprs = ", ".join(e for _, e in keys)
        op.execute(f"INSERT INTO {table} ({names}, n) SELECT {exprs}, COUNT(*) FROM task_instance r WHERE {where} "
                   f"GROUP BY {exprs}")
    if pg:
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for action in _PG_OPS:
        op.execute(f"DROP TRIGGER IF EXISTS status_counters_{action}" + (" ON task_instance" if pg else ""))
        if pg:
            op.execute(f"DROP FUNCTION IF EXISTS status_counters_{action}()")
    for table in ("done_day_counter", "task_status_counter", "status_counter"):
        op.drop_table(table)
