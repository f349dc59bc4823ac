"""Roles users hold and relations a user's unit can have to a task."""

from __future__ import annotations

ROLES: frozenset[str] = frozenset(
    {"officer", "head", "reviewer", "appraiser", "approver", "monitor", "auditor", "admin"}
)
SYSTEM_ROLE = "system"
SYSTEM_ACTOR = "system"

# How the acting user's unit relates to a task instance.
RELATIONS: dict[str, str] = {
    "lead": "the unit that carries out this instance (Chủ trì)",
    "focal": "the focal agency that tracks the task (Đầu mối chịu trách nhiệm theo dõi)",
    "authority": "the issuing authority that approves (UBND / HĐND)",
    "coordinator": "a coordinating unit (Phối hợp): may comment, never advance",
    "monitor": "the monitoring agency that urges (Sở Nội vụ / Phòng Nội vụ)",
    "justice": "the justice body that appraises drafts (Sở Tư pháp / Phòng Tư pháp)",
    "recipient": "a unit a periodic report is sent to (Nơi nhận): receives, accepts or returns it",
}

# The task instance's column each relation reads (coordinator: the unit is among `coordinators`).
RELATION_COLUMNS: dict[str, str] = {"lead": "unit", "focal": "focal", "authority": "authority",
                                    "monitor": "monitor", "justice": "justice"}
COORDINATOR = "coordinator"
RECIPIENT = "recipient"  # the unit is among the report's `report_recipient` rows

ROLE_LABELS_VI: dict[str, str] = {
    "officer": "Chuyên viên",
    "head": "Lãnh đạo đơn vị",
    "reviewer": "Đầu mối theo dõi",
    "appraiser": "Thẩm định",
    "approver": "Người phê duyệt",
    "monitor": "Theo dõi, đôn đốc",
    "auditor": "Kiểm toán, thanh tra",
    "admin": "Quản trị",
    SYSTEM_ROLE: "Hệ thống",
}

# Signing on behalf of (ký thay, thừa lệnh, thừa ủy quyền).
CAPACITIES: tuple[str, ...] = ("KT.", "TL.", "TUQ.")


def normalise_capacity(raw: str | None) -> str | None:
    """'kt' -> 'KT.', 'KT. Chủ tịch' -> 'KT. Chủ tịch'; None or '' -> None; anything else -> ValueError."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    head, _, rest = text.partition(" ")
    key = head.rstrip(".").upper() + "."
    if key not in CAPACITIES:
        raise ValueError(raw)
    return f"{key} {rest.strip()}".strip()
