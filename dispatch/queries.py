"""Lists for the workbench: a unit's tickets (主办 and 协办), the agents' dispatch queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from dispatch.lifecycle import UNIT_STATUSES
from dispatch.schema import ticket_units, tickets, units
from dispatch.tickets import as_dict
from jiesu.database import Database

_LIST_COLUMNS = [c for c in tickets.c if c.name not in ("nlu", "decision", "jurisdiction")]


async def unit_tickets(
    database: Database, unit_id: int, now: datetime, *, open_only: bool = True, limit: int = 200
) -> list[dict[str, Any]]:
    """The unit's tickets, most urgent first: those it leads (主办) and those it assists (协办)."""

    def load(conn: Connection) -> list[Any]:
        main = select(*_LIST_COLUMNS).where(tickets.c.unit_id == unit_id)
        assist = (
            select(*_LIST_COLUMNS)
            .join(ticket_units, ticket_units.c.ticket_id == tickets.c.id)
            .where(ticket_units.c.unit_id == unit_id, ticket_units.c.role == "assist")
        )
        if open_only:
            main = main.where(tickets.c.status.in_(UNIT_STATUSES))
            assist = assist.where(tickets.c.status.in_(UNIT_STATUSES))
        main = main.order_by(tickets.c.deadline).limit(limit)
        assist = assist.order_by(tickets.c.deadline).limit(limit)
        rows = [(r, "main") for r in conn.execute(main)] + [(r, "assist") for r in conn.execute(assist)]
        return sorted(rows, key=lambda pair: pair[0].deadline)[:limit]

    out = []
    for row, role in await database.read(load):
        item = as_dict(row, None, now)
        item["role"] = role
        item["text"] = row.text
        out.append(item)
    return out


async def queue(database: Database, now: datetime, limit: int = 200) -> list[dict[str, Any]]:
    """Tickets waiting for an agent: not yet dispatched (待派) or returned by a unit (已退单)."""
    query = (
        select(*_LIST_COLUMNS)
        .where(tickets.c.status.in_(("pending", "returned")))
        .order_by(tickets.c.deadline)
        .limit(limit)
    )
    rows = await database.read(lambda conn: list(conn.execute(query)))
    return [as_dict(r, None, now) | {"text": r.text} for r in rows]


async def unit_tree(database: Database) -> list[dict[str, Any]]:
    query = select(units).order_by(units.c.kind, units.c.name)
    return [dict(r._mapping) for r in await database.read(lambda conn: list(conn.execute(query)))]
