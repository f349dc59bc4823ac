"""Kế thừa đơn vị: features/ke_thua_don_vi.feature, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from pytest_bdd import scenarios, then, when

from phancap.engine.queries import history, list_tasks
from phancap.engine.succession import succeed_units
from phancap.engine.unit_changes import list_changes
from phancap.engine.users import get_user
from tests.bdd.conftest import Ctx, step

pytestmark = pytest.mark.bdd

scenarios("ke_thua_don_vi.feature")


@when(step('"{admin:Q}" ghi nhận đơn vị "{new:Q}" kế thừa "{old:Q}" từ ngày {day:D} theo "{decision:Q}"'))
def succession(ctx: Ctx, admin: str, new: str, old: str, day: date, decision: str) -> None:
    ctx.seen["histories"] = {int(t["id"]): history(ctx.db, int(t["id"])) for t in list_tasks(ctx.db, plan="KT-2025")}
    user = get_user(ctx.db, admin)
    assert user is not None
    ctx.seen["succession"] = succeed_units(ctx.db, ctx.engine.workflows, ctx.clock, user, [ctx.unit_code(old)], new,
                                           day, decision)


@then(step('việc kế thừa được lên lịch cho ngày {day:D} và nhiệm vụ vẫn do "{unit:Q}" chủ trì'))
def scheduled(ctx: Ctx, day: date, unit: str) -> None:
    result = ctx.seen["succession"]
    assert (result["status"], result["effective"], result["moved"]) == ("scheduled", day.isoformat(), 0)
    assert [(c["id"], c["status"]) for c in list_changes(ctx.db)] == [(result["scheduled"], "scheduled")]
    still(ctx, unit)


@then(step('nhiệm vụ vẫn do "{unit:Q}" chủ trì'))
def still(ctx: Ctx, unit: str) -> None:
    assert ctx.task()["unit"] == unit
    assert all(e["trigger"] != "transfer" for e in history(ctx.db, int(ctx.task_id or 0)))


@then("sự kiện chuyển do hệ thống ghi theo lịch đã lên")
def by_the_system(ctx: Ctx) -> None:
    last = history(ctx.db, int(ctx.task_id or 0))[-1]
    assert (last["actor"], last["data"]["scheduled_change"]) == ("system", ctx.seen["succession"]["scheduled"])
    assert [c["status"] for c in list_changes(ctx.db)] == ["applied"]


@then(step('nhiệm vụ do "{unit:Q}" chủ trì, dòng cuối của lịch sử ghi đơn vị cũ "{old:Q}" và quyết định "{decision:Q}"'))
def moved(ctx: Ctx, unit: str, old: str, decision: str) -> None:
    assert ctx.task()["unit"] == unit
    events = history(ctx.db, int(ctx.task_id or 0))
    added = events[len(ctx.seen["histories"][int(ctx.task_id or 0)]):]
    assert [e["trigger"] for e in added if e["trigger"] != "mark_overdue"] == ["transfer"]  # exactly one transfer
    assert (events[-1]["trigger"], events[-1]["data"]["unit_from"], events[-1]["data"]["decision"]) == (
        "transfer", old, decision)


@then(step('nhiệm vụ {number:So} của kế hoạch "{plan:Q}" vẫn do "{unit:Q}" chủ trì, đã phê duyệt, lịch sử không đổi'))
def kept(ctx: Ctx, number: str, plan: str, unit: str) -> None:
    rows = [t for t in list_tasks(ctx.db, plan=plan, unit=unit) if t["task"] == number]
    assert len(rows) == 1 and rows[0]["state"] == "approved", rows
    assert history(ctx.db, int(rows[0]["id"])) == ctx.seen["histories"][int(rows[0]["id"])]


@then(step('"{name:Q}" không còn hoạt động'))
def inactive(ctx: Ctx, name: str) -> None:
    assert not ctx.scalar("SELECT active FROM unit WHERE code = :c", c=ctx.unit_code(name))
