"""The durable outbox: an appeal the bot accepted is stored first, then delivered to the dispatch
backend with its idempotency key, retried with back-off until the backend confirms it.

Nothing is lost (the row is committed before the citizen is told "已受理") and nothing arrives
twice (the backend answers a repeated key with the ticket it already made).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.db import Database
from bot.store.db import outbox as outbox_table

log = logging.getLogger(__name__)


class TicketSink(Protocol):
    """What the outbox delivers to: ``dispatch.client.DispatchClient`` in practice."""

    async def create_ticket(self, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]: ...


class DeliveryUnavailable(Exception):
    """The backend could not be reached; try again later."""


@dataclass(frozen=True)
class OutboxEntry:
    key: str
    sender_id: str
    channel: str
    payload: dict[str, Any]
    status: str
    attempts: int
    ticket: dict[str, Any] | None
    notified: bool

    @property
    def reference(self) -> str:
        """A short acceptance reference the citizen can quote before the ticket number exists."""
        return self.key[-8:].upper()


def _now() -> datetime:
    return datetime.now(UTC)


def _entry(row: Any) -> OutboxEntry:
    return OutboxEntry(
        key=row.idempotency_key,
        sender_id=row.sender_id,
        channel=row.channel,
        payload=row.payload,
        status=row.status,
        attempts=row.attempts,
        ticket=row.ticket,
        notified=bool(row.notified),
    )


_c = outbox_table.c
# Statements built once (SQLAlchemy reuses their compiled form); values are bound per call.
_INSERT = outbox_table.insert()
_GET = select(outbox_table).where(_c.idempotency_key == bindparam("key"))
_DUE = (
    select(outbox_table)
    .where(_c.status == "pending", _c.next_attempt_at <= bindparam("now"))
    .order_by(_c.id)
    .limit(bindparam("limit"))
)
_UNNOTIFIED = (
    select(outbox_table)
    .where(_c.status == "delivered", _c.notified == 0)
    .order_by(_c.id)
    .limit(bindparam("limit"))
)
_COUNT_PENDING = select(func.count()).select_from(outbox_table).where(_c.status == "pending")
_DELIVERED = (
    update(outbox_table)
    .where(_c.idempotency_key == bindparam("key"))
    .values(
        status="delivered",
        ticket=bindparam("ticket"),
        ticket_id=bindparam("ticket_id"),
        delivered_at=bindparam("now"),
        notified=bindparam("notified"),
        last_error=None,
    )
)
_CLAIM_NOTICE = (
    update(outbox_table).where(_c.idempotency_key == bindparam("key"), _c.notified == 0).values(notified=1)
)
_RELEASE_NOTICE = update(outbox_table).where(_c.idempotency_key == bindparam("key")).values(notified=0)
_FAILED = (
    update(outbox_table)
    .where(_c.idempotency_key == bindparam("key"), _c.status == "pending")
    .values(
        attempts=bindparam("attempts"), last_error=bindparam("error"), next_attempt_at=bindparam("retry_at")
    )
)


class Outbox:
    def __init__(self, database: Database, *, clock: Callable[[], datetime] = _now) -> None:
        self.database = database
        self.clock = clock

    async def enqueue(self, key: str, sender_id: str, channel: str, payload: dict[str, Any]) -> OutboxEntry:
        """Stores the appeal once; a second call with the same key returns the stored entry."""
        now = self.clock()
        row = {
            "idempotency_key": key,
            "sender_id": sender_id,
            "channel": channel,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "notified": 0,
        }
        with contextlib.suppress(IntegrityError):  # stored already: keep the first version
            await self.database.write(lambda conn: conn.execute(_INSERT, row))
            return OutboxEntry(key, sender_id, channel, payload, "pending", 0, None, False)
        entry = await self.get(key)
        assert entry is not None
        return entry

    async def get(self, key: str) -> OutboxEntry | None:
        row = await self.database.read(lambda conn: conn.execute(_GET, {"key": key}).first())
        return _entry(row) if row is not None else None

    async def due(self, limit: int = 50) -> list[OutboxEntry]:
        return await self._entries(_DUE, {"now": self.clock(), "limit": limit})

    async def undelivered_notifications(self, limit: int = 50) -> list[OutboxEntry]:
        return await self._entries(_UNNOTIFIED, {"limit": limit})

    async def count_pending(self) -> int:
        return int(await self.database.read(lambda conn: conn.execute(_COUNT_PENDING).scalar_one()))

    async def _entries(self, stmt: Any, params: dict[str, Any]) -> list[OutboxEntry]:
        def fetch(conn: Connection) -> list[OutboxEntry]:
            return [_entry(r) for r in conn.execute(stmt, params).all()]

        return await self.database.read(fetch)

    async def mark_delivered(self, key: str, ticket: dict[str, Any], *, notified: bool) -> None:
        params = {
            "key": key,
            "ticket": ticket,
            "ticket_id": str(ticket.get("id")),
            "now": self.clock(),
            "notified": 1 if notified else 0,
        }
        await self.database.write(lambda conn: conn.execute(_DELIVERED, params))

    async def claim_notification(self, key: str) -> bool:
        """True for exactly one caller across all processes: the one that tells the citizen."""
        result = await self.database.write(lambda conn: conn.execute(_CLAIM_NOTICE, {"key": key}))
        return bool(result.rowcount == 1)

    async def release_notification(self, key: str) -> None:
        await self.database.write(lambda conn: conn.execute(_RELEASE_NOTICE, {"key": key}))

    async def mark_failed(self, key: str, error: str, attempts: int) -> None:
        backoff = min(60.0, 0.5 * (2 ** min(attempts, 7)))
        params = {
            "key": key,
            "attempts": attempts,
            "error": error[:2000],
            "retry_at": self.clock() + timedelta(seconds=backoff),
        }
        await self.database.write(lambda conn: conn.execute(_FAILED, params))

    async def deliver(self, entry: OutboxEntry, sink: TicketSink, *, notified: bool) -> dict[str, Any] | None:
        """One delivery attempt; the ticket on success, None when the backend is unavailable."""
        try:
            ticket = await sink.create_ticket(entry.payload, entry.key)
        except Exception as exc:  # any failure is retried later; the row keeps the reason
            await self.mark_failed(entry.key, f"{type(exc).__name__}: {exc}", entry.attempts + 1)
            return None
        await self.mark_delivered(entry.key, ticket, notified=notified)
        return ticket


Notify = Callable[[OutboxEntry, dict[str, Any]], Awaitable[None]]


class OutboxRelay:
    """Background delivery of pending appeals, and the message telling the citizen their ticket number."""

    def __init__(self, outbox: Outbox, sink: TicketSink, notify: Notify, *, interval: float = 1.0) -> None:
        self.outbox = outbox
        self.sink = sink
        self.notify = notify
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def run_once(self) -> int:
        delivered = 0
        for entry in await self.outbox.due():
            ticket = await self.outbox.deliver(entry, self.sink, notified=False)
            if ticket is not None:
                delivered += 1
        for entry in await self.outbox.undelivered_notifications():
            if not await self.outbox.claim_notification(entry.key):
                continue  # another bot process is telling this citizen
            try:
                await self.notify(entry, entry.ticket or {})
            except Exception:
                log.exception("could not notify %s of ticket", entry.sender_id)
                await self.outbox.release_notification(entry.key)
        return delivered

    def wake(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("outbox relay round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
