"""The namespace requirement: a fresh `pip install .` adds only `phancap` (and its dist-info)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # builds the wheel
def test_the_wheel_holds_only_phancap(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=600)
    wheel = next(tmp_path.glob("phancap-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"phancap", next(t for t in top if t.endswith(".dist-info"))}, sorted(top)
    assert {"phancap/engine/runtime.py", "phancap/api/app.py", "phancap/workflows/plan_task.yaml"} <= set(names)
