"""The tracker store and the outbox on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import IntegrityError

from bot.engine import events as ev
from bot.engine.domain import Domain
from bot.store.db import open_database
from bot.store.outbox import Outbox
from bot.store.tracker_store import SQLTrackerStore
from jiesu.settings import Settings


async def test_tracker_store_round_trip_and_conflicts(db_url: str) -> None:
    database = await open_database(db_url)
    domain = Domain.load(Settings().domain_path)
    sender = f"store-{uuid.uuid4().hex[:12]}"
    try:
        store = SQLTrackerStore(database, domain)
        tracker = await store.retrieve(sender)
        assert tracker.events == []
        first = [ev.action_executed("action_listen"), ev.slot_set("address", "朝阳区望京")]
        await store.append(sender, 0, first)
        # A second process with its own (empty) cache reads everything.
        other = SQLTrackerStore(database, domain)
        loaded = await other.retrieve(sender)
        assert loaded.get_slot("address") == "朝阳区望京" and len(loaded.events) == 2
        # Both now append event #2: only one may win, the other gets an error, never a silent overwrite.
        await store.append(sender, 2, [ev.slot_set("address", "海淀区")])
        with pytest.raises(IntegrityError):
            await other.append(sender, 2, [ev.slot_set("address", "丰台区")])
        assert (await other.retrieve(sender)).get_slot("address") == "海淀区"
    finally:
        await database.dispose()


async def test_outbox_enqueue_is_idempotent(db_url: str) -> None:
    database = await open_database(db_url)
    key = f"appeal-{uuid.uuid4().hex}"
    try:
        outbox = Outbox(database)
        first = await outbox.enqueue(key, "s1", "web", {"text": "路灯坏了"})
        second = await outbox.enqueue(key, "s1", "web", {"text": "changed"})
        assert first.key == second.key and second.payload == {"text": "路灯坏了"}
        await outbox.mark_delivered(key, {"id": "2026112300001"}, notified=False)
        entry = await outbox.get(key)
        assert entry is not None and entry.status == "delivered" and entry.ticket == {"id": "2026112300001"}
        assert key in [e.key for e in await outbox.undelivered_notifications(limit=1000)]
    finally:
        await database.dispose()
