"""Alembic owns the schema: the migrations produce exactly what the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import phancap.engine.models  # noqa: F401
from phancap.engine.db import Database


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_upgrade_is_idempotent(db: Database) -> None:
    db.upgrade()
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is not None
