"""Thời hạn, gia hạn, thu hồi: features/thoi_han.feature, on SQLite and PostgreSQL."""

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.bdd

scenarios("thoi_han.feature")
