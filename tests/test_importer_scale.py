"""The importer at size (issue 11): its work grows with the text, never with tasks × tasks or lines ×
lines. Correctness at size here; the timings are in bench/import_bench.py (figures, not a test).
Before the fix 8,000 tasks took 35 s (every task compared with every other number, twice) and a
paragraph wrapped over 4,000 lines 14 s (the whole paragraph scanned again per line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from phancap.engine.importer import ImportLimits, TooLarge, check_size, import_plan_text, read_limited
from phancap.engine.importer.structure import parent_numbers
from phancap.engine.importer.text import ends_sentence, is_caps, logical_items, split_lines
from phancap.engine.organisations import Registry, check_groups, read_registry

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def registry() -> Registry:
    reg, problems = Registry(), []
    for path in sorted((REPO / "definitions" / "organisations").glob("*.yaml")):
        read_registry(path, reg, problems)
    check_groups(reg, problems)
    assert not problems
    return reg


def synthetic(n: int) -> str:
    """n tasks numbered 1.1.1 … 20.20.50 (a number has at most two digits per level)."""
    lines = ["KẾ HOẠCH", "Triển khai nhiệm vụ năm 2025", "I. NHIỆM VỤ"]
    for i in range(n):
        lines += [f"{i // 1000 + 1}.{i // 50 % 20 + 1}.{i % 50 + 1}. Rà soát thủ tục hành chính số {i}",
                  "- Cơ quan chủ trì: Phòng Tư pháp.", "- Thời hạn: Trước ngày 30/6/2025."]
    return "\n".join(lines) + "\n"


def test_twenty_thousand_tasks_import_in_one_pass(registry: Registry) -> None:
    result = import_plan_text(synthetic(20_000), source="big.txt", registry=registry, code="KT-BIG", region="KT")
    tasks = result.plan["tasks"]
    assert len(tasks) == 20_000
    assert tasks[0]["number"] == "1.1.1" and tasks[-1]["number"] == "20.20.50"
    assert all(t["lead"] == ["KT-PTP"] and t["deadline"]["due"].isoformat() == "2025-06-29" for t in tasks)
    assert not any(t.get("heading") for t in tasks)
    assert not [p for p in result.problems if "task" in p["message"]]


def test_duplicate_numbers_at_size_are_reported_once(registry: Registry) -> None:
    result = import_plan_text("1.1. a\n" * 20_000, source="dup.txt", registry=registry, code="KT-DUP", region="KT")
    assert len(result.plan["tasks"]) == 20_000
    assert [p["message"] for p in result.problems].count("số nhiệm vụ 1.1 lặp lại / duplicate task number 1.1") == 1


def test_a_paragraph_wrapped_over_fifty_thousand_lines_is_one_item() -> None:
    text = "1. Rà soát\n" + "".join(f"nội dung dòng {i} tiếp tục\n" for i in range(50_000))
    items = logical_items(split_lines(text))
    assert len(items) == 1 and items[0].kind == "number"
    assert items[0].text.startswith("Rà soát nội dung dòng 0 tiếp tục") and items[0].text.endswith("dòng 49999 tiếp tục")


def test_a_task_continued_over_fifty_thousand_items_is_joined_once(registry: Registry) -> None:
    bullets = "KẾ HOẠCH\nI. NHIỆM VỤ\n1. Rà soát.\n" + "".join(f"- Nội dung {i}.\n" for i in range(50_000))
    [task] = import_plan_text(bullets, source="b.txt", registry=registry, code="KT-B", region="KT").plan["tasks"]
    assert task["content"].startswith("Nội dung 0. Nội dung 1.") and task["content"].endswith("Nội dung 49999.")
    titled = "KẾ HOẠCH\nI. NHIỆM VỤ\n1. Rà soát\n" + "".join(f"(ghi chú {i})\n" for i in range(50_000))
    [task] = import_plan_text(titled, source="t.txt", registry=registry, code="KT-T", region="KT").plan["tasks"]
    assert task["title"].startswith("Rà soát (ghi chú 0) (ghi chú 1) ") and task["title"].endswith("(ghi chú 49999)")


def test_headings_are_the_numbers_with_sub_tasks() -> None:
    assert parent_numbers(["1", "1.1", "1.2.a", "2", "3.4"]) == {"1", "1.2", "3"}
    assert parent_numbers(["1.1"] * 5) == {"1"}


def test_growing_items_decide_as_the_whole_text_would() -> None:
    """What logical_items now keeps per line (sentence end, capitals) agrees with the old whole-text reading."""
    for text in ("abc.", "abc. ))", "abc )", "x", "...", "a b.!”", ""):
        assert ends_sentence(text) == (__import__("re").search(r"[.:;!?]\W*$", text) is not None), text
    items = logical_items(split_lines("UBND\nHN\n\nI. NHIỆM VỤ\nTRỌNG TÂM\n(ghi chú)\nTiếp theo."))
    assert [(i.kind, i.text) for i in items] == [("para", "UBND HN"), ("roman", "NHIỆM VỤ TRỌNG TÂM"),
                                                 ("para", "(ghi chú)"), ("para", "Tiếp theo.")]
    assert is_caps("UBND HN")


def test_limits_refuse_size_before_reading_and_tasks_after(registry: Registry) -> None:
    with pytest.raises(TooLarge) as size:
        check_size(3 * 1024 * 1024, ImportLimits())
    assert size.value.rule == "too_large" and "PHANCAP_IMPORT_MAX_BYTES" in size.value.message_en
    with pytest.raises(TooLarge) as tasks:
        read_limited(synthetic(11), ImportLimits(max_tasks=10), source="t.txt", registry=registry, region="KT")
    assert tasks.value.rule == "too_large" and "11" in tasks.value.message_vi
    assert "PHANCAP_IMPORT_MAX_TASKS" in tasks.value.message_en
    assert len(read_limited(synthetic(10), ImportLimits(max_tasks=10), source="t.txt", registry=registry,
                            region="KT").plan["tasks"]) == 10


def test_import_plan_command_keeps_the_limits(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    source = tmp_path / "plan.txt"
    source.write_text(synthetic(6), encoding="utf-8")

    def run(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "phancap", "import-plan", str(source), "--registry", "KT",
                               "--code", "KT-CLI", "-o", str(tmp_path / "out.yaml")], capture_output=True, text=True,
                              env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", **env}, timeout=120)

    many = run(PHANCAP_IMPORT_MAX_TASKS="5")
    assert many.returncode == 3 and "refused [too_large]" in many.stderr and "PHANCAP_IMPORT_MAX_TASKS" in many.stderr
    big = run(PHANCAP_IMPORT_MAX_BYTES="100")
    assert big.returncode == 3 and "PHANCAP_IMPORT_MAX_BYTES" in big.stderr and "Traceback" not in big.stderr
    assert not (tmp_path / "out.yaml").exists()
    assert run().returncode in (0, 1) and (tmp_path / "out.yaml").exists()
