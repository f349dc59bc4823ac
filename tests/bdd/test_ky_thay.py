"""Ký thay: features/ky_thay.feature, on SQLite and PostgreSQL."""

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.bdd

scenarios("ky_thay.feature")
