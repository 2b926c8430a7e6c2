"""The callback (回访): resolved tickets waiting for the bot to ask their citizen for a rating, and
the citizen's comments on a ticket.

The bot polls for them (``GET /api/callbacks``) rather than the backend calling the bot: the
backend then needs no address of the bot, and a bot that was down picks up what it missed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from dispatch.lifecycle import IllegalTransition
from dispatch.schema import ticket_events, tickets
from dispatch.tickets import event, iso, owns
from jiesu.database import Database

# Tickets filed through Open311 clients are called back by those clients, not by the bot.
_NOT_THE_BOTS = ("open311",)


async def due(database: Database, limit: int = 50) -> list[dict[str, Any]]:
    """Resolved tickets whose citizen has not been asked yet, oldest resolution first."""

    def load(conn: Connection) -> list[dict[str, Any]]:
        rows = conn.execute(
            select(
                tickets.c.id,
                tickets.c.sender_id,
                tickets.c.channel,
                tickets.c.text,
                tickets.c.units,
                tickets.c.created_at,
                tickets.c.resolved_at,
            )
            .where(
                tickets.c.status == "resolved",
                tickets.c.callback_at.is_(None),
                tickets.c.channel.not_in(_NOT_THE_BOTS),
            )
            .order_by(tickets.c.resolved_at)
            .limit(limit)
        ).all()
        out = []
        for row in rows:
            result = conn.execute(
                select(ticket_events.c.note)
                .where(ticket_events.c.ticket_id == row.id, ticket_events.c.kind == "resolve")
                .order_by(ticket_events.c.id.desc())
                .limit(1)
            ).scalar()
            out.append(
                {
                    "id": row.id,
                    "sender_id": row.sender_id,
                    "channel": row.channel,
                    "text": row.text,
                    "units": row.units or [],
                    "created_at": iso(row.created_at),
                    "resolved_at": iso(row.resolved_at),
                    "resolution": result,
                }
            )
        return out

    return await database.read(load)


async def mark_asked(database: Database, ticket_id: str, now: datetime) -> bool:
    """Records that the citizen was asked; False if it was recorded before (a retried call)."""

    def apply(conn: Connection) -> bool:
        done = conn.execute(
            tickets.update()
            .where(tickets.c.id == ticket_id, tickets.c.callback_at.is_(None))
            .values(callback_at=now)
        ).rowcount
        if not done:
            if conn.execute(select(tickets.c.id).where(tickets.c.id == ticket_id)).first() is None:
                raise IllegalTransition("not_found", "未找到该工单")
            return False
        status = conn.execute(select(tickets.c.status).where(tickets.c.id == ticket_id)).scalar_one()
        conn.execute(ticket_events.insert().values(**event(ticket_id, now, "bot", "callback", status, None)))
        return True

    return await database.write(apply)


async def add_comment(
    database: Database,
    ticket_id: str,
    comment: str,
    now: datetime,
    *,
    sender_id: str | None,
    phone_last4: str | None,
) -> None:
    """A citizen's comment on their ticket (with a rating, or later), kept as an event."""
    comment = (comment or "").strip()
    if not comment:
        raise IllegalTransition("missing_note", "意见内容不能为空")
    if len(comment) > 2000:
        raise IllegalTransition("bad_note", "意见不能超过2000字")

    def apply(conn: Connection) -> None:
        row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
        if row is None or not owns(row, sender_id, phone_last4):
            raise IllegalTransition("not_found", "未找到该工单")
        conn.execute(
            ticket_events.insert().values(
                **event(ticket_id, now, "citizen", "citizen_comment", row.status, comment)
            )
        )

    await database.write(apply)
