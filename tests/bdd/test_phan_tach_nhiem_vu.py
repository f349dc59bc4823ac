"""Phân tách nhiệm vụ: features/phan_tach_nhiem_vu.feature, on SQLite and PostgreSQL."""

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.bdd

scenarios("phan_tach_nhiem_vu.feature")
