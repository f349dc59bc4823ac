"""Báo cáo định kỳ: features/bao_cao.feature, on SQLite and PostgreSQL."""

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.bdd

scenarios("bao_cao.feature")
