"""Importing the seed plan texts gives the hand-written definitions (issue 7, Import).

Each seed text (tests/seeds/) is imported and compared field by field with
definitions/plans/<code>.yaml, strings whitespace-normalised; a failure lists every difference.
The few things the text cannot give are listed in KNOWN_DIFFERENCES with the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from phancap.engine.errors import DefinitionError
from phancap.engine.importer import import_plan_text, write_plan_yaml
from phancap.engine.loader import read_definitions
from phancap.engine.organisations import Registry, check_groups, read_registry

REPO = Path(__file__).resolve().parents[1]
SEEDS = {"HN-2025": "000_22f93b5388a59456.txt", "KT-2025": "004_b5240fd6c432fd52.txt"}

# (plan, path in the definition) -> why the text cannot give the hand-written value
KNOWN_DIFFERENCES = {
    ("HN-2025", "reporting[2].name"): "a label: the hand-written name calls the Sở Tư pháp, Tài chính and KH&CN "
                                      "'các Sở đầu mối'; the importer names them as the text does",
    ("HN-2025", "reporting[3].name"): "same as reporting[2].name",
    ("KT-2025", "reporting[0].name"): "a label: the text says 'báo cáo UBND huyện kết quả thực hiện'; "
                                      "'… Kế hoạch' was added by hand",
}


@pytest.fixture(scope="module")
def registry() -> Registry:
    reg, problems = Registry(), []
    for path in sorted((REPO / "definitions" / "organisations").glob("*.yaml")):
        read_registry(path, reg, problems)
    check_groups(reg, problems)
    assert not problems
    return reg


def seed_text(code: str) -> str:
    return (REPO / "tests" / "seeds" / SEEDS[code]).read_text(encoding="utf-8")


def normalised(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    return value


def differences(want: Any, got: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for key in list(want) + [k for k in got if k not in want]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in got or key not in want:
                out.append((sub, want.get(key, "<absent>"), got.get(key, "<absent>")))
            else:
                out += differences(want[key], got[key], sub)
        return out
    if isinstance(want, list) and isinstance(got, list) and all(isinstance(x, dict) for x in want + got):
        out = [(f"{path}[{i}]", w, "<absent>") for i, w in enumerate(want[len(got):], len(got))]
        out += [(f"{path}[{i}]", "<absent>", g) for i, g in enumerate(got[len(want):], len(want))]
        for i, (w, g) in enumerate(zip(want, got)):
            out += differences(w, g, f"{path}[{i}]")
        return out
    return [] if normalised(want) == normalised(got) else [(path, want, got)]


@pytest.fixture(scope="module")
def imported(registry):
    return {code: import_plan_text(seed_text(code), source=SEEDS[code], registry=registry, code=code) for code in SEEDS}


@pytest.mark.parametrize("code", sorted(SEEDS))
def test_seed_round_trip_equals_the_hand_written_definition(code, imported):
    want = yaml.safe_load((REPO / "definitions" / "plans" / f"{code}.yaml").read_text(encoding="utf-8"))
    got = imported[code].plan
    diffs = [d for d in differences(want, got) if (code, d[0]) not in KNOWN_DIFFERENCES]
    report = "\n".join(f"  {p}:\n    hand-written: {w!r}\n    imported:     {g!r}" for p, w, g in diffs)
    assert not diffs, f"{code}: {len(diffs)} difference(s) from definitions/plans/{code}.yaml\n{report}"


@pytest.mark.parametrize("code", sorted(SEEDS))
def test_known_differences_are_still_differences(code, imported):
    """A listed difference that disappeared must be removed from the list (it would hide a regression)."""
    want = yaml.safe_load((REPO / "definitions" / "plans" / f"{code}.yaml").read_text(encoding="utf-8"))
    paths = {d[0] for d in differences(want, imported[code].plan)}
    listed = {p for c, p in KNOWN_DIFFERENCES if c == code}
    assert listed <= paths, listed - paths


@pytest.mark.parametrize("code", sorted(SEEDS))
def test_seed_import_places_everything(code, imported):
    result = imported[code]
    assert result.problems == []
    assert result.unmatched_units == []


def test_seed_spot_values(imported):
    """Pinned by hand, independently of the YAML files."""
    hn = {t["number"]: t for t in imported["HN-2025"].plan["tasks"]}
    kt = {t["number"]: t for t in imported["KT-2025"].plan["tasks"]}
    assert list(hn) == ["1", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "3"]
    assert list(kt) == ["1", "2", "3", "4", "4.a", "4.b", "5"]
    assert hn["1"] == {"number": "1", "heading": True,
                       "title": "Hoàn thiện các quy định của pháp luật theo hướng tăng cường phân cấp, ủy quyền"}
    assert hn["1.2"]["workflow"] == "shortened_procedure" and hn["1.2"]["procedure_text"] == "Theo quy trình rút gọn"
    assert hn["3"]["lead"] == ["Các Sở đầu mối", "HN-SNV"] and hn["3"]["focal"] is None
    assert hn["1.1"]["content"].startswith("Tổ chức rà soát") and "nguyên tác phân định" in hn["1.1"]["content"]
    assert hn["2.5"]["deadline"] == {"phrase": "Theo kế hoạch chuyển đổi số của Thành phố", "kind": "open", "due": None}
    assert kt["4.b"]["title"] == "Trình UBND huyện ban hành Quyết định"
    assert kt["5"]["deadline"] == {"phrase": "Từ ngày 01 tháng 3 năm 2025 đến ngày 31 tháng 12 năm 2026",
                                   "kind": "window", "start": dt.date(2025, 3, 1), "due": dt.date(2026, 12, 31)}
    hn_plan = imported["HN-2025"].plan
    assert (hn_plan["signer"]["name"], hn_plan["signer"]["capacity"]) == ("Lê Hồng Sơn", "KT.")
    assert [(r["month"], r["day"]) for r in hn_plan["reporting"]] == [(6, 10), (12, 10), (6, 14), (12, 14), (None, None)]
    assert hn_plan["reporting"][2]["reporters"] == ["HN-STP", "HN-STC", "HN-SKHCN"]


def validate(plan: dict, tmp_path: Path, workflows) -> list[str]:
    folder = tmp_path / "plans"
    folder.mkdir(exist_ok=True)
    (folder / f"{plan['code']}.yaml").write_text(write_plan_yaml(plan), encoding="utf-8")
    try:
        defs = read_definitions(folder, set(workflows))
    except DefinitionError as exc:
        return exc.problems
    assert [p.code for p in defs.plans] == [plan["code"]]
    return []


@pytest.mark.parametrize("code", sorted(SEEDS))
def test_written_yaml_validates_and_reads_back(code, imported, tmp_path, workflows):
    plan = imported[code].plan
    assert validate(plan, tmp_path, workflows) == []
    text = write_plan_yaml(plan)
    assert yaml.safe_load(text) == plan  # dates stay dates, numbers stay strings
    assert "&id" not in text and "*id" not in text
    assert re.search(r"^  due: 2025-04-14$|^    due: 2025-04-\d\d$", text, re.MULTILINE)


def test_a_sample_plan_validates_too(registry, tmp_path, workflows):
    text = (REPO / "tests" / "importer_samples" / "table_pipes.md").read_text(encoding="utf-8")
    # the sample names only "UBND Thành phố": with the national registry six cities fit it, so say which
    result = import_plan_text(text, source="table_pipes.md", registry=registry, code="HN-TEST", region="HN")
    assert result.problems == []
    assert validate(result.plan, tmp_path, workflows) == []


def rewrap(text: str, width: int, blank: bool) -> str:
    """The text as PDF extraction gives it: long lines broken at `width` with trailing spaces,
    optionally a blank line after each piece (as in the Kon Tum seed)."""
    import textwrap

    out: list[str] = []
    for line in text.splitlines():
        pieces = textwrap.wrap(line, width, break_on_hyphens=False, break_long_words=False) if len(line) > width else [line]
        for piece in pieces:
            out.append(piece + " ")
            if blank:
                out.append("")
    return "\n".join(out)


@pytest.mark.parametrize("width", [45, 60, 75, 90])
@pytest.mark.parametrize("code", sorted(SEEDS))
def test_seed_rewrapped_like_pdf_text_gives_the_same_plan(code, width, imported, registry):
    for blank in (False, True):
        again = import_plan_text(rewrap(seed_text(code), width, blank), source="rewrapped", registry=registry, code=code)
        diffs = differences(imported[code].plan, again.plan)
        assert not diffs, f"width {width}, blank lines {blank}: {diffs[:3]}"
        assert again.problems == []


@pytest.mark.parametrize("code", sorted(SEEDS))
def test_seed_with_crlf_and_non_breaking_spaces(code, imported, registry):
    text = seed_text(code).replace("\n", "\r\n").replace("Sở Nội vụ", "Sở\u00a0Nội vụ")
    again = import_plan_text(text, source="crlf", registry=registry, code=code)
    assert not differences(imported[code].plan, again.plan)
