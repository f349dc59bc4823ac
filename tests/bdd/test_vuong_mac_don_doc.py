"""Vướng mắc, đôn đốc: features/vuong_mac_don_doc.feature, on SQLite and PostgreSQL."""

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.bdd

scenarios("vuong_mac_don_doc.feature")
