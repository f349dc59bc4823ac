"""Quy trình rút gọn: features/quy_trinh_rut_gon.feature, on SQLite and PostgreSQL."""

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.bdd

scenarios("quy_trinh_rut_gon.feature")
