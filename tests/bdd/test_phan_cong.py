"""Phân công chuyên viên xử lý: features/phan_cong.feature, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from pytest_bdd import scenarios, then, when

from phancap.engine.assignment import assign_officer
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.notifications import notifications
from phancap.engine.queue import queue
from phancap.engine.users import User, get_user
from tests.bdd.conftest import Ctx, step

pytestmark = pytest.mark.bdd

scenarios("phan_cong.feature")


def _user(ctx: Ctx, name: str) -> User:
    found = get_user(ctx.db, name)
    assert found is not None, f"không có người dùng '{name}'"
    return found


@when(step('"{head:Q}" phân công "{officer:Q}" xử lý nhiệm vụ'))
def assign(ctx: Ctx, head: str, officer: str) -> None:
    ctx.before = ctx.snapshot()
    ctx.result, ctx.refusal = None, None
    try:
        ctx.seen["assigned"] = assign_officer(ctx.engine, int(ctx.task_id or 0), head, officer)
    except TransitionNotAllowed as refusal:
        ctx.refusal = refusal


@then(step('nhiệm vụ được phân công cho "{officer:Q}", vẫn do "{unit:Q}" chủ trì, ở trạng thái "{label:Q}"'))
def assigned(ctx: Ctx, officer: str, unit: str, label: str) -> None:
    assert ctx.refusal is None, f"thao tác bị từ chối: {ctx.refusal}"
    row = ctx.task()
    assert (ctx.task_column("assignee"), row["unit"], ctx.state_label(row["state"])) == (officer, ctx.unit_code(unit), label)


@then(step('nhiệm vụ đứng đầu danh sách chờ xử lý của "{name:Q}"'))
def first_in_queue(ctx: Ctx, name: str) -> None:
    items = queue(ctx.engine, _user(ctx, name)).items
    assert items and int(items[0]["id"]) == ctx.task_id and items[0]["assignee"] == name


@then(step('"{name:Q}" có thông báo "{label:Q}" về nhiệm vụ'))
def notified(ctx: Ctx, name: str, label: str) -> None:
    found = notifications(ctx.engine, _user(ctx, name))
    assert (label, ctx.task_id) in [(n["label"], n["task"]) for n in found.items] and found.unread >= 1


@then(step('"{name:Q}" không có thông báo nào'))
def not_notified(ctx: Ctx, name: str) -> None:
    assert notifications(ctx.engine, _user(ctx, name)).items == []
