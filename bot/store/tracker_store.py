"""The tracker store: Rasa events in SQL, with an in-process cache read forward from the last seq.

Correct across processes because a turn holds the conversation's lock while it reads the tail
(events with a higher seq than the cache has) and appends; the unique (sender_id, seq) makes a
violation of that discipline an error instead of silent loss. With in-process locks there is by
construction one process (``sole_writer``), and a cached conversation needs no read at all.

Appends are group-committed: the turns that finish in the same event-loop iteration share one
transaction, and each turn's reply waits until its events are committed.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from bot.engine.domain import Domain
from bot.engine.events import Event
from bot.engine.tracker import DialogueStateTracker
from bot.store.db import Database
from bot.store.db import events as events_table

# Built once: SQLAlchemy then reuses the compiled form instead of re-deriving it every turn.
_TAIL = (
    select(events_table.c.data)
    .where(events_table.c.sender_id == bindparam("sender"), events_table.c.seq >= bindparam("known"))
    .order_by(events_table.c.seq)
)
_INSERT = insert(events_table)


class SQLTrackerStore:
    def __init__(
        self, database: Database, domain: Domain, *, cache_size: int = 10_000, sole_writer: bool = False
    ) -> None:
        self.database = database
        self.domain = domain
        self.cache_size = cache_size
        self.sole_writer = sole_writer
        self._cache: OrderedDict[str, list[Event]] = OrderedDict()
        self._pending: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._flush_scheduled = False

    async def retrieve(self, sender_id: str) -> DialogueStateTracker:
        cached = self._cache.get(sender_id)
        if cached is not None and self.sole_writer:
            self._cache.move_to_end(sender_id)
            return DialogueStateTracker(sender_id, self.domain, list(cached))
        cached = cached or []
        known = len(cached)

        def tail(conn: Connection) -> list[str]:
            return [row[0] for row in conn.execute(_TAIL, {"sender": sender_id, "known": known})]

        newer = [event for data in await self.database.read(tail) for event in json.loads(data)]
        events = cached + newer if newer else cached
        self._remember(sender_id, events)
        # A fresh tracker per turn: a failed turn never leaves half-applied events in the cache.
        return DialogueStateTracker(sender_id, self.domain, list(events))

    async def append(self, sender_id: str, first_seq: int, new_events: list[Event]) -> None:
        if not new_events:
            return
        rows = [
            {
                "sender_id": sender_id,
                "seq": first_seq,
                "count": len(new_events),
                "timestamp": float(new_events[-1].get("timestamp") or 0.0),
                "data": json.dumps(new_events, ensure_ascii=False, separators=(",", ":"), default=str),
            }
        ]
        await self._commit(rows)
        cached = self._cache.get(sender_id)
        if cached is not None and len(cached) == first_seq:
            self._cache[sender_id] = cached + list(new_events)

    async def _commit(self, rows: list[dict[str, Any]]) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((rows, done))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(lambda: asyncio.ensure_future(self._flush()))
        await done

    async def _flush(self) -> None:
        batch, self._pending, self._flush_scheduled = self._pending, [], False
        all_rows = [row for rows, _ in batch for row in rows]
        try:
            await self.database.write(lambda conn: conn.execute(_INSERT, all_rows))
        except IntegrityError:
            # One turn lost a race: commit the others, fail only that one.
            for rows, done in batch:
                try:
                    await self.database.write(lambda conn, rows=rows: conn.execute(_INSERT, rows))  # type: ignore[misc]
                except Exception as exc:
                    done.set_exception(exc)
                else:
                    done.set_result(None)
            return
        except Exception as exc:
            for _, done in batch:
                done.set_exception(exc)
            return
        for _, done in batch:
            done.set_result(None)

    def _remember(self, sender_id: str, events: list[Event]) -> None:
        self._cache[sender_id] = events
        self._cache.move_to_end(sender_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
