#!/usr/bin/env python3
"""The plan importer at size: seconds to read synthetic plan texts of n and 2n tasks, and the ratio
(about 2 for linear work, about 4 for quadratic). Not a test: nothing fails on a slow figure.

Shapes: `tasks` (n numbered tasks "a.b.c." with lead and deadline fields, Kon Tum registry),
`duplicates` (n lines "1.1. a", the probe's draft), `paragraph` (one task whose content runs over
n wrapped lines), `bullets` (one task with n content bullets),
`titled` (one task whose title runs on over n paragraphs).

    python bench/import_bench.py [--n 4000] [--only tasks|duplicates|paragraph]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def synthetic_tasks(n: int) -> str:
    lines = ["KẾ HOẠCH", "Triển khai nhiệm vụ năm 2025", "I. NHIỆM VỤ"]
    for i in range(n):
        lines += [f"{i // 1000 + 1}.{i // 50 % 20 + 1}.{i % 50 + 1}. Rà soát thủ tục hành chính số {i}",
                  "- Cơ quan chủ trì: Phòng Tư pháp.", "- Thời hạn: Trước ngày 30/6/2025."]
    return "\n".join(lines) + "\n"


def duplicates(n: int) -> str:
    return "1.1. a\n" * n


def paragraph(n: int) -> str:
    return "KẾ HOẠCH\nI. NHIỆM VỤ\n1. Rà soát\n" + "".join(f"nội dung dòng {i} tiếp tục\n" for i in range(n))


def titled(n: int) -> str:
    return "KẾ HOẠCH\nI. NHIỆM VỤ\n1. Rà soát\n" + "".join(f"(ghi chú số {i})\n" for i in range(n))


def bullets(n: int) -> str:
    return "KẾ HOẠCH\nI. NHIỆM VỤ\n1. Rà soát.\n" + "".join(f"- Nội dung gạch đầu dòng {i}.\n" for i in range(n))


SHAPES = {"tasks": synthetic_tasks, "duplicates": duplicates, "paragraph": paragraph, "bullets": bullets, "titled": titled}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--only", choices=sorted(SHAPES))
    args = parser.parse_args()
    from phancap.engine.importer import import_plan_text
    from phancap.engine.organisations import Registry, check_groups, read_registry

    registry, problems = Registry(), []
    for path in sorted((REPO / "definitions" / "organisations").glob("*.yaml")):
        read_registry(path, registry, problems)
    check_groups(registry, problems)
    results = {}
    for name, make in SHAPES.items():
        if args.only and name != args.only:
            continue
        figures = {}
        for n in (args.n, 2 * args.n):
            source = make(n)
            start = time.perf_counter()
            result = import_plan_text(source, source="bench.txt", registry=registry, code="KT-BENCH", region="KT")
            figures[n] = time.perf_counter() - start
            print(f"{name:10} n={n:6} {len(source.encode()) / 1024:8.0f} KB  {figures[n]:7.2f} s  "
                  f"{len(result.plan['tasks'])} tasks, {len(result.problems)} problems", file=sys.stderr)
        results[name] = {"seconds": figures, "ratio_2n_n": round(figures[2 * args.n] / max(figures[args.n], 1e-9), 2)}
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
