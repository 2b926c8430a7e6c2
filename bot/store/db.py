"""Tables of the conversation service: tracker events and the outbox."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from jiesu.database import Database
from jiesu.database import open_database as _open

metadata = MetaData()

# Append-only: one row per turn, holding that turn's Rasa events as a JSON array; ``seq`` is the
# index of the turn's first event in the conversation and ``count`` how many it holds. (sender_id,
# seq) is unique, so two processes that both believed they were writing event N of a conversation
# cannot both succeed. A row per turn instead of per event: one JSON encoding and one row to
# insert per turn, which is most of a turn's database cost.
events = Table(
    "conversation_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("sender_id", String(128), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("count", Integer, nullable=False),
    Column("timestamp", Float, nullable=False),
    Column("data", Text, nullable=False),
    UniqueConstraint("sender_id", "seq", name="uq_conversation_events_sender_seq"),
)

# Appeals accepted by the bot and not yet confirmed by the dispatch backend.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("sender_id", String(128), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    Column("ticket_id", String(32)),
    Column("ticket", JSON),
    Column("last_error", Text),
    Column("notified", Integer, nullable=False, default=0),
)
Index("ix_outbox_status_next", outbox.c.status, outbox.c.next_attempt_at)


async def open_database(url: str) -> Database:
    return await _open(url, metadata)
