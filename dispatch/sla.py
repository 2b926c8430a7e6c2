"""The clock's sweep: yellow reminders to the unit's leader, red escalation to the supervision office,
periodic reminders for 挂账 tickets. Idempotent: each reminder is recorded once (warned_at, escalated_at,
reminded_at), so running it often, or in two processes, is harmless beyond a duplicate-free event log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from dispatch.lifecycle import UNIT_STATUSES
from dispatch.schema import ticket_events, tickets, units
from dispatch.tickets import event
from dispatch.units import SUPERVISION_OFFICE
from jiesu.database import Database


@dataclass(frozen=True)
class SweepResult:
    warned: int
    escalated: int
    tracked_reminders: int


def _unit_name(conn: Connection, unit_id: int | None) -> str:
    if unit_id is None:
        return "承办单位"
    name = conn.execute(select(units.c.name).where(units.c.id == unit_id)).scalar()
    return str(name or "承办单位")


async def sweep(database: Database, now: datetime, tracked_reminder_days: int = 7) -> SweepResult:
    def run(conn: Connection) -> SweepResult:
        open_ = tickets.c.status.in_(UNIT_STATUSES)
        warned = escalated = reminded = 0
        due = conn.execute(
            select(tickets.c.id, tickets.c.status, tickets.c.unit_id)
            .where(open_, tickets.c.warn_at <= now, tickets.c.warned_at.is_(None), tickets.c.deadline > now)
            .with_for_update(skip_locked=True)
        ).all()
        for row in due:
            leader = _unit_name(conn, row.unit_id)
            note = f"已用时过半（黄灯），提醒{leader}主要负责人关注"
            conn.execute(
                ticket_events.insert().values(**event(row.id, now, "system", "reminder", row.status, note))
            )
            conn.execute(
                tickets.update()
                .where(tickets.c.id == row.id)
                .values(warned_at=now, reminders=tickets.c.reminders + 1)
            )
            warned += 1
        late = conn.execute(
            select(tickets.c.id, tickets.c.status, tickets.c.unit_id)
            .where(open_, tickets.c.deadline <= now, tickets.c.escalated_at.is_(None))
            .with_for_update(skip_locked=True)
        ).all()
        for row in late:
            note = f"已超期（红灯），{_unit_name(conn, row.unit_id)}未按时办结，转{SUPERVISION_OFFICE}督办"
            conn.execute(
                ticket_events.insert().values(**event(row.id, now, "system", "escalated", row.status, note))
            )
            conn.execute(
                tickets.update()
                .where(tickets.c.id == row.id)
                .values(escalated_at=now, reminders=tickets.c.reminders + 1)
            )
            escalated += 1
        stale = conn.execute(
            select(tickets.c.id, tickets.c.status).where(
                open_,
                tickets.c.tracked == 1,
                tickets.c.reminded_at <= now - timedelta(days=tracked_reminder_days),
            )
        ).all()
        for stale_row in stale:
            note = "挂账工单定期提醒：请报告最新进展"
            conn.execute(
                ticket_events.insert().values(
                    **event(stale_row.id, now, "system", "tracked_reminder", stale_row.status, note)
                )
            )
            conn.execute(tickets.update().where(tickets.c.id == stale_row.id).values(reminded_at=now))
            reminded += 1
        return SweepResult(warned, escalated, reminded)

    return await database.write(run)
