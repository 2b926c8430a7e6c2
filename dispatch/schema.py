"""Tables of the dispatch backend: units and accounts, tickets with their append-only events."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

Id = BigInteger().with_variant(Integer, "sqlite")

units = Table(
    "units",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    # street (街道/乡镇), district_department (区级部门), city_department (市级部门),
    # enterprise (公共服务企业), supervision (督查室)
    Column("kind", String(32), nullable=False),
    Column("parent_id", Id, ForeignKey("units.id")),
    Column("leader", String(64)),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),  # handler, supervisor, agent, admin
    Column("unit_id", Id, ForeignKey("units.id")),
    Column("display_name", String(64)),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the cookie's random token
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(13), primary_key=True),  # YYYYMMDD + 5-digit daily sequence
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("sender_id", String(128), nullable=False),
    Column("phone", String(32)),
    Column("anonymous", Integer, nullable=False, default=0),
    Column("text", Text, nullable=False),
    Column("appeal_type", String(8), nullable=False),
    Column("category", JSON),
    Column("category_path", String(200)),  # "l1/l2/l3", for grouping on any database
    Column("address", Text),
    Column("street", String(64)),
    Column("jurisdiction", JSON),
    Column("decision", JSON),
    Column("units", JSON, nullable=False),  # names: main unit first, then the assisting ones
    Column("unit_id", Id, ForeignKey("units.id")),  # the main unit (主办)
    Column("tier", String(8), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("warn_at", DateTime(timezone=True)),  # half the time used: the light turns yellow
    Column("dispatched_at", DateTime(timezone=True)),
    Column("accepted_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("problem_id", String(13)),  # the first ticket of the same problem (duplicates merged)
    Column("returns", Integer, nullable=False, default=0),
    Column("reopens", Integer, nullable=False, default=0),
    Column("reminders", Integer, nullable=False, default=0),
    Column("tracked", Integer, nullable=False, default=0),  # 挂账
    Column("extension_requested", Integer),  # workdays asked for, pending approval
    Column("warned_at", DateTime(timezone=True)),
    Column("escalated_at", DateTime(timezone=True)),
    Column("reminded_at", DateTime(timezone=True)),
    Column("rating", String(8)),
    Column("rating_comment", Text),
    Column("rated_at", DateTime(timezone=True)),
    Column("callback_at", DateTime(timezone=True)),  # when the bot asked the citizen to rate it (回访)
    Column("nlu", JSON),
)
Index("ix_tickets_sender", tickets.c.sender_id, tickets.c.created_at)
Index("ix_tickets_unit_open", tickets.c.unit_id, tickets.c.status, tickets.c.deadline)
Index("ix_tickets_created", tickets.c.created_at)
Index("ix_tickets_warn", tickets.c.warn_at)
Index("ix_tickets_status_callback", tickets.c.status, tickets.c.callback_at)
Index("ix_tickets_problem", tickets.c.street, tickets.c.category_path, tickets.c.created_at)

ticket_units = Table(
    "ticket_units",
    metadata,
    Column("ticket_id", String(13), ForeignKey("tickets.id"), primary_key=True),
    Column("unit_id", Id, ForeignKey("units.id"), primary_key=True),
    Column("role", String(8), nullable=False),  # main (主办) or assist (协办)
)
Index("ix_ticket_units_unit", ticket_units.c.unit_id)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ticket_id", String(13), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("note", Text),
)

ticket_sequences = Table(
    "ticket_sequences",
    metadata,
    Column("day", String(8), primary_key=True),
    Column("last", Integer, nullable=False),
)
