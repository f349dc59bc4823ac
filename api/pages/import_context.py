"""What the draft page's correction forms show (issue 14): each task's fields beside the source lines it
was read from, with its deadline's reading; each proposed unit with its decision; what activating
would create. Only shaping: the values, the readings and the counts come from the engine."""

from __future__ import annotations

from datetime import date
from typing import Any

from phancap.engine.draft_activation import activation_preview
from phancap.engine.draft_edits import FIELD_LABELS_VI, FIELDS, RegionNames, deadline_reading, shown_value
from phancap.engine.draft_units import DECISION_LABELS_VI
from phancap.engine.drafts import Draft, draft_registry
from phancap.engine.db import Database
from phancap.engine.organisations import Registry

EDIT_PAGE = 40  # tasks in the correction form at a time (each carries eight fields and its source lines)
SOURCE_LINES = 12  # source lines shown beside one task at most
KIND_LABELS_VI = {"people_committee": "Ủy ban nhân dân", "people_council": "Hội đồng nhân dân",
                  "department": "Sở, ngành", "office": "Phòng, ban, trung tâm, văn phòng", "commune": "Xã",
                  "ward": "Phường", "township": "Thị trấn", "special_zone": "Đặc khu",
                  "ministry": "Bộ, cơ quan ngang bộ", "ministry_unit": "Đơn vị thuộc bộ"}


def _issued(draft: Draft) -> date | None:
    issued = draft.plan.get("issued")
    return issued if isinstance(issued, date) else None


def task_forms(draft: Draft, registry: Registry, raw_lines: list[str], rows: range,
               posted: dict[int, dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """One entry per task shown: its fields (the person's input when a save was refused, else the stored
    values), its source lines and its deadline's reading."""
    tasks = draft.plan.get("tasks") or []
    sources = draft.sources
    names = RegionNames.of(registry, draft.region)
    out = []
    for i in rows:
        task = tasks[i]
        source = sources[i] if i < len(sources) else {}
        first = int(source.get("first") or 0)
        last = max(first, int(source.get("last") or first))
        following = int(sources[i + 1].get("first") or 0) if i + 1 < len(sources) else 0
        if following > last + 1:  # continued prose up to the next task's first line, within the bound
            last = min(following - 1, first + SOURCE_LINES - 1)
        last = min(last, first + SOURCE_LINES - 1, len(raw_lines))
        lines = [(n, raw_lines[n - 1]) for n in range(first, last + 1)] if first else []
        values = {f: shown_value(task, f, names) for f in FIELDS}
        if posted and i in posted:
            values |= posted[i]
        out.append({"index": i, "task": task, "fields": values, "lines": lines, "written": source.get("written"),
                    "reading": deadline_reading(values["deadline"], _issued(draft)),
                    "edited": i in draft.edited})
    return out


def correction_context(db: Database, draft: Draft, raw_lines: list[str], edit_page: int | None,
                       workflows: list[tuple[str, str]], posted: dict[int, dict[str, str]] | None = None,
                       posted_units: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    registry = draft_registry(db, draft)
    editable = [i for i, t in enumerate(draft.plan.get("tasks") or []) if not t.get("heading")]
    pages = max(1, -(-len(editable) // EDIT_PAGE))
    page = min(max(1, edit_page or 1), pages)
    if posted:  # a refused save shows the page holding the person's first corrected task
        page = editable.index(min(posted)) // EDIT_PAGE + 1 if min(posted) in editable else page
    shown = editable[(page - 1) * EDIT_PAGE: page * EDIT_PAGE]
    proposals = [{**p, **(posted_units or {}).get(p["name"], {})} for p in draft.proposals]
    parents = sorted(((u.code, u.name) for u in registry.units.values()
                      if u.region == draft.region and u.kind in ("people_committee", "people_council", "department",
                                                                  "ministry", "commune", "ward", "special_zone",
                                                                  "township")), key=lambda u: u[1])
    preview = activation_preview(db, draft, registry)
    issued = _issued(draft)
    return {
        "task_forms": task_forms(draft, registry, raw_lines, range(0), posted) if not shown else
        [f for f in task_forms(draft, registry, raw_lines, range(shown[0], shown[-1] + 1), posted)
         if not f["task"].get("heading")],
        "edit_page": {"page": page, "pages": pages, "total": len(editable)},
        "field_labels": FIELD_LABELS_VI, "workflow_names": workflows,
        "proposals_form": proposals, "decision_labels": DECISION_LABELS_VI, "kind_labels": KIND_LABELS_VI,
        "parent_units": parents, "preview": preview,
        "issued_iso": issued.isoformat() if issued else "",
    }
