"""Seed plans and organisation registries under definitions/ checked against the seed texts.

The expected task numbers, titles, deadline phrases, lead/coordinator/focal agencies, products,
procedures, signers and reporting dates are derived from the seed text itself (regexes over the
raw plan text) rather than re-typed here, so a task, a field or a unit that is missing or wrong in
the YAML makes a test fail. Only facts the seed cannot give (unit codes, due-date readings from
shared/domain.md) are tabled below.

Seed texts: $PHANCAP_SEED_DIR, else tests/seeds/, seeds/ in the repo, else /work/shared/seeds.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DEFS = REPO / "definitions"
ORG_DIR = DEFS / "organisations"
PLAN_DIR = DEFS / "plans"

SEED_FILES = {
    "HN-2025": "000_22f93b5388a59456.txt",  # UBND Thành phố Hà Nội
    "KT-2025": "004_b5240fd6c432fd52.txt",  # UBND huyện, tỉnh Kon Tum (district not named)
}
PLAN_REGISTRY = {"HN-2025": "HN", "KT-2025": "KT"}
REGISTRY_FILES = {"HN": "hanoi.yaml", "KT": "kontum.yaml"}
PLANS = sorted(SEED_FILES)

UNIT_KINDS = {"people_committee", "people_council", "department", "office", "commune", "ward", "township"}
CODE_RE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
D = dt.date


# --------------------------------------------------------------------------- helpers


def norm(text: str) -> str:
    """Whitespace-normalised seed text: drop ** bold markers, join PDF line breaks, single spaces."""
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


def loose(text: str) -> str:
    """Even looser form for the 'Nơi nhận' list, whose items the seed splits over bullet lines."""
    return re.sub(r"[\s,;\-]+", " ", text).strip().rstrip(".").casefold()


def _seed_dir() -> Path:
    candidates = []
    if os.environ.get("PHANCAP_SEED_DIR"):
        candidates.append(Path(os.environ["PHANCAP_SEED_DIR"]))
    candidates += [REPO / "tests" / "seeds", REPO / "seeds", Path("/work/shared/seeds")]
    for c in candidates:
        if all((c / f).is_file() for f in SEED_FILES.values()):
            return c
    pytest.fail(f"seed texts {sorted(SEED_FILES.values())} not found in any of {candidates}")


@lru_cache(maxsize=None)
def seed_raw(plan: str) -> str:
    return (_seed_dir() / SEED_FILES[plan]).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def seed_norm(plan: str) -> str:
    return norm(seed_raw(plan))


@lru_cache(maxsize=None)
def load_yaml(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


NATIONAL_COMMUNES = ORG_DIR / "vn-2025-communes.csv"


def national_communes(code: str) -> list[dict]:
    """A province's commune-level units as the national list gives them (read here independently)."""
    with NATIONAL_COMMUNES.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    out = []
    for r in rows:
        if r["registry"] == code:
            lower = r["official_name"][0].lower() + r["official_name"][1:]
            out.append({"code": r["code"], "name": f"UBND {lower}", "kind": r["kind"],
                        "aliases": [lower, f"Ủy ban nhân dân {lower}"]})
    return out


def registry(code: str) -> dict:
    """The hand-written registry file; Hà Nội's communes come from the national list (national.yaml)."""
    reg = load_yaml(ORG_DIR / REGISTRY_FILES[code])
    if code == "HN":
        return {**reg, "units": [*reg["units"], *national_communes("HN")]}
    return reg


def plan(code: str) -> dict:
    return load_yaml(PLAN_DIR / f"{code}.yaml")


def units_by_code(reg: dict) -> dict:
    return {u["code"]: u for u in reg["units"]}


def group_names(reg: dict) -> set:
    return {g["name"] for g in reg["groups"]}


def alias_index(reg: dict) -> dict:
    """casefolded name/alias -> set of targets (unit code or group name)."""
    idx: dict = {}
    for u in reg["units"]:
        for n in [u["name"], *(u.get("aliases") or [])]:
            idx.setdefault(n.casefold(), set()).add(u["code"])
    for g in reg["groups"]:
        for n in [g["name"], *(g.get("aliases") or [])]:
            idx.setdefault(n.casefold(), set()).add(g["name"])
    return idx


def resolve_text(text: str | None, reg: dict) -> list:
    """Every registry unit/group named in `text`, leftmost-longest match over names and aliases.

    Parts that name no registry unit ("các cơ quan, tổ chức liên quan") resolve to nothing.
    """
    if not text:
        return []
    idx = alias_index(reg)
    keys = sorted(idx, key=len, reverse=True)
    pat = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(k) for k in keys) + r")(?!\w)", re.IGNORECASE)
    found = []
    for m in pat.finditer(text):
        targets = idx[m.group(0).casefold()]
        assert len(targets) == 1, f"ambiguous name {m.group(0)!r} -> {targets}"
        t = next(iter(targets))
        if t not in found:
            found.append(t)
    return found


def is_ref(ref: str, reg: dict) -> bool:
    return ref in units_by_code(reg) or ref in group_names(reg)


def expand(ref: str, reg: dict) -> set:
    units = units_by_code(reg)
    if ref in units:
        return {ref}
    (g,) = [g for g in reg["groups"] if g["name"] == ref]
    out = set(g.get("members") or [])
    for kind in g.get("kinds") or []:
        out |= {c for c, u in units.items() if u["kind"] == kind}
    return out


# --------------------------------------------------------------------------- seed parsing

# Labels that introduce a FIELD of a task (not a task of its own), as the seeds write them.
FIELD_LABEL = re.compile(
    r"^(?:Nội dung|Yêu cầu|Đơn vị thực hiện|Cơ quan thực hiện|Cơ quan chủ trì|Cơ quan phối hợp"
    r"|Sản phẩm|Thời gian (?:hoàn thành|thực hiện))\s*:"
)
NUM_LINE = re.compile(r"^\s*(\d+(?:\.\d+)*)\.\s+(.*)$")
LETTER_LINE = re.compile(r"^\s*(?:-\s*)?([a-z])\)\s+(.*)$")


@lru_cache(maxsize=None)
def seed_tasks(plan_code: str):
    """Parse section II of the seed into ordered task blocks.

    Returns (numbers, blocks, field_items): numbers in seed order; blocks maps number -> the
    normalised text of the task after its own marker, up to the next task marker; field_items
    lists numbered lines that are fields rather than tasks.

    Rules:
    * a line `N.` / `N.M.` starts a task unless its text starts with a field label. This is what
      makes Hà Nội's 3.1 (Nội dung), 3.2 (Cơ quan thực hiện) and 3.3 (Thời gian thực hiện) fields
      of task 3 rather than sub-tasks: section 3 lists the parts of one task under numbers.
    * a line `a)` / `- a)` is a field when its text starts with a field label (Hà Nội's
      "a) Nội dung:", "b) Cơ quan thực hiện:"...), else a sub-task numbered `<parent>.<letter>`
      (Kon Tum's 4.a and 4.b).
    """
    lines = seed_raw(plan_code).splitlines()
    start = next(i for i, ln in enumerate(lines) if re.match(r"^\s*II\.\s", ln))
    end = next(i for i, ln in enumerate(lines) if re.match(r"^\s*III\.\s", ln))
    numbers: list = []
    chunks: dict = {}
    field_items: list = []
    current = parent = None
    for ln in lines[start + 1 : end]:
        m = NUM_LINE.match(ln)
        if m and not FIELD_LABEL.match(m.group(2)):
            current = parent = m.group(1)
            numbers.append(current)
            chunks[current] = [m.group(2)]
            continue
        if m:
            field_items.append(m.group(1))
        lm = LETTER_LINE.match(ln)
        if lm and not FIELD_LABEL.match(lm.group(2)):
            current = f"{parent}.{lm.group(1)}"
            numbers.append(current)
            chunks[current] = [lm.group(2)]
            continue
        assert current is not None or not ln.strip(), f"text before the first task: {ln!r}"
        if current is not None:
            chunks[current].append(ln)
    blocks = {n: norm("\n".join(c)) for n, c in chunks.items()}
    return tuple(numbers), blocks, tuple(field_items)


def is_heading_in_seed(plan_code: str, number: str) -> bool:
    numbers, _, _ = seed_tasks(plan_code)
    return any(n.startswith(number + ".") for n in numbers)


END = r"(?=\s+-\s|\s+(?:-\s*)?[a-z]\)\s|\s+\d+(?:\.\d+)+\.\s|$)"  # next bullet / field / end


def one(pattern: str, block: str) -> str | None:
    found = re.findall(pattern, block)
    assert len(found) <= 1, f"{pattern!r} found {len(found)} times in {block!r}"
    return found[0] if found else None


def seed_field(block: str, field: str) -> str | None:
    pats = {
        "deadline": r"Thời gian (?:hoàn thành|thực hiện):\s*(.+?)\.(?=\s|$)",
        "product": r"Sản phẩm:\s*(.+?)\.(?=\s|$)",
        "focal": r"Đầu mối chịu trách nhiệm theo dõi nhiệm vụ:\s*(.+?)[;.](?=\s|$)",
        # "Cơ quan thực hiện:" directly followed by a bullet list is a header, not the lead.
        "lead": r"(?:Cơ quan chủ trì|Chủ trì(?: thực hiện)?|Cơ quan thực hiện):(?!\s*-)\s*(.+?)[;.]" + END,
        "coordinators": r"(?:Cơ quan phối hợp|Phối hợp(?: thực hiện)?):\s*(.+?)[;.]" + END,
        "procedure": r"Trình tự, thủ tục[^:]*:\s*(.+?)\.(?=\s|$)",
        "content": r"(?:Nội dung|Yêu cầu):\s*(.+?)(?=\s+(?:-\s*)?(?:[a-z]\)\s|Cơ quan|Đầu mối|Chủ trì|Phối hợp"
        r"|Thời gian|Sản phẩm|Trình tự)|\s+\d+(?:\.\d+)+\.\s|$)",
    }
    return one(pats[field], block)


# Tasks whose fields the seed writes as free prose rather than "Chủ trì:/Phối hợp:" lines.
# Hà Nội task 3: 3.2 names two bodies in two bullets ("Các Sở, ban, ngành đầu mối …" and
# "Sở Nội vụ: …") and the coordinators inside "phối hợp với …"; lead_text joins the two bodies
# with "; " and each part must occur in the task's own text.
COMPOSITE = {("HN-2025", "3")}

# Deadline readings (shared/domain.md): "Trước ngày X" -> X-1, "Chậm nhất ngày X" -> X,
# "Trong năm Y" -> 31/12/Y, "Từ … đến …" -> window due at its end, "Theo …" -> open.
EXPECTED_DEADLINES = {
    "HN-2025": {
        "1.1": ("date", None, D(2025, 4, 14)),
        "1.2": ("date", None, D(2025, 4, 14)),
        "1.3": ("date", None, D(2025, 12, 30)),
        "2.1": ("date", None, D(2025, 4, 29)),
        "2.2": ("date", None, D(2025, 8, 30)),
        "2.3": ("date", None, D(2025, 9, 29)),
        "2.4": ("date", None, D(2025, 12, 31)),
        "2.5": ("open", None, None),
        "3": ("date", None, D(2025, 12, 31)),
    },
    "KT-2025": {
        "1": ("date", None, D(2025, 4, 5)),
        "2": ("open", None, None),
        "3": ("date", None, D(2025, 4, 14)),
        "4.a": ("date", None, D(2025, 4, 19)),
        "4.b": ("date", None, D(2025, 6, 30)),
        "5": ("window", D(2025, 3, 1), D(2026, 12, 31)),
    },
}

_DATE = r"(\d{1,2})(?:/| tháng )(\d{1,2})(?:/| năm )(\d{4})"


def read_phrase(phrase: str):
    """Independent reading of a deadline phrase -> (kind, start, due)."""
    p = phrase.strip()
    if m := re.fullmatch(r"Từ ngày " + _DATE + r" đến ngày " + _DATE, p):
        a = [int(x) for x in m.groups()]
        return "window", D(a[2], a[1], a[0]), D(a[5], a[4], a[3])
    if m := re.fullmatch(r"Trước ngày " + _DATE, p):
        d, mo, y = map(int, m.groups())
        return "date", None, D(y, mo, d) - dt.timedelta(days=1)
    if m := re.fullmatch(r"Chậm nhất ngày " + _DATE, p):
        d, mo, y = map(int, m.groups())
        return "date", None, D(y, mo, d)
    if m := re.fullmatch(r"Trong năm (\d{4})", p):
        return "date", None, D(int(m.group(1)), 12, 31)
    if p.startswith("Theo "):
        return "open", None, None
    raise AssertionError(f"unreadable deadline phrase {phrase!r}")


def tasks_of(plan_code: str) -> dict:
    return {t["number"]: t for t in plan(plan_code)["tasks"]}


def work_tasks():
    for p in PLANS:
        for n in seed_tasks(p)[0]:
            if not is_heading_in_seed(p, n):
                yield pytest.param(p, n, id=f"{p}:{n}")


# --------------------------------------------------------------------------- package layout


def test_definitions_are_packages_so_the_data_ships():
    for d in (DEFS, ORG_DIR, PLAN_DIR):
        assert (d / "__init__.py").is_file(), d
    for f in ["hanoi.yaml", "kontum.yaml", "national.yaml", "central.yaml", "vn-2025-provinces.csv", "vn-2025-communes.csv"]:
        assert (ORG_DIR / f).is_file(), f
    for p in PLANS:
        assert (PLAN_DIR / f"{p}.yaml").is_file(), p


def test_all_text_is_nfc_so_it_matches_the_seeds():
    for path in [*ORG_DIR.glob("*.yaml"), *ORG_DIR.glob("*.csv"), *PLAN_DIR.glob("*.yaml")]:
        text = path.read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text), path


# --------------------------------------------------------------------------- registries

HN_DEPARTMENTS = {
    "HN-SNV": "Sở Nội vụ",
    "HN-STP": "Sở Tư pháp",
    "HN-STC": "Sở Tài chính",
    "HN-SCT": "Sở Công Thương",
    "HN-SNNMT": "Sở Nông nghiệp và Môi trường",
    "HN-SXD": "Sở Xây dựng",
    "HN-SKHCN": "Sở Khoa học và Công nghệ",
    "HN-SVHTT": "Sở Văn hóa và Thể thao",
    "HN-SGDDT": "Sở Giáo dục và Đào tạo",
    "HN-SYT": "Sở Y tế",
    "HN-TTTP": "Thanh tra Thành phố",
    "HN-VPUB": "Văn phòng UBND Thành phố",
    "HN-SDTTG": "Sở Dân tộc và Tôn giáo",
    "HN-SDL": "Sở Du lịch",
    "HN-SQHKT": "Sở Quy hoạch – Kiến trúc",
}
KT_OFFICES = {
    "KT-PNV": "Phòng Nội vụ",
    "KT-PTP": "Phòng Tư pháp",
    "KT-PTCKH": "Phòng Tài chính – Kế hoạch",
    "KT-PVHTT": "Phòng Văn hóa và Thông tin",
    "KT-PGDDT": "Phòng Giáo dục và Đào tạo",
    "KT-PYT": "Phòng Y tế",
    "KT-TTH": "Thanh tra huyện",
    "KT-VP": "Văn phòng HĐND và UBND huyện",
    "KT-PNNPTNT": "Phòng Nông nghiệp và Phát triển nông thôn",
    "KT-PTNMT": "Phòng Tài nguyên và Môi trường",
    "KT-PKTHT": "Phòng Kinh tế và Hạ tầng",
    "KT-PLDTBXH": "Phòng Lao động – Thương binh và Xã hội",
    "KT-PDT": "Phòng Dân tộc",
}
EXPECTED_GROUPS = {
    "HN": {
        "Các Sở, ngành": ({"department"}, set()),
        "Chính quyền địa phương cấp cơ sở": ({"commune", "ward"}, set()),
        "Các Sở đầu mối": (set(), {"HN-STP", "HN-SNV", "HN-STC", "HN-SKHCN"}),
    },
    "KT": {
        "Các cơ quan chuyên môn thuộc UBND huyện": ({"office"}, set()),
        "UBND các xã, thị trấn": ({"commune", "township"}, set()),
    },
}


@pytest.mark.parametrize("reg_code", sorted(REGISTRY_FILES))
def test_registry_shape(reg_code):
    reg = registry(reg_code)
    assert reg["registry"] == reg_code
    assert reg["name"]
    if reg_code == "KT":
        assert "CSV" in reg["sample_units_note"]
    else:  # Hà Nội's communes are the real ones, from the national list
        assert "sample_units_note" not in reg and len(national_communes(reg_code)) == 126
    codes = [u["code"] for u in reg["units"]]
    assert len(codes) == len(set(codes)), "duplicate unit code"
    for u in reg["units"]:
        assert set(u) <= {"code", "name", "kind", "aliases"}, u
        assert CODE_RE.match(u["code"]) and u["code"].startswith(reg_code + "-"), u["code"]
        assert u["kind"] in UNIT_KINDS, u
        assert isinstance(u["name"], str) and u["name"].strip() == u["name"] and u["name"]
        assert all(isinstance(a, str) and a for a in u.get("aliases") or []), u
    for g in reg["groups"]:
        assert set(g) <= {"name", "aliases", "kinds", "members"}, g
        assert all(isinstance(a, str) and a for a in g.get("aliases") or []), g


def test_unit_codes_globally_unique():
    codes = [u["code"] for r in REGISTRY_FILES for u in registry(r)["units"]]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("reg_code", sorted(REGISTRY_FILES))
def test_registry_names_and_aliases_unambiguous(reg_code):
    for key, targets in alias_index(registry(reg_code)).items():
        assert len(targets) == 1, f"{key!r} names {targets}"


@pytest.mark.parametrize("reg_code", sorted(REGISTRY_FILES))
def test_groups_resolve(reg_code):
    reg = registry(reg_code)
    units = units_by_code(reg)
    got = {g["name"]: (set(g.get("kinds") or []), set(g.get("members") or [])) for g in reg["groups"]}
    assert got == EXPECTED_GROUPS[reg_code]
    for g in reg["groups"]:
        for m in g.get("members") or []:
            assert m in units, f"group {g['name']!r}: unknown member {m}"
        for k in g.get("kinds") or []:
            assert k in UNIT_KINDS
            assert any(u["kind"] == k for u in units.values()), f"group {g['name']!r}: no unit of kind {k}"
        assert expand(g["name"], reg), g["name"]


def test_hanoi_registry_units():
    reg = registry("HN")
    units = units_by_code(reg)
    assert (units["HN-UBND"]["name"], units["HN-UBND"]["kind"]) == ("UBND Thành phố Hà Nội", "people_committee")
    assert (units["HN-HDND"]["name"], units["HN-HDND"]["kind"]) == ("HĐND Thành phố Hà Nội", "people_council")
    depts = {c: u["name"] for c, u in units.items() if u["kind"] == "department"}
    assert depts == HN_DEPARTMENTS
    assert expand("Các Sở, ngành", reg) == set(HN_DEPARTMENTS)
    locals_ = {c: u for c, u in units.items() if u["kind"] in {"ward", "commune"}}
    assert len(locals_) == 126  # Decision 19/2025/QĐ-TTg: 51 phường, 75 xã
    assert sum(u["kind"] == "ward" for u in locals_.values()) == 51
    assert sum(u["kind"] == "commune" for u in locals_.values()) == 75
    for c, u in locals_.items():
        kind, prefix = ("ward", "UBND phường ") if c.startswith("HN-P-") else ("commune", "UBND xã ")
        assert re.fullmatch(r"HN-[PX]-[A-Z]+", c) and u["kind"] == kind and u["name"].startswith(prefix), u
    assert expand("Chính quyền địa phương cấp cơ sở", reg) == set(locals_)
    # The plan's names for the city bodies resolve.
    assert resolve_text("UBND Thành phố", reg) == ["HN-UBND"]
    assert resolve_text("HĐND Thành phố", reg) == ["HN-HDND"]
    assert set(units) == {"HN-UBND", "HN-HDND", *HN_DEPARTMENTS, *locals_}


def test_hanoi_sample_commune_codes_are_kept_for_the_real_communes():
    """The codes tests and demo users used for the former sample stay the codes of those real communes."""
    with NATIONAL_COMMUNES.open(encoding="utf-8", newline="") as fh:
        rows = {r["code"]: r for r in csv.DictReader(line for line in fh if not line.startswith("#"))}
    expected = {
        "HN-P-HOANKIEM": "Phường Hoàn Kiếm", "HN-P-BADINH": "Phường Ba Đình", "HN-P-CAUGIAY": "Phường Cầu Giấy",
        "HN-P-HADONG": "Phường Hà Đông", "HN-X-SOCSON": "Xã Sóc Sơn", "HN-X-DONGANH": "Xã Đông Anh",
        "HN-X-GIALAM": "Xã Gia Lâm", "HN-X-BAVI": "Xã Ba Vì",
    }
    assert {c: rows[c]["official_name"] for c in expected} == expected
    assert rows["HN-P-HOANKIEM"]["official_code"] == "00070" and rows["HN-X-SOCSON"]["official_code"] == "00376"
    assert {rows[c]["registry"] for c in expected} == {"HN"}


def test_kontum_registry_units():
    reg = registry("KT")
    units = units_by_code(reg)
    assert (units["KT-UBND"]["name"], units["KT-UBND"]["kind"]) == ("UBND huyện", "people_committee")
    assert (units["KT-HDND"]["name"], units["KT-HDND"]["kind"]) == ("HĐND huyện", "people_council")
    offices = {c: u["name"] for c, u in units.items() if u["kind"] == "office"}
    assert offices == KT_OFFICES
    assert units["KT-TT-01"]["kind"] == "township" and "(mẫu)" in units["KT-TT-01"]["name"]
    communes = {c: u["name"] for c, u in units.items() if u["kind"] == "commune"}
    assert communes == {f"KT-X-0{i}": f"UBND xã mẫu {i}" for i in range(1, 5)}
    assert set(units) == {"KT-UBND", "KT-HDND", "KT-TT-01", *KT_OFFICES, *communes}
    assert expand("UBND các xã, thị trấn", reg) == {"KT-TT-01", *communes}
    assert resolve_text("UBND cấp xã", reg) == ["UBND các xã, thị trấn"]


# --------------------------------------------------------------------------- plans: header


TASK_KEYS = {
    "number", "title", "content", "focal", "lead", "lead_text", "coordinators", "coordinators_text",
    "product", "deadline", "workflow", "procedure_text",
}


@pytest.mark.parametrize("plan_code", PLANS)
def test_plan_header(plan_code):
    p = plan(plan_code)
    reg = registry(PLAN_REGISTRY[plan_code])
    units = units_by_code(reg)
    assert p["code"] == plan_code and p["registry"] == PLAN_REGISTRY[plan_code]
    assert p["number"] is None and p["issued"] is None  # neither seed gives a number or a date
    committee, monitor = {"HN-2025": ("HN-UBND", "HN-SNV"), "KT-2025": ("KT-UBND", "KT-PNV")}[plan_code]
    assert p["issuer"] == p["authority"] == committee
    assert units[committee]["kind"] == "people_committee"
    assert p["monitor"] == monitor
    # Title: "Kế hoạch " + the seed's title line(s) after "KẾ HOẠCH".
    m = re.search(r"KẾ HOẠCH (Triển khai .+?) (?:Thực hiện|Căn cứ) ", seed_norm(plan_code))
    assert m, "seed title not found"
    assert p["title"] == "Kế hoạch " + m.group(1)[0].lower() + m.group(1)[1:]


@pytest.mark.parametrize(
    "plan_code, verb, parent_start",
    [
        ("HN-2025", "Thực hiện", "Quyết định số 608/QĐ-TTg ngày 15/3/2025 của Thủ tướng Chính phủ"),
        ("KT-2025", "Căn cứ", "Kế hoạch số 1036/KH-UBND ngày 29 tháng 3 năm 2025 của UBND tỉnh Kon Tum"),
    ],
)
def test_parent_plan_and_legal_basis(plan_code, verb, parent_start):
    p = plan(plan_code)
    text = seed_norm(plan_code)
    basis = p["legal_basis"]
    assert isinstance(basis, list) and len(basis) == 1
    assert basis[0].startswith(verb + " ") and basis[0] in text
    # The legal-basis sentence runs to the end of the cited title: the seed continues with
    # ", UBND Thành phố ban hành…" (HN) or ". Ủy ban nhân dân huyện xây dựng…" (KT).
    assert re.search(re.escape(basis[0]) + r"[.,] (?:UBND Thành phố ban hành|Ủy ban nhân dân huyện xây dựng)", text)
    assert p["parent_plan"].startswith(parent_start)
    assert basis[0] == f"{verb} {p['parent_plan']}"


def seed_signature(plan_code: str):
    lines = [ln.strip() for ln in seed_raw(plan_code).splitlines()]
    start = max(i for i, ln in enumerate(lines) if ln.startswith("TM."))
    block = [ln for ln in lines[start:] if ln]
    return block[:-1], block[-1]


@pytest.mark.parametrize("plan_code", PLANS)
def test_signer_from_signature_block(plan_code):
    s = plan(plan_code)["signer"]
    block, name = seed_signature(plan_code)
    assert s["name"] == name
    assert s["block"] == " / ".join(block)
    m = re.match(r"^(KT|TL|TUQ)\. (.+)$", block[1])
    if m:
        assert s["capacity"] == m.group(1) + "."
        assert s["on_behalf_of"].upper() == m.group(2)
    else:
        assert s["capacity"] is None and s["on_behalf_of"] is None
    assert s["title"].upper() == block[-1]
    expected = {
        "HN-2025": ("Lê Hồng Sơn", "KT.", "Phó Chủ tịch"),
        "KT-2025": ("Lê Viết Nam", None, "Chủ tịch"),
    }[plan_code]
    assert (s["name"], s["capacity"], s["title"]) == expected


@pytest.mark.parametrize("plan_code", PLANS)
def test_recipients_as_written(plan_code):
    raw = seed_raw(plan_code)
    section = raw[raw.index("Nơi nhận:") + len("Nơi nhận:") : raw.rindex("TM.")]
    seed_items = [ln.strip().lstrip("-").strip() for ln in section.splitlines() if ln.strip().startswith("-")]
    recips = plan(plan_code)["recipients"]
    assert recips and all(isinstance(r, str) and r for r in recips)
    for r in recips:
        assert loose(r) in loose(section), r
    joined = loose(" ".join(recips))
    for item in seed_items:
        assert loose(item) in joined, f"seed recipient {item!r} missing"


@pytest.mark.parametrize(
    "plan_code, expected", [("HN-2025", ("qua", "HN-SNV")), ("KT-2025", ("về", "KT-PNV"))]
)
def test_difficulties_to(plan_code, expected):
    reg = registry(PLAN_REGISTRY[plan_code])
    m = re.search(r"vướng mắc.*?[ (]" + expected[0] + r" ((?:Sở|Phòng) Nội vụ)", seed_norm(plan_code))
    assert m
    assert resolve_text(m.group(1), reg) == [expected[1]] == [plan(plan_code)["difficulties_to"]]


def test_hanoi_reporting_regime():
    p = plan("HN-2025")
    reg = registry("HN")
    text = seed_norm("HN-2025")
    section = text[text.index("3. Chế độ báo cáo") : text.index("Nơi nhận")]
    period_word = {"6 tháng": "semiannual", "hằng năm": "annual"}
    from_seed = {
        (period_word[per], int(mo), int(d))
        for per, d, mo in re.findall(r"(6 tháng|hằng năm) \(trước ngày (\d+) tháng (\d+)\)", section)
    }
    assert from_seed == {("semiannual", 6, 10), ("annual", 12, 10), ("semiannual", 6, 14), ("annual", 12, 14)}
    dated = [r for r in p["reporting"] if r.get("month") is not None]
    assert {(r["period"], r["month"], r["day"]) for r in dated} == from_seed
    assert len(dated) == 4
    for r in p["reporting"]:
        assert r["name"] and r["text"] in text
        for who in r["reporters"]:
            assert is_ref(who, reg), who
        assert r["recipient"] == "focal" or r["recipient"] in units_by_code(reg)
    for r in dated:
        assert r["phrase"] == f"trước ngày {r['day']} tháng {r['month']}"
        assert f"({r['phrase']})" in r["text"]
        if r["day"] == 10:  # 3.1: communes -> the focal department of each task
            assert r["reporters"] == ["Chính quyền địa phương cấp cơ sở"] and r["recipient"] == "focal"
            assert r["text"].startswith("Chính quyền địa phương cấp cơ sở báo cáo các Sở đầu mối")
        else:  # 3.2: Sở Tư pháp, Sở Tài chính, Sở KH&CN -> Sở Nội vụ
            assert set(r["reporters"]) == {"HN-STP", "HN-STC", "HN-SKHCN"} and r["recipient"] == "HN-SNV"
            assert r["text"].startswith("Các Sở: Tư pháp, Tài chính, Khoa học và Công nghệ gửi Sở Nội vụ")
    consolidation = [r for r in p["reporting"] if r.get("month") is None]
    assert [(r["reporters"], r["recipient"]) for r in consolidation] == [(["HN-SNV"], "HN-UBND")]


def test_kontum_reporting_regime():
    p = plan("KT-2025")
    (r,) = p["reporting"]
    assert r["reporters"] == ["KT-PNV"] and r["recipient"] == "KT-UBND"
    assert r["phrase"] is None and r["month"] is None and r["day"] is None and r["period"] is None
    assert r["text"] in seed_norm("KT-2025")
    assert r["text"].startswith("Phòng Nội vụ") and r["text"].endswith("báo cáo UBND huyện kết quả thực hiện")


# --------------------------------------------------------------------------- plans: tasks


def test_hanoi_section3_items_are_fields_of_task_3():
    # 3.1 "Nội dung", 3.2 "Cơ quan thực hiện", 3.3 "Thời gian thực hiện" are the parts of task 3,
    # so the parser must see them as fields, not as sub-tasks; make that explicit.
    numbers, blocks, fields = seed_tasks("HN-2025")
    assert fields == ("3.1", "3.2", "3.3")
    assert not any(n.startswith("3.") for n in numbers)
    assert "3" in numbers and "3.1. Nội dung:" in blocks["3"] and "3.3. Thời gian thực hiện:" in blocks["3"]
    assert seed_tasks("KT-2025")[2] == ()


@pytest.mark.parametrize(
    "plan_code, expected",
    [
        ("HN-2025", ["1", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "3"]),
        ("KT-2025", ["1", "2", "3", "4", "4.a", "4.b", "5"]),
    ],
)
def test_task_numbers_equal_the_seed(plan_code, expected):
    derived = list(seed_tasks(plan_code)[0])
    assert derived == expected  # guards the parser itself
    numbers = [t["number"] for t in plan(plan_code)["tasks"]]
    assert numbers == derived  # same tasks, same order, no duplicates


@pytest.mark.parametrize("plan_code", PLANS)
def test_headings(plan_code):
    blocks = seed_tasks(plan_code)[1]
    for t in plan(plan_code)["tasks"]:
        heading = is_heading_in_seed(plan_code, t["number"])
        assert bool(t.get("heading")) == heading, t["number"]
        if heading:
            assert set(t) == {"number", "heading", "title"}, t["number"]
            assert t["title"] == blocks[t["number"]].rstrip("."), t["number"]
        else:
            assert set(t) == TASK_KEYS, (t["number"], set(t) ^ TASK_KEYS)


@pytest.mark.parametrize("plan_code, number", list(work_tasks()))
def test_task_fields_match_seed(plan_code, number):
    t = tasks_of(plan_code)[number]
    block = seed_tasks(plan_code)[1][number]
    reg = registry(PLAN_REGISTRY[plan_code])
    composite = (plan_code, number) in COMPOSITE

    # Title: the numbered line as written, complete (what follows it is a stop or a field).
    assert block.startswith(t["title"]), (t["title"], block[:200])
    rest = block[len(t["title"]) :]
    assert re.match(r"^(?:$|[.:]|\s+(?:-\s*)?a\)\s|\s+-\s)", rest), f"title cut short: {rest[:60]!r}"

    # Strings as written, found in this task's own text.
    for key in ["content", "product", "coordinators_text", "procedure_text"]:
        if t[key] is not None:
            assert t[key] in block, (key, t[key])
    assert t["content"] != t["title"]
    assert t["deadline"]["phrase"] == seed_field(block, "deadline")
    assert t["product"] == seed_field(block, "product")
    assert t["procedure_text"] == seed_field(block, "procedure")
    if (labelled := seed_field(block, "content")) is not None:
        assert t["content"] == labelled

    # Focal agency: "Đầu mối chịu trách nhiệm theo dõi nhiệm vụ: X", else null.
    focal_name = seed_field(block, "focal")
    if focal_name is None:
        assert t["focal"] is None
    else:
        assert resolve_text(focal_name, reg) == [t["focal"]], focal_name

    # Lead and coordinators, as written and resolved.
    lead_written = seed_field(block, "lead")
    coord_written = seed_field(block, "coordinators")
    if composite:
        assert lead_written is None and coord_written is None
        for part in t["lead_text"].split("; "):
            assert part in block, part
        assert t["coordinators_text"] in block
    else:
        assert lead_written is not None
        # KT 5 writes "Cơ quan thực hiện: <bodies> có trách nhiệm …": lead_text is the bodies.
        assert lead_written == t["lead_text"] or lead_written.startswith(t["lead_text"] + " "), lead_written
        assert resolve_text(lead_written, reg) == resolve_text(t["lead_text"], reg)
        assert t["coordinators_text"] == coord_written
    assert t["lead"] and resolve_text(t["lead_text"], reg) == t["lead"]
    assert resolve_text(t["coordinators_text"], reg) == t["coordinators"]
    for ref in [*t["lead"], *t["coordinators"], *([t["focal"]] if t["focal"] else [])]:
        assert is_ref(ref, reg), ref
    assert not set(t["lead"]) & set(t["coordinators"]) or composite

    # Workflow: exactly the tasks whose text says "quy trình rút gọn".
    shortened = "quy trình rút gọn" in block.lower()
    assert t["workflow"] == ("shortened_procedure" if shortened else "plan_task")


@pytest.mark.parametrize("plan_code, number", list(work_tasks()))
def test_deadline_reading(plan_code, number):
    dl = tasks_of(plan_code)[number]["deadline"]
    kind, start, due = EXPECTED_DEADLINES[plan_code][number]
    assert read_phrase(dl["phrase"]) == (kind, start, due)
    assert dl["kind"] == kind
    assert dl["due"] == due and (due is None or type(dl["due"]) is dt.date)
    if kind == "window":
        assert dl["start"] == start and type(dl["start"]) is dt.date
        assert set(dl) == {"phrase", "kind", "start", "due"}
    else:
        assert set(dl) == {"phrase", "kind", "due"}


def test_expected_deadline_table_covers_every_task():
    for p in PLANS:
        assert set(EXPECTED_DEADLINES[p]) == {n for n in seed_tasks(p)[0] if not is_heading_in_seed(p, n)}


def test_shortened_procedure_tasks():
    got = {(p, t["number"]) for p in PLANS for t in plan(p)["tasks"] if t.get("workflow") == "shortened_procedure"}
    assert got == {("HN-2025", "1.2")}
    assert tasks_of("HN-2025")["1.2"]["procedure_text"] == "Theo quy trình rút gọn"


def test_hanoi_task_3_bodies():
    t = tasks_of("HN-2025")["3"]
    reg = registry("HN")
    assert t["focal"] is None  # no "Đầu mối" named: the engine falls back to the monitor
    assert set(t["lead"]) == {"HN-SNV", "Các Sở đầu mối"}
    assert expand("Các Sở đầu mối", reg) == {"HN-STP", "HN-SNV", "HN-STC", "HN-SKHCN"}
    # The focal departments of the plan are exactly those named as "Đầu mối" in its tasks.
    focal_in_plan = {x["focal"] for x in plan("HN-2025")["tasks"] if x.get("focal")}
    assert focal_in_plan == expand("Các Sở đầu mối", reg)
    assert t["content"].startswith("Trên cơ sở các nội dung rà soát, đề xuất tại phần 1")


def test_spot_values():
    """A few values pinned by hand, so a consistent-but-wrong parser cannot hide an error."""
    hn, kt = tasks_of("HN-2025"), tasks_of("KT-2025")
    assert [hn[n]["focal"] for n in ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5"]] == [
        "HN-STP", "HN-SNV", "HN-STC", None, None, "HN-SNV", "HN-STC", "HN-SKHCN",
    ]
    assert hn["1.3"]["lead"] == ["Các Sở, ngành"] and hn["1.3"]["lead_text"] == "Các Sở, ban, ngành"
    assert hn["1.3"]["coordinators"] == ["Chính quyền địa phương cấp cơ sở"]
    assert hn["2.1"]["lead"] == ["Các Sở, ngành", "Chính quyền địa phương cấp cơ sở"]
    assert hn["2.1"]["coordinators"] == [] and hn["2.1"]["coordinators_text"] is None
    assert all(t["focal"] is None for t in kt.values() if not t.get("heading"))
    assert kt["2"]["lead"] == ["KT-PTP"]
    assert kt["3"]["coordinators"] == [] and kt["3"]["coordinators_text"] == "Các cơ quan, đơn vị có liên quan"
    assert kt["4.a"]["coordinators"] == kt["4.b"]["coordinators"] == ["KT-PTP", "KT-PNV"]
    assert kt["4.b"]["title"] == "Trình UBND huyện ban hành Quyết định"
    assert kt["5"]["lead"] == ["Các cơ quan chuyên môn thuộc UBND huyện", "UBND các xã, thị trấn"]
