"""The ticket's state machine: which action moves which status to which, and who may do it.

Framework-free: the service layer asks ``plan`` and records the answer as an event.
"""

from __future__ import annotations

from dataclasses import dataclass

STATUS_LABELS = {
    "pending": "待派",
    "dispatched": "已派",
    "accepted": "已签收",
    "in_progress": "办理中",
    "resolved": "已办结",
    "visited": "已回访",
    "closed": "已关闭",
    "returned": "已退单",
}
OPEN_STATUSES = ("pending", "dispatched", "accepted", "in_progress", "returned")
UNIT_STATUSES = ("dispatched", "accepted", "in_progress")  # on a unit's clock

RATINGS = {"满意": 100, "基本满意": 80, "不满意": 0}


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (a note, an extension request, …)
    roles: tuple[str, ...]
    label: str


TRANSITIONS: dict[str, Transition] = {
    "dispatch": Transition(("pending", "returned"), "dispatched", ("agent", "admin"), "派单"),
    "accept": Transition(("dispatched",), "accepted", ("handler",), "签收"),
    "return": Transition(("dispatched", "accepted"), "returned", ("handler",), "退单"),
    "reject_return": Transition(("returned",), "dispatched", ("agent", "admin"), "驳回退单"),
    "reply": Transition(("accepted", "in_progress"), "in_progress", ("handler",), "回复进展"),
    "resolve": Transition(("accepted", "in_progress"), "resolved", ("handler",), "办结"),
    "rate": Transition(("resolved",), "visited", ("bot", "agent"), "回访评价"),
    "close": Transition(("visited", "resolved"), "closed", ("agent", "supervisor", "admin"), "关闭"),
    "request_extension": Transition(("accepted", "in_progress"), None, ("handler",), "申请延期"),
    "approve_extension": Transition(("accepted", "in_progress"), None, ("supervisor", "admin"), "批准延期"),
    "reject_extension": Transition(("accepted", "in_progress"), None, ("supervisor", "admin"), "驳回延期"),
    "track": Transition(("accepted", "in_progress"), None, ("supervisor", "admin"), "挂账"),
    "untrack": Transition(("accepted", "in_progress"), None, ("supervisor", "admin"), "销账"),
}


class IllegalTransition(Exception):
    """The action is not allowed now (wrong status, wrong role, missing reason)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def plan(action: str, status: str, role: str) -> str:
    """The status after ``action`` by ``role`` on a ticket in ``status``, or IllegalTransition."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise IllegalTransition("unknown_action", f"未知操作 {action}")
    if role not in transition.roles:
        raise IllegalTransition("forbidden", f"当前角色不能执行「{transition.label}」")
    if status not in transition.sources:
        raise IllegalTransition(
            "illegal_transition",
            f"工单状态为「{STATUS_LABELS.get(status, status)}」，不能执行「{transition.label}」",
        )
    return transition.target or status


def after_rating(rating: str) -> str:
    """不满意 reopens the ticket for its unit; otherwise the callback closes the loop (已回访)."""
    if rating not in RATINGS:
        raise IllegalTransition("bad_rating", "评价应为 满意、基本满意 或 不满意")
    return "in_progress" if rating == "不满意" else "visited"
