"""Mọi nhiệm vụ của hai kế hoạch: features/nhiem_vu_ke_hoach.feature, on SQLite and PostgreSQL.

These scenarios only read what instantiating the plans produced, so they share one seeded
database per backend (`shared_seeded`) instead of building one per scenario."""

import pytest
from pytest_bdd import scenarios

from phancap.engine.runtime import TaskEngine

pytestmark = pytest.mark.bdd


@pytest.fixture
def backend(shared_seeded: TaskEngine) -> TaskEngine:
    return shared_seeded


scenarios("nhiem_vu_ke_hoach.feature")
