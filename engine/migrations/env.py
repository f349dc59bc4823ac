"""Alembic environment: the engine's own connection or DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import phancap.engine.models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from phancap.engine.db import Database

        database = Database.from_settings()
        with database.engine.begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
