"""A corpus of malformed workflow, organisation and plan files (tests/bad_definitions/): each is
refused with an error naming its file, line and field, and nothing reaches the database.
Each file's first line says what is expected: `# expect: LINE: text`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.errors import DefinitionError
from phancap.engine.loader import read_definitions, shipped_definitions_dir, store_definitions
from phancap.engine.machine import WorkflowMachine
from phancap.engine.workflow import parse_workflow

CORPUS = Path(__file__).parent / "bad_definitions"
FILES = sorted(CORPUS.glob("*.yaml"))


def expectation(path: Path) -> tuple[int, str]:
    m = re.match(r"# expect: (\d+): (.+)", path.read_text(encoding="utf-8").splitlines()[0])
    assert m, f"{path}: first line must be '# expect: LINE: text'"
    return int(m.group(1)), m.group(2)


def problems_for(path: Path, tmp_path: Path, workflows: set[str]) -> tuple[Path, list[str]]:
    if path.name.startswith("wf_"):
        with pytest.raises(DefinitionError) as caught:
            parse_workflow(path)
        return path, caught.value.problems
    folder = tmp_path / "definitions"
    shutil.copytree(shipped_definitions_dir(), folder, ignore=shutil.ignore_patterns("calendar", "__*"))
    region = "organisations" if path.name.startswith("org_") else "plans"
    body = path.read_text(encoding="utf-8")
    target_name = {"organisations": "hanoi.yaml" if "registry: HN" in body or "HN-UBND" in body else "kontum.yaml",
                   "plans": "HN-2025.yaml" if "code: HN-2025" in body else "KT-2025.yaml"}[region]
    target = folder / region / target_name
    shutil.copy(path, target)
    with pytest.raises(DefinitionError) as caught:
        read_definitions(folder, workflows)
    return target, caught.value.problems


def test_the_corpus_is_large_enough() -> None:
    kinds = {p.name.split("_")[0] for p in FILES}
    assert len(FILES) >= 30 and kinds == {"wf", "org", "plan"}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_malformed_file_is_refused_with_file_line_and_field(path: Path, tmp_path: Path,
                                                            workflows: dict[str, WorkflowMachine]) -> None:
    line, message = expectation(path)
    where, problems = problems_for(path, tmp_path, set(workflows))
    assert any(p.startswith(f"{where}:{line}:") and message in p for p in problems), problems


def test_nothing_is_loaded_from_a_bad_set(db: Database, workflows: dict[str, WorkflowMachine], tmp_path: Path) -> None:
    def counts() -> tuple[int, ...]:
        with db.engine.connect() as conn:
            return tuple(int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
                         for t in ("unit", "unit_group", "plan", "plan_task"))

    before = counts()
    for path in [p for p in FILES if not p.name.startswith("wf_")]:
        with pytest.raises(DefinitionError):
            _, problems = problems_for(path, tmp_path / path.stem, set(workflows))
            store_definitions(db, read_definitions(tmp_path / path.stem / "definitions", set(workflows)), Clock.parse("2025-04-01"))
    assert counts() == before
