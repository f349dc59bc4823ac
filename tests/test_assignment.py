"""Assignment inside a unit ("phân công chuyên viên xử lý", issue 15): the head of the lead unit assigns
an open task to one active officer of the unit, reassigns or unassigns it, each an audited event; refusals
say why and change nothing; the assignee finds it first in the queue; the unit still owns it."""

from __future__ import annotations

import pytest

from phancap.engine.assignment import assign_officer
from phancap.engine.queries import history, verify_audit
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.queue import queue
from phancap.engine.runtime import TaskEngine
from phancap.engine.user_admin import set_user_active
from phancap.engine.users import User, add_user, get_user
from phancap.engine.visibility import visible_task
from tests.helpers import audit_count, instance


def user(engine: TaskEngine, name: str) -> User:
    found = get_user(engine.db, name)
    assert found is not None
    return found


def task_id(engine: TaskEngine, task: str = "1.1", unit: str = "HN-SCT") -> int:
    return int(instance(engine.db, "HN-2025", task, unit)["id"])


def test_the_head_assigns_reassigns_and_unassigns_each_audited(seeded: TaskEngine) -> None:
    add_user(seeded.db, "cv2.sct", "HN-SCT", ["officer"], seeded.clock)
    tid = task_id(seeded)
    done = assign_officer(seeded, tid, "ld.sct", "cv.sct", version=1, comment="Đồng chí Hải xử lý")
    assert (done["assignee"], done["assignee_from"], done["state"], done["version"]) == ("cv.sct", None, "assigned", 2)
    assign_officer(seeded, tid, "ld.sct", "cv2.sct")
    assign_officer(seeded, tid, "ld.sct", None)
    events = [e for e in history(seeded.db, tid) if e["trigger"] == "assign_officer"]
    assert [(e["actor"], e["role"], e["from"], e["to"]) for e in events] == [("ld.sct", "head", "assigned", "assigned")] * 3
    assert [(e["data"]["assignee_from"], e["data"]["assignee_to"]) for e in events] == [
        (None, "cv.sct"), ("cv.sct", "cv2.sct"), ("cv2.sct", None)]
    assert events[0]["comment"] == "Đồng chí Hải xử lý"
    assert visible_task(seeded.db, user(seeded, "cv.sct"), tid)["assignee"] is None  # type: ignore[index]
    assert verify_audit(seeded.db).ok


@pytest.mark.parametrize("head, to, rule, words", [
    ("cv.sct", "cv.sct", "role", "không được giao quyền"),       # an officer is not the head
    ("ld.sct", "cv.phtp", "guard", "không thuộc đơn vị chủ trì"),  # an officer of another unit
    ("ld.sct", "dm.stp", "guard", "không thuộc đơn vị chủ trì"),
    ("ld.sct", "nobody", "guard", "Không có người dùng"),
    ("ld.sct", "ld.sct", "guard", "không phải chuyên viên"),     # the head holds no officer role
])
def test_refusals_say_why_and_change_nothing(seeded: TaskEngine, head: str, to: str, rule: str, words: str) -> None:
    tid = task_id(seeded)
    before = audit_count(seeded.db, tid)
    with pytest.raises(TransitionNotAllowed) as refused:
        assign_officer(seeded, tid, head, to)
    assert refused.value.rule == rule and words in refused.value.message_vi and refused.value.message_en
    assert audit_count(seeded.db, tid) == before
    assert instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["version"] == 1


def test_an_inactive_officer_an_ended_task_and_the_plain_fire_are_refused(seeded: TaskEngine) -> None:
    add_user(seeded.db, "cv.nghi", "HN-SCT", ["officer"], seeded.clock)
    set_user_active(seeded.db, user(seeded, "admin"), seeded.clock, "cv.nghi", False)
    tid = task_id(seeded)
    with pytest.raises(TransitionNotAllowed, match="ngừng hoạt động"):
        assign_officer(seeded, tid, "ld.sct", "cv.nghi")
    with pytest.raises(TransitionNotAllowed) as bare:  # the generic fire names nobody: refused by the workflow
        seeded.fire(tid, "assign_officer", "ld.sct")
    assert bare.value.rule == "guard" and "phân công" in bare.value.message_vi
    seeded.fire(tid, "withdraw", "pd.ubnd", comment="Không còn phù hợp")
    with pytest.raises(TransitionNotAllowed) as ended:
        assign_officer(seeded, tid, "ld.sct", "cv.sct")
    assert ended.value.rule == "state" and "đã kết thúc" in ended.value.message_vi
    assert not [e for e in history(seeded.db, tid) if e["trigger"] == "assign_officer"]


def test_the_assignee_sees_it_first_and_colleagues_see_it_marked(seeded: TaskEngine) -> None:
    add_user(seeded.db, "cv2.sct", "HN-SCT", ["officer"], seeded.clock)
    mine = queue(seeded, user(seeded, "cv.sct"), limit=500).items
    last = int(mine[-1]["id"])
    assert len(mine) > 2 and all(i["assignee"] is None for i in mine)
    assign_officer(seeded, last, "ld.sct", "cv2.sct")
    first = queue(seeded, user(seeded, "cv2.sct"), limit=500).items
    assert int(first[0]["id"]) == last and first[0]["assignee"] == "cv2.sct"
    assert all(i["assignee"] is None for i in first[1:])
    colleague = {int(i["id"]): i for i in queue(seeded, user(seeded, "cv.sct"), limit=500).items}
    assert colleague[last]["assignee"] == "cv2.sct" and int(next(iter(colleague))) != last
    # the unit still owns it: nothing changes in who sees it
    assert visible_task(seeded.db, user(seeded, "cv.phtp"), last) is None
    assert visible_task(seeded.db, user(seeded, "ld.sct"), last) is not None
