"""Moving a ticket through its life: one function per request, each recorded as an append-only event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from dispatch.lifecycle import TRANSITIONS, IllegalTransition, after_rating, plan
from dispatch.schema import ticket_events, ticket_units, tickets
from dispatch.tickets import as_dict, assign_units, event, owns, utc
from dispatch.workcal import extend
from jiesu.database import Database


@dataclass(frozen=True)
class Actor:
    """Who acts: a role, a name for the event log, and for a unit handler the unit."""

    role: str  # handler, supervisor, agent, admin, bot
    name: str
    unit_id: int | None = None


NEEDS_NOTE = {"return": "退单需要说明理由", "reply": "请填写回复内容", "resolve": "请填写办理结果"}


def _note(action: str, note: str | None) -> str | None:
    note = (note or "").strip() or None
    if action in NEEDS_NOTE and not note:
        raise IllegalTransition("missing_note", NEEDS_NOTE[action])
    if note and len(note) > 2000:
        raise IllegalTransition("bad_note", "说明不能超过2000字")
    return note


def _check_unit(conn: Connection, row: Any, actor: Actor, action: str) -> None:
    if actor.role != "handler":
        return
    roles = {
        r.role
        for r in conn.execute(
            select(ticket_units.c.role).where(
                ticket_units.c.ticket_id == row.id, ticket_units.c.unit_id == actor.unit_id
            )
        )
    }
    allowed = roles if action == "reply" else roles & {"main"}
    if not allowed:
        raise IllegalTransition("not_found", "未找到该工单")  # a unit does not learn of others' tickets


async def act(
    database: Database,
    ticket_id: str,
    action: str,
    actor: Actor,
    now: datetime,
    *,
    note: str | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Applies ``action`` to the ticket or raises IllegalTransition; the updated ticket."""
    params = params or {}
    note = _note(action, note)

    def apply(conn: Connection) -> Any:
        row = conn.execute(select(tickets).where(tickets.c.id == ticket_id).with_for_update()).first()
        if row is None:
            raise IllegalTransition("not_found", "未找到该工单")
        _check_unit(conn, row, actor, action)
        if (
            action == "rate"
            and actor.role == "bot"
            and not owns(row, params.get("sender_id"), params.get("phone_last4"))
        ):
            raise IllegalTransition("not_found", "未找到该工单")
        target = plan(action, row.status, actor.role)
        values: dict[str, Any] = {"status": target}
        text = note
        if action in ("dispatch", "reject_return"):
            names = params.get("units") if action == "dispatch" else list(row.units or [])
            if not names or not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
                raise IllegalTransition("missing_units", "请选择主办单位（可加协办单位）")
            values |= {"units": names, "unit_id": assign_units(conn, row.id, names), "dispatched_at": now}
            values |= {"accepted_at": None}
            text = "、".join(names) + (f"（{note}）" if note else "")
        elif action == "accept":
            values["accepted_at"] = now
        elif action == "return":
            values["returns"] = row.returns + 1
        elif action == "resolve":
            values["resolved_at"] = now
        elif action == "rate":
            rating = str(params.get("rating") or "")
            values["status"] = target = after_rating(rating)
            values |= {"rating": rating, "rating_comment": note, "rated_at": now}
            text = rating + (f"：{note}" if note else "")
            if target == "in_progress":
                values |= {"reopens": row.reopens + 1, "resolved_at": None}
        elif action == "request_extension":
            days = params.get("days")
            if not isinstance(days, int) or not 1 <= days <= 30:
                raise IllegalTransition("bad_days", "延期天数应为1到30个工作日")
            if row.extension_requested:
                raise IllegalTransition("pending_extension", "已有待审批的延期申请")
            values["extension_requested"] = days
            text = f"申请延期{days}个工作日" + (f"：{note}" if note else "")
        elif action in ("approve_extension", "reject_extension"):
            if not row.extension_requested:
                raise IllegalTransition("no_extension", "没有待审批的延期申请")
            values["extension_requested"] = None
            if action == "approve_extension":
                deadline = extend(utc(row.deadline), row.extension_requested)
                created = utc(row.created_at)
                values |= {"deadline": deadline, "warn_at": created + (deadline - created) / 2}
                values["warned_at"] = values["escalated_at"] = None
        elif action in ("track", "untrack"):
            values["tracked"] = 1 if action == "track" else 0
            values["reminded_at"] = now if action == "track" else None
        conn.execute(tickets.update().where(tickets.c.id == row.id).values(**values))
        kind = "reopened" if action == "rate" and target == "in_progress" else action
        conn.execute(ticket_events.insert().values(**event(row.id, now, actor.name, kind, target, text)))
        return conn.execute(select(tickets).where(tickets.c.id == row.id)).first()

    row = await database.write(apply)
    return as_dict(row, None, now)


ACTIONS = tuple(TRANSITIONS)
