"""A live server (two uvicorn workers) over the `seeded` database, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from phancap.engine.runtime import TaskEngine
from tests.reliability.live import Server


@pytest.fixture
def server(seeded: TaskEngine, database_url: str, tmp_path: Path) -> Iterator[Server]:
    live = Server(database_url, tmp_path)
    live.start()
    try:
        yield live
    finally:
        live.kill()
