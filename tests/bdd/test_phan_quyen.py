"""Phân quyền: features/phan_quyen.feature, on SQLite and PostgreSQL."""

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.bdd

scenarios("phan_quyen.feature")
