"""Vòng đời nhiệm vụ: features/vong_doi_nhiem_vu.feature, on SQLite and PostgreSQL."""

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.bdd

scenarios("vong_doi_nhiem_vu.feature")
