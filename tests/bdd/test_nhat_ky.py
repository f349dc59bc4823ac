"""Nhật ký: features/nhat_ky.feature, on SQLite and PostgreSQL."""

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.bdd

scenarios("nhat_ky.feature")
