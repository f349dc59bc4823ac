"""Sửa đổi, bổ sung kế hoạch: features/sua_doi_ke_hoach.feature, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, scenarios, then, when
from sqlalchemy import text

from phancap.engine.amendments import AmendmentRefused, amend_plan, plan_versions, read_amending_plan
from phancap.engine.loader import read_definitions, shipped_definitions_dir, store_definitions
from phancap.engine.queries import history, list_tasks
from tests.bdd.conftest import Ctx, _cells, step

pytestmark = pytest.mark.bdd

scenarios("sua_doi_ke_hoach.feature")


def _block(source: str, number: str) -> tuple[int, int]:
    start = source.index(f'  - number: "{number}"')
    following = source.find("  - number: ", start + 5)
    return start, len(source) if following < 0 else following


def _counts(ctx: Ctx) -> tuple[Any, ...]:
    with ctx.db.engine.connect() as conn:
        counts = tuple(int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
                       for t in ("audit_event", "task_instance", "plan_task", "plan_version"))
        definition = conn.execute(text("SELECT definition FROM plan WHERE code = :c"), {"c": ctx.seen["plan"]}).scalar_one()
    return (*counts, definition)


@given(step('tệp kế hoạch "{plan:Q}" đã sửa: thời hạn nhiệm vụ {first:So} thành "{phrase1:Q}", nhiệm vụ {second:So} '
            'thành "{phrase2:Q}", bãi bỏ nhiệm vụ {struck:So}'))
def amended_file(ctx: Ctx, tmp_path: Path, plan: str, first: str, phrase1: str, second: str, phrase2: str,
                 struck: str) -> None:
    source = (shipped_definitions_dir() / "plans" / f"{plan}.yaml").read_text(encoding="utf-8")
    for number, phrase in ((first, phrase1), (second, phrase2)):
        start, end = _block(source, number)
        block = source[start:end]
        head, _, rest = block.partition("    deadline:\n")
        tail = rest[rest.index("    workflow:"):]
        source = source[:start] + head + f'    deadline:\n      phrase: "{phrase}"\n' + tail + source[end:]
    start, end = _block(source, struck)
    source = source[:start] + source[end:]
    path = tmp_path / f"{plan}-sua-doi.yaml"
    path.write_text(source, encoding="utf-8")
    ctx.seen.update(plan=plan, file=path, first=first, second=second, struck=struck)
    ctx.seen["counts"] = _counts(ctx)


@when("nạp tệp kế hoạch đã sửa")
def load_amended(ctx: Ctx) -> None:
    try:
        store_definitions(ctx.db, read_definitions(ctx.seen["file"], set(ctx.engine.workflows)), ctx.clock,
                          ctx.engine.workflows)
    except AmendmentRefused as refused:
        ctx.seen["refused"] = refused
    else:
        ctx.seen["refused"] = None


@then(step('việc nạp bị từ chối và không có gì thay đổi; lý do có nêu "{first:Q}" và "{second:Q}"'))
def load_refused(ctx: Ctx, first: str, second: str) -> None:
    refused = ctx.seen["refused"]
    assert refused is not None, "việc nạp không bị từ chối"
    assert first in refused.message_en and second in refused.message_en and second in refused.message_vi
    assert _counts(ctx) == ctx.seen["counts"]


def _amend(ctx: Ctx, number: str, day: date, dry_run: bool) -> None:
    plan = read_amending_plan(ctx.seen["file"], ctx.db, set(ctx.engine.workflows))
    ctx.seen["amendment"] = amend_plan(ctx.db, plan, ctx.engine.workflows, ctx.clock, number=number, on=day,
                                       dry_run=dry_run).to_json()


@when(step('xem trước việc sửa đổi theo văn bản số "{number:Q}" ngày {day:D}'))
def preview(ctx: Ctx, number: str, day: date) -> None:
    _amend(ctx, number, day, True)


@then("bản xem trước gồm:")
def preview_has(ctx: Ctx, datatable: list[list[str]]) -> None:
    shown = [(t["task"], t["change"], ", ".join(f["field"] for f in t["fields"]) if t["change"] == "changed" else "")
             for t in ctx.seen["amendment"]["changes"]["tasks"]]
    assert shown == [(r["nhiệm vụ"], r["thay đổi"], r["trường"]) for r in _cells(datatable)]


@then("không có gì thay đổi")
def nothing_changed(ctx: Ctx) -> None:
    assert _counts(ctx) == ctx.seen["counts"]


@when(step('áp dụng việc sửa đổi theo văn bản số "{number:Q}" ngày {day:D}'))
def apply(ctx: Ctx, number: str, day: date) -> None:
    ctx.seen["before"] = {int(t["id"]): (t["state"], history(ctx.db, int(t["id"])))
                          for t in list_tasks(ctx.db, plan=ctx.seen["plan"])}
    _amend(ctx, number, day, False)


@then(step('dòng cuối của lịch sử là việc sửa đổi của hệ thống theo văn bản số "{number:Q}" ngày {day:D}, '
           'thời hạn cũ {old:D} và thời hạn mới {new:D}'))
def last_is_amendment(ctx: Ctx, number: str, day: date, old: date, new: date) -> None:
    last = history(ctx.db, int(ctx.task_id or 0))[-1]
    assert (last["trigger"], last["actor"], last["role"]) == ("amend", "system", "system"), last
    assert last["data"]["document"] == {"number": number, "date": day.isoformat()}
    assert (last["data"]["deadline_from"], last["data"]["deadline_to"]) == (old.isoformat(), new.isoformat())
    assert number in str(last["comment"])


@then(step("mỗi bản đang mở của nhiệm vụ {first:So} và {second:So} có đúng một sự kiện sửa đổi"))
def one_event_each(ctx: Ctx, first: str, second: str) -> None:
    before = ctx.seen["before"]
    for task in list_tasks(ctx.db, plan=ctx.seen["plan"]):
        state, old = before[int(task["id"])]
        added = history(ctx.db, int(task["id"]))[len(old):]
        if task["task"] in (first, second) and state not in ("approved", "withdrawn"):
            assert [e["trigger"] for e in added] == ["amend"], (task, added)
        elif task["task"] != ctx.seen["struck"]:
            assert added == [], (task, added)


@then(step('nhiệm vụ {number:So} của "{unit:Q}" ở trạng thái "{label:Q}", lý do có nêu "{fragment:Q}"'))
def withdrawn_by_document(ctx: Ctx, number: str, unit: str, label: str, fragment: str) -> None:
    row = next(t for t in list_tasks(ctx.db, plan=ctx.seen["plan"], unit=ctx.unit_code(unit)) if t["task"] == number)
    states = ctx.engine.workflows[row["workflow"]].workflow.states
    assert states[row["state"]].label == label, row
    assert fragment in str(history(ctx.db, int(row["id"]))[-1]["comment"])


@then(step('nhiệm vụ {number:So} của "{unit:Q}" vẫn "{label:Q}", lịch sử không đổi'))
def untouched(ctx: Ctx, number: str, unit: str, label: str) -> None:
    row = next(t for t in list_tasks(ctx.db, plan=ctx.seen["plan"], unit=ctx.unit_code(unit)) if t["task"] == number)
    states = ctx.engine.workflows[row["workflow"]].workflow.states
    assert states[row["state"]].label == label, row
    assert history(ctx.db, int(row["id"])) == ctx.seen["before"][int(row["id"])][1]


@then(step('kế hoạch "{plan:Q}" có phiên bản 1 ban đầu và phiên bản 2 theo văn bản số "{number:Q}" ngày {day:D}'))
def versions_kept(ctx: Ctx, plan: str, number: str, day: date) -> None:
    assert [(v["version"], v["number"], v["date"]) for v in plan_versions(ctx.db, plan)] == [
        (1, None, None), (2, number, day.isoformat())]
