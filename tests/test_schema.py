"""Alembic owns the schema: the migrations produce exactly what the models describe."""

from __future__ import annotations

import re
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import phancap.engine.models  # noqa: F401
from phancap.engine.db import Database

# PostgreSQL: audit_event is partitioned by month (migration 0019, engine/audit_partitions.py); its partitions
# are not models, and its unique (task_id, seq) holds the partition key too, as PostgreSQL requires
PARTITION = re.compile(r"audit_event_(y\d{4}m\d{2}|default)")


def _partitioning(entry: Any) -> bool:
    kind, item = entry[0], entry[1]
    table = getattr(item, "table", item)
    if PARTITION.fullmatch(str(getattr(table, "name", ""))):
        return True
    columns = [c.name for c in getattr(item, "columns", [])]
    return kind in ("add_constraint", "remove_constraint") and str(table.name) == "audit_event" and \
        columns in (["task_id", "seq"], ["task_id", "seq", "at"])


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    if not db.is_sqlite:
        diff = [d for d in diff if not (isinstance(d, tuple) and _partitioning(d))]
    assert diff == []


def test_upgrade_is_idempotent(db: Database) -> None:
    db.upgrade()
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is not None
