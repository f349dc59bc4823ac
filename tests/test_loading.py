"""Loading definitions: all or nothing; every problem names file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.errors import DefinitionError
from phancap.engine.loader import read_definitions, shipped_definitions_dir, store_definitions
from phancap.engine.machine import WorkflowMachine


@pytest.fixture
def defs_dir(tmp_path: Path) -> Path:
    target = tmp_path / "definitions"
    shutil.copytree(shipped_definitions_dir(), target)
    return target


def edit(path: Path, old: str, new: str) -> int:
    text_ = path.read_text(encoding="utf-8")
    assert old in text_, old
    at = text_.index(old)
    path.write_text(text_[:at] + new + text_[at + len(old):], encoding="utf-8")
    return text_[:at].count("\n") + 1


def counts(db: Database) -> tuple[int, ...]:
    with db.engine.connect() as conn:
        return tuple(int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
                     for t in ("unit", "plan", "plan_task"))


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("plans/HN-2025.yaml", "focal: HN-STP", "focal: HN-XYZ", "field 'focal': unknown unit 'HN-XYZ'"),
        ("plans/HN-2025.yaml", 'phrase: "Trước ngày 15/4/2025"', 'phrase: "Sớm nhất có thể"', 'unreadable deadline phrase "Sớm nhất có thể"'),
        ("plans/HN-2025.yaml", "workflow: shortened_procedure", "workflow: plan_task", "must be shortened_procedure"),
        ("plans/KT-2025.yaml", 'number: "3"', 'number: "2"', "duplicate task number"),
        ("plans/HN-2025.yaml", "due: 2025-04-14", "due: 2025-04-15", "reads as 2025-04-14, the file says 2025-04-15"),
        ("organisations/kontum.yaml", "kind: office", "kind: bureau", "field 'kind': 'bureau'"),
    ],
)
def test_bad_definitions_name_file_line_field_and_load_nothing(
    db: Database, workflows: dict[str, WorkflowMachine], defs_dir: Path, file: str, old: str, new: str, message: str
) -> None:
    before = counts(db)
    line = edit(defs_dir / file, old, new)
    with pytest.raises(DefinitionError) as caught:
        read_definitions(defs_dir, set(workflows))
    where = f"{defs_dir / file}:{line}:"
    assert any(p.startswith(where) and message in p for p in caught.value.problems), caught.value.problems
    assert counts(db) == before


def test_loading_twice_changes_nothing(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock) -> None:
    before = counts(db)
    store_definitions(db, read_definitions(None, set(workflows)), clock)
    assert counts(db) == before and before[1] == 2


def test_full_commune_list_loads_from_csv(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock,
                                          defs_dir: Path) -> None:
    """A registry's units_csv (code,name,kind,aliases) adds its rows; the Kon Tum district keeps it small."""
    before = counts(db)[0]
    csv = defs_dir / "organisations" / "kontum_communes.csv"
    rows = ["code,name,kind,aliases"] + [f"KT-X-MAU{i:03d},UBND xã Mẫu {i},commune," for i in range(30)]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    edit(defs_dir / "organisations" / "kontum.yaml", "units:\n", "units_csv: kontum_communes.csv\nunits:\n")
    defs = read_definitions(defs_dir, set(workflows))
    members = defs.registry.members(defs.registry.group("KT", "UBND các xã, thị trấn"))  # type: ignore[arg-type]
    assert len(members) == 30 + 5
    store_definitions(db, defs, clock)
    assert counts(db)[0] == before + 30
