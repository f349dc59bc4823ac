"""Who may do what: every permission the web pages, the API and the command line check, named once.

Transitions are not here: the workflow YAML grants each one to role@relation and the machine decides
(engine/machine.py). What is here are the permissions around them: seeing everything, reading the
audit trail, urging, opening a report period, importing and activating plans, the roll-up, moving the
demo clock, signing on behalf of, raising a difficulty. A permission is held through roles; some also
need a relation (the plan's own monitor opens its report periods). Unknown means refused."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from phancap.engine.errors import Forbidden
from phancap.engine.users import User
from phancap.engine.workflow import Grant, TransitionDef, Workflow


class RoleHolder(Protocol):
    """A user, or the engine's actor: anything that holds roles."""

    @property
    def roles(self) -> Collection[str]: ...


@dataclass(frozen=True)
class Permission:
    """A named permission held through any of `roles`; refused with `rule` and the reason."""

    name: str
    roles: frozenset[str]
    message_vi: str
    message_en: str
    rule: str = "forbidden"

    def allows(self, user: RoleHolder | None) -> bool:
        return user is not None and bool(self.roles & set(user.roles))

    def require(self, user: User) -> None:
        if not self.allows(user):
            raise Forbidden(self.rule, self.message_vi, self.message_en)


# Auditors and monitors see every instance, read-only: seeing grants no transition.
SEE_ALL = Permission("see_all", frozenset({"auditor", "monitor"}),
                     "Chỉ kiểm toán và theo dõi, đôn đốc được xem mọi nhiệm vụ", "only auditors and monitors see everything")
READ_AUDIT = Permission("read_audit", frozenset({"auditor", "monitor"}),
                        "Chỉ kiểm toán và theo dõi, đôn đốc được xem nhật ký",
                        "only auditors and monitors may read the audit trail")
IMPORT_PLANS = Permission("import_plans", frozenset({"admin", "monitor"}),
                          "Chỉ quản trị và theo dõi, đôn đốc được nhập kế hoạch", "only admins and monitors may import plans")
# Drafts and imports of any registry; everyone else who imports works in their own unit's registry.
EDIT_ANY_DRAFT = Permission("edit_any_draft", frozenset({"admin"}),
                            "Chỉ quản trị được xử lý bản nháp của mọi danh mục tổ chức",
                            "only admins handle drafts of every registry", rule="not_found")
ACTIVATE_PLANS = Permission("activate_plans", frozenset({"admin"}),
                            "Chỉ quản trị được kích hoạt kế hoạch", "only admins may activate plans")
AMEND_PLANS = Permission("amend_plans", frozenset({"admin"}),
                         "Chỉ quản trị được áp dụng văn bản sửa đổi, bổ sung kế hoạch",
                         "only admins may apply an amendment to a plan")
SEE_ROLLUP = Permission("see_rollup", frozenset({"monitor", "auditor", "approver", "admin"}),
                        "Chỉ cơ quan theo dõi, kiểm tra, phê duyệt xem được tổng hợp nhiều cấp",
                        "only monitors, auditors, approvers and administrators see the roll-up", rule="role")
# Who keeps the roll-up of every plan; the others of SEE_ROLLUP see it for the plans of their own
# registry (region) or of a unit they are (issuer, authority, monitor, justice body).
ROLLUP_EVERYWHERE = frozenset({"auditor", "admin"})
ROLLUP_SCOPE_REFUSAL = ("Chỉ đơn vị thuộc cùng địa phương hoặc có liên quan đến kế hoạch mới xem được tổng hợp nhiều cấp",
                        "the roll-up is for units of the plan's registry or related to the plan")
# Opening a report period: an administrator, or a monitor of the plan's own monitoring body.
OPEN_REPORT_PERIOD = Permission("open_report_period", frozenset({"admin"}),
                                "Chỉ cơ quan theo dõi của kế hoạch hoặc quản trị viên được tạo kỳ báo cáo",
                                "only the plan's monitor or an administrator may create reports")
REBUILD_COUNTERS = Permission("rebuild_counters", frozenset({"admin"}),
                              "Chỉ quản trị được tính lại bộ đếm tiến độ", "only admins may rebuild the status counters")
MONITOR_ROLE = "monitor"
URGE_TRIGGER = "urge"
SIGNING_ROLE = "approver"  # who approves may sign on behalf of (KT., TL., TUQ.)
URGE_REFUSAL = ("Chỉ cơ quan đầu mối theo dõi hoặc Sở Nội vụ / Phòng Nội vụ được đôn đốc",
                "only the focal agency or the monitor may urge")
CLOCK_REFUSAL = ("Chỉ chế độ trình diễn mới được chỉnh thời gian",
                 "the clock can be moved only in demo mode (PHANCAP_DEMO=1)")


def sees_all(user: RoleHolder) -> bool:
    return SEE_ALL.allows(user)


def may_upload_evidence(sees_task: bool, may_act_now: bool) -> bool:
    """Evidence is uploaded for a task by someone who sees it and may act on it now (holds a grant on one of its
    transitions); checked before the upload's body is read."""
    return sees_task and may_act_now


def may_audit(user: User | None) -> bool:
    return READ_AUDIT.allows(user)


def may_import(user: User | None) -> bool:
    return IMPORT_PLANS.allows(user)


def may_edit_draft(user: User | None, user_region: str | None, draft_region: str) -> bool:
    """Whether the user may see, map, validate (and, with may_activate, activate) a draft of
    `draft_region`: importers of that registry (their unit's region), admins for every registry.
    A draft outside the user's registry is answered like a missing one (rule not_found)."""
    if not may_import(user):
        return False
    return EDIT_ANY_DRAFT.allows(user) or (bool(draft_region) and draft_region == user_region)


def draft_region_of(user: User | None, user_region: str | None) -> str | None:
    """The one registry the user's imports are limited to; None: every registry (admins)."""
    return None if EDIT_ANY_DRAFT.allows(user) else (user_region or "")


def may_activate(user: User | None) -> bool:
    return ACTIVATE_PLANS.allows(user)


def may_see_rollup(user: User | None) -> bool:
    """Whether the user may see roll-ups at all (of some plan); `may_see_plan_rollup` decides per plan."""
    return SEE_ROLLUP.allows(user)


def may_see_plan_rollup(user: User | None, user_region: str | None, plan: Mapping[str, Any]) -> bool:
    """The roll-up of one plan (`plan`: region, issuer, authority, monitor, justice): auditors and
    administrators see every plan's; monitors and approvers only those of their own registry or of a
    plan their unit issues, approves, monitors or appraises."""
    if user is None or not SEE_ROLLUP.allows(user):
        return False
    if ROLLUP_EVERYWHERE & set(user.roles):
        return True
    related = {plan.get(k) for k in ("issuer", "authority", "monitor", "justice")} - {None}
    return (user_region is not None and user_region == plan.get("region")) or user.unit in related


def require_plan_rollup(user: User, user_region: str | None, plan: Mapping[str, Any]) -> None:
    SEE_ROLLUP.require(user)
    if not may_see_plan_rollup(user, user_region, plan):
        raise Forbidden("forbidden", *ROLLUP_SCOPE_REFUSAL)


def tracks(user: User, task: Mapping[str, Any], plan_monitor: str) -> bool:
    """Whether the user's unit follows a plan task on the dashboard: as its focal agency, its approving
    authority or the plan's monitor (everything for those who see all)."""
    return sees_all(user) or user.unit in (task.get("focal"), task.get("authority")) or user.unit == plan_monitor


def receives(user: User, report: Mapping[str, Any]) -> bool:
    """Whether the dashboard lists a report for the user: one of its recipients' (everything for those who
    see all). `recipients` as engine.report_recipients.with_recipients gives them."""
    return sees_all(user) or any(r["unit"] == user.unit for r in report.get("recipients") or [])


def may_open_report_period(user: User, plan_monitor: str) -> bool:
    return OPEN_REPORT_PERIOD.allows(user) or (MONITOR_ROLE in user.roles and user.unit == plan_monitor)


def require_open_report_period(user: User, plan_monitor: str) -> None:
    if not may_open_report_period(user, plan_monitor):
        raise Forbidden(OPEN_REPORT_PERIOD.rule, OPEN_REPORT_PERIOD.message_vi, OPEN_REPORT_PERIOD.message_en)


def urge_grants(workflows: Iterable[Workflow]) -> tuple[Grant, ...]:
    """Who the workflows grant urging to (monitor@monitor, reviewer@focal in plan_task.yaml)."""
    found: dict[str, Grant] = {}
    for workflow in workflows:
        for t in workflow.transitions:
            if t.trigger == URGE_TRIGGER:
                found.update({str(g): g for g in t.grants})
    return tuple(found.values())


def urging_relations(user: User, workflows: Iterable[Workflow]) -> tuple[str, ...]:
    """The relations through which the user may urge a task (empty: the user may not urge at all)."""
    return tuple(sorted({g.relation for g in urge_grants(workflows) if g.role in user.roles and g.relation}))


def may_urge(user: User, workflows: Iterable[Workflow]) -> bool:
    return bool(urging_relations(user, workflows))


def require_urge(user: User, workflows: Iterable[Workflow]) -> None:
    if not may_urge(user, workflows):
        raise Forbidden("forbidden", *URGE_REFUSAL)


def require_clock(demo: bool) -> None:
    if not demo:
        raise Forbidden("forbidden", *CLOCK_REFUSAL)


def holds(user: RoleHolder, grants: Iterable[Grant], relations: Iterable[str]) -> Grant | None:
    """The first grant the user holds through one of its unit's relations to a task, if any."""
    held = set(relations)
    return next((g for g in grants if g.role in user.roles and g.relation in held), None)


def signs_on_behalf(user: User, transition: TransitionDef, relations: Iterable[str]) -> bool:
    """Whether firing this transition may carry a signing capacity (KT., TL., TUQ.): the approver signs."""
    held = set(relations)
    return any(g.role == SIGNING_ROLE and g.role in user.roles and g.relation in held for g in transition.grants)


def difficulty_grant(user: RoleHolder, difficulty: Workflow, relations: Iterable[str]) -> Grant | None:
    """The difficulty workflow's `opened_by` grant through which the user may raise one on a task."""
    return holds(user, difficulty.opened_by, relations)


def may_raise_difficulty(user: RoleHolder, difficulty: Workflow, relations: Iterable[str]) -> bool:
    return difficulty_grant(user, difficulty, relations) is not None


# Managing an organisation registry (units added, renamed, deactivated): an administrator, of that
# registry only (the registry of the administrator's own unit).
MANAGE_REGISTRY = Permission("manage_registry", frozenset({"admin"}),
                             "Chỉ quản trị viên được quản lý danh mục tổ chức", "only administrators manage the registry",
                             rule="role")


MANAGE_USERS = Permission("manage_users", frozenset({"admin"}),
                          "Chỉ quản trị viên được quản lý người dùng", "only administrators manage users", rule="role")
# Administrative events: administrators read those of their registry, auditors every one.
READ_ADMIN_EVENTS = Permission("read_admin_events", frozenset({"admin", "auditor"}),
                               "Chỉ quản trị viên và kiểm toán được xem nhật ký quản trị",
                               "only administrators and auditors read the administrative log", rule="role")


def may_administer(user: User | None) -> bool:
    return MANAGE_USERS.allows(user)


def admin_events_scope(user: User, user_region: str | None) -> str | None:
    """The registry whose administrative events the user reads (None: every registry), or Forbidden."""
    READ_ADMIN_EVENTS.require(user)
    return None if "auditor" in user.roles else user_region


def may_manage_registry(user: User | None, user_region: str | None, region: str) -> bool:
    return MANAGE_REGISTRY.allows(user) and user_region == region


def require_manage_registry(user: User, user_region: str | None, region: str) -> None:
    MANAGE_REGISTRY.require(user)
    if user_region != region:
        raise Forbidden("role", f"Quản trị viên của danh mục {user_region} không quản lý danh mục {region}",
                        f"an administrator of registry {user_region} does not manage registry {region}")
