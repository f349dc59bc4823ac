"""The queue "Chờ tôi xử lý" (issue 15): what awaits a user's decision now, as the workflow's grants,
guards and separation of duties decide; a reviewer who sees hundreds of tasks sees the one submitted;
returned tasks say why; pending extensions wait for the assigner; withdrawals, comments and urging never
fill a queue. The task search takes the same filters, with or without diacritics."""

from __future__ import annotations

import random
from datetime import date

from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.queue import queue
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import User, add_user, get_user
from phancap.engine.visibility import TaskFilter, search_tasks
from tests.helpers import instance


def user(engine: TaskEngine, name: str) -> User:
    found = get_user(engine.db, name)
    assert found is not None
    return found


def ids(engine: TaskEngine, name: str, f: TaskFilter | None = None) -> list[int]:
    return [int(i["id"]) for i in queue(engine, user(engine, name), f, limit=1000).items]


def test_a_reviewer_sees_the_one_task_submitted_to_them(seeded: TaskEngine) -> None:
    reviewer = user(seeded, "dm.stp")
    visible = search_tasks(seeded.db, reviewer, TaskFilter(), seeded.clock.today(), seeded.status, limit=1)[1]
    assert visible > 170 and ids(seeded, "dm.stp") == []
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    assert tid in ids(seeded, "cv.sct")  # the officer's to send
    seeded.fire(tid, "submit_for_review", "cv.sct")
    found = queue(seeded, reviewer)
    assert found.total == 1 and [int(i["id"]) for i in found.items] == [tid]
    assert [a["trigger"] for a in found.items[0]["actions"]] == ["submit", "return"]  # not comment, urge
    assert found.items[0]["category"] == "open_on_time" and found.items[0]["returned"] is None
    assert tid not in ids(seeded, "cv.sct")  # nothing awaits the officer on it now

    seeded.fire(tid, "return", "dm.stp", comment="Bổ sung danh mục văn bản")
    assert ids(seeded, "dm.stp") == []
    back = next(i for i in queue(seeded, user(seeded, "cv.sct"), limit=100).items if int(i["id"]) == tid)
    assert back["returned"] == {"actor": "dm.stp", "at": back["returned"]["at"], "comment": "Bổ sung danh mục văn bản"}


def test_a_pending_extension_waits_for_the_assigner_and_withdrawal_never_queues(seeded: TaskEngine) -> None:
    assert ids(seeded, "pd.ubnd") == []  # the approver may withdraw every task: none of them waits for it
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    seeded.fire(tid, "request_extension", "cv.sct", comment="Chờ ý kiến Bộ", proposed_deadline=date(2025, 5, 31))
    waiting = queue(seeded, user(seeded, "pd.ubnd")).items
    assert [int(i["id"]) for i in waiting] == [tid]
    assert [a["trigger"] for a in waiting[0]["actions"]] == ["grant_extension", "refuse_extension"]
    seeded.fire(tid, "grant_extension", "pd.ubnd")
    assert ids(seeded, "pd.ubnd") == []


def test_separation_of_duties_keeps_ones_own_work_out_of_ones_queue(seeded: TaskEngine) -> None:
    add_user(seeded.db, "cv.ca.hai", "HN-STP", ["officer", "reviewer"], seeded.clock)  # leads and reviews
    own = instance(seeded.db, "HN-2025", "1.1", "HN-STP")  # Sở Tư pháp leads it and tracks it as focal
    assert own["focal"] == "HN-STP"
    seeded.fire(int(own["id"]), "submit_for_review", "cv.ca.hai")
    assert int(own["id"]) not in ids(seeded, "cv.ca.hai")  # they may review, but they sent it: duty
    assert int(own["id"]) in ids(seeded, "dm.stp")  # a colleague reviews it


def test_queue_and_search_filters_with_or_without_diacritics(seeded: TaskEngine) -> None:
    officer = user(seeded, "cv.sct")
    everything = ids(seeded, "cv.sct")
    assert len(everything) >= 5
    deadlines = [i["deadline"] for i in queue(seeded, officer, limit=100).items]
    dated = [d for d in deadlines if d is not None]
    assert dated == sorted(dated) and deadlines[-len(deadlines) + len(dated):] == [None] * (len(deadlines) - len(dated))
    by_words = ids(seeded, "cv.sct", TaskFilter(q="ra soat danh muc"))
    assert by_words == ids(seeded, "cv.sct", TaskFilter(q="Rà soát DANH MỤC")) and len(by_words) == 1
    april = ids(seeded, "cv.sct", TaskFilter(deadline_from=date(2025, 4, 1), deadline_to=date(2025, 4, 30)))
    assert april and set(april) < set(everything)
    auditor = user(seeded, "kiemtoan")
    today, rules = seeded.clock.today(), seeded.status
    focal, total = search_tasks(seeded.db, user(seeded, "dm.snv"), TaskFilter(relation="focal", sort="urgency"),
                                today, rules, limit=500)
    assert total == len(focal) and {i["focal"] for i in focal} == {"HN-SNV"}
    typed, n = search_tasks(seeded.db, auditor, TaskFilter(q="so tu phap", plan="HN-2025"), today, rules, limit=5)
    assert n > 0 and all("Tư pháp" in (i["unit_name"] or "") + (i["focal_name"] or "") + (i["title"] or "")
                         + (i["content"] or "") for i in typed)
    coordinating, _ = search_tasks(seeded.db, officer, TaskFilter(relation="coordinator"), today, rules, limit=50)
    assert coordinating and all("HN-SCT" in i["coordinators"] for i in coordinating)
    assert not ids(seeded, "cv.sct", TaskFilter(category="open_overdue"))  # 1 April: nothing is late yet


def test_the_batched_check_answers_as_each_task_checked_alone(seeded: TaskEngine) -> None:
    """The queue checks its candidates in batches (TaskEngine.triggers_many); for every user and every
    instance, after some history (submitted, returned, forwarded: separation of duties in play), the
    batch gives what `triggers` gives for that one instance, and leaves out what the user has no part in."""
    sct = [int(instance(seeded.db, "HN-2025", n, "HN-SCT")["id"]) for n in ("1.1", "1.3", "2.1")]
    seeded.fire(sct[0], "submit_for_review", "cv.sct")
    seeded.fire(sct[0], "return", "dm.stp", comment="Bổ sung")
    seeded.fire(sct[0], "submit_for_review", "cv.sct")
    seeded.fire(sct[1], "submit_for_review", "cv.sct")
    with seeded.db.read() as cur:
        cur.execute("SELECT id FROM task_instance ORDER BY id")
        every = [int(r[0]) for r in cur.fetchall()]
        cur.execute("SELECT name FROM app_user WHERE active ORDER BY name")
        names = [r[0] for r in cur.fetchall()]
    assert len(every) > 500
    every = sorted(set(sct) | set(random.Random(15).sample(every, 60)))  # each checked alone for each user
    assert len(names) > 10
    checked = 0
    for name in names:
        batch = seeded.triggers_many(every, name)
        for tid in every:
            try:
                alone = [t.trigger for t in seeded.triggers(tid, name)]
            except TransitionNotAllowed:
                assert tid not in batch
                continue
            assert [t.trigger for t in batch[tid]] == alone, (name, tid)
            checked += 1
    assert checked > 100
