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
    assert {"phancap/features/vong_doi_nhiem_vu.feature", "phancap/features/ke_thua_don_vi.feature"} <= set(names)
    # the installed copy, away from any clone, finds its specification (the /dac-ta page's source)
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    probe = ("import phancap, sys; from phancap.api.routes.spec import load_spec; "
             "from phancap.api.settings import ApiSettings; assert phancap.__file__.startswith(sys.argv[1]), phancap.__file__; "
             "spec = load_spec(ApiSettings(secret_key='x' * 40)); print(spec.available, len(spec.features))")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "site")], capture_output=True, text=True,
                          cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", str(len(list((ROOT / "features").glob("*.feature"))))]
