"""Creating and reading tickets: plain functions over a database (no web framework here)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError

from dispatch import units as unit_tree
from dispatch.lifecycle import OPEN_STATUSES, STATUS_LABELS
from dispatch.schema import ticket_events, ticket_sequences, ticket_units, tickets
from dispatch.workcal import BEIJING, DEFAULT_TIER, TIER_LABELS, TIERS, deadline_for, light
from jiesu.database import Database

APPEAL_TYPES = ("咨询", "建议", "投诉", "举报", "求助", "表扬")


class TicketInputError(ValueError):
    """The ticket request is incomplete or malformed; ``message`` is shown as is."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class NewTicket:
    channel: str
    sender_id: str
    text: str
    appeal_type: str
    category: dict[str, Any] | None
    address: str | None
    jurisdiction: dict[str, Any] | None
    phone: str | None
    anonymous: bool
    decision: dict[str, Any] | None
    nlu: dict[str, Any] | None

    @classmethod
    def from_payload(cls, body: Any) -> NewTicket:
        if not isinstance(body, dict):
            raise TicketInputError("bad_json", "请求体必须是 JSON 对象")

        def text(key: str, *, required: bool = False, limit: int = 4000) -> str | None:
            value = body.get(key)
            if value is None or value == "":
                if required:
                    raise TicketInputError("missing_field", f"缺少必填字段 {key}")
                return None
            if not isinstance(value, str) or len(value) > limit:
                raise TicketInputError("bad_field", f"字段 {key} 必须是不超过{limit}字的文本")
            return value

        def mapping(key: str) -> dict[str, Any] | None:
            value = body.get(key)
            if value is not None and not isinstance(value, dict):
                raise TicketInputError("bad_field", f"字段 {key} 必须是 JSON 对象")
            return value

        appeal_type = text("appeal_type") or "投诉"
        if appeal_type not in APPEAL_TYPES:
            raise TicketInputError("bad_field", f"appeal_type 必须是 {'、'.join(APPEAL_TYPES)} 之一")
        decision = mapping("decision")
        tier = (decision or {}).get("tier")
        if tier is not None and tier not in TIERS:
            raise TicketInputError("bad_field", f"decision.tier 必须是 {'、'.join(TIERS)} 之一")
        names = (decision or {}).get("units")
        if names is not None and not (
            isinstance(names, list) and all(isinstance(n, str) and 0 < len(n) <= 100 for n in names)
        ):
            raise TicketInputError("bad_field", "decision.units 必须是单位名称的列表")
        anonymous = bool(body.get("anonymous"))
        phone = text("phone", limit=32)
        if not anonymous and appeal_type in ("投诉", "求助") and not phone:
            raise TicketInputError("missing_field", "投诉、求助类诉求需要联系电话")
        return cls(
            channel=text("channel", limit=32) or "web",
            sender_id=str(text("sender_id", required=True, limit=128)),
            text=str(text("text", required=True)),
            appeal_type=appeal_type,
            category=mapping("category"),
            address=text("address", limit=500),
            jurisdiction=mapping("jurisdiction"),
            phone=phone,
            anonymous=anonymous,
            decision=decision,
            nlu=mapping("nlu"),
        )

    @property
    def category_path(self) -> str | None:
        if not self.category:
            return None
        return "/".join(str(self.category.get(k) or "") for k in ("l1", "l2", "l3"))

    @property
    def street(self) -> str | None:
        value = (self.jurisdiction or {}).get("street")
        return str(value) if value else None


# PostgreSQL numbers each day's tickets from a sequence of its own: nextval takes no lock that
# lasts until the commit (a counter row would, serialising every concurrent insert on it), at the
# price of a gap when an insert then fails (a retried key). SQLite has one writer anyway and keeps
# the gap-free counter table.
_day_sequences: set[tuple[str, str]] = set()


async def _ensure_day_sequence(database: Database, day: str) -> None:
    if (database.url, day) in _day_sequences:
        return
    statement = text(f"CREATE SEQUENCE IF NOT EXISTS ticket_no_{int(day)} MAXVALUE 99999")
    with contextlib.suppress(DBAPIError):  # two processes created it at once: it exists now
        await database.write(lambda conn: conn.execute(statement))
    _day_sequences.add((database.url, day))


def _next_number(conn: Connection, day: str) -> int:
    """The day's next sequence number, atomically."""
    if conn.dialect.name == "postgresql":
        return int(conn.execute(text(f"SELECT nextval('ticket_no_{int(day)}')")).scalar_one())
    dialect = sqlite
    stmt = (
        dialect.insert(ticket_sequences)
        .values(day=day, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": ticket_sequences.c.last + 1})
        .returning(ticket_sequences.c.last)
    )
    return int(conn.execute(stmt).scalar_one())


_BY_KEY = select(tickets).where(tickets.c.idempotency_key == bindparam("key"))
_BY_ID = select(tickets).where(tickets.c.id == bindparam("id"))
_EVENTS = (
    select(ticket_events).where(ticket_events.c.ticket_id == bindparam("id")).order_by(ticket_events.c.id)
)


def utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else utc(moment).astimezone(BEIJING).isoformat()


def as_dict(row: Any, events: list[Any] | None = None, now: datetime | None = None) -> dict[str, Any]:
    data = row._mapping
    deadline = utc(data["deadline"])
    out: dict[str, Any] = {
        "id": data["id"],
        "status": data["status"],
        "status_label": STATUS_LABELS.get(data["status"], data["status"]),
        "created_at": iso(data["created_at"]),
        "deadline": iso(deadline),
        "deadline_label": deadline.astimezone(BEIJING).strftime("%Y年%m月%d日 %H:%M"),
        "tier": data["tier"],
        "tier_label": TIER_LABELS.get(data["tier"], data["tier"]),
        "units": data["units"] or [],
        "appeal_type": data["appeal_type"],
        "category": data["category"],
        "address": data["address"],
        "channel": data["channel"],
        "problem_id": data["problem_id"],
        "tracked": bool(data["tracked"]),
        "rating": data.get("rating"),
    }
    if now is not None and data["status"] in OPEN_STATUSES:
        out["light"] = light(utc(data["created_at"]), deadline, now)
    if events is not None:
        out["events"] = [
            {"at": iso(e.at), "actor": e.actor, "kind": e.kind, "status": e.status, "note": e.note}
            for e in events
        ]
    return out


def event(
    ticket_id: str, at: datetime, actor: str, kind: str, status: str, note: str | None
) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "at": at, "actor": actor, "kind": kind, "status": status, "note": note}


def _same_problem(conn: Connection, ticket: NewTicket, now: datetime, window: timedelta) -> Any:
    """An open ticket about the same duty item at the same place, received within ``window``."""
    if not ticket.street or not ticket.category_path or not ticket.address:
        return None
    place = "".join(ticket.address.split())
    candidates = conn.execute(
        select(tickets.c.id, tickets.c.problem_id, tickets.c.address, tickets.c.units)
        .where(
            tickets.c.street == ticket.street,
            tickets.c.category_path == ticket.category_path,
            tickets.c.created_at >= now - window,
            tickets.c.status.in_(OPEN_STATUSES),
        )
        .order_by(tickets.c.created_at)
    )
    for row in candidates:
        if "".join((row.address or "").split()) == place:
            return row
    return None


def unit_links(conn: Connection, names: list[str]) -> list[tuple[int, str]]:
    """(unit id, role) for the ticket's units: the first is 主办 (main), the others 协办 (assist)."""
    links: list[tuple[int, str]] = []
    for name in names:
        unit_id = unit_tree.find_or_create(conn, name)
        if all(unit_id != seen for seen, _ in links):
            links.append((unit_id, "assist" if links else "main"))
    return links


def assign_units(conn: Connection, ticket_id: str, names: list[str]) -> int | None:
    """Links the ticket to its units (the first is 主办, the others 协办); the main unit's id."""
    conn.execute(ticket_units.delete().where(ticket_units.c.ticket_id == ticket_id))
    links = unit_links(conn, names)
    for unit_id, role in links:
        conn.execute(ticket_units.insert().values(ticket_id=ticket_id, unit_id=unit_id, role=role))
    return links[0][0] if links else None


async def create_ticket(
    database: Database,
    ticket: NewTicket,
    key: str,
    now: datetime,
    *,
    duplicate_window: timedelta = timedelta(hours=72),
) -> tuple[dict[str, Any], bool]:
    """The ticket for ``key``: created now (True) or the one made before under that key (False).

    The insert is tried first (no read on the hot path): a repeated key fails on the unique index,
    rolling back the whole transaction including the number it drew, and the stored ticket is
    returned instead. Under concurrent retries exactly one insert wins.
    """
    tier = str((ticket.decision or {}).get("tier") or DEFAULT_TIER)
    deadline = deadline_for(tier, now)

    day = now.astimezone(BEIJING).strftime("%Y%m%d")
    if not database.is_sqlite:
        await _ensure_day_sequence(database, day)

    def insert(conn: Connection) -> Any:
        ticket_id = f"{day}{_next_number(conn, day):05d}"
        names = [str(u) for u in (ticket.decision or {}).get("units") or []]
        same = _same_problem(conn, ticket, now, duplicate_window)
        if same is not None and not names:
            names = list(same.units or [])
        status = "dispatched" if names else "pending"
        row = {
            "id": ticket_id,
            "idempotency_key": key,
            "status": status,
            "channel": ticket.channel,
            "sender_id": ticket.sender_id,
            "phone": ticket.phone,
            "anonymous": 1 if ticket.anonymous else 0,
            "text": ticket.text,
            "appeal_type": ticket.appeal_type,
            "category": ticket.category,
            "category_path": ticket.category_path,
            "address": ticket.address,
            "street": ticket.street,
            "jurisdiction": ticket.jurisdiction,
            "decision": ticket.decision,
            "units": names,
            "unit_id": None,
            "tier": tier,
            "created_at": now,
            "deadline": deadline,
            "warn_at": now + (deadline - now) / 2,
            "dispatched_at": now if names else None,
            "problem_id": (same.problem_id or same.id) if same is not None else ticket_id,
            "returns": 0,
            "reopens": 0,
            "reminders": 0,
            "tracked": 0,
            "nlu": ticket.nlu,
        }
        links = unit_links(conn, names)
        row["unit_id"] = links[0][0] if links else None
        conn.execute(_INSERT_TICKET, row)
        if links:
            conn.execute(
                _INSERT_LINK, [{"ticket_id": ticket_id, "unit_id": u, "role": role} for u, role in links]
            )
        events = [event(ticket_id, now, "bot", "created", "pending", None)]
        if same is not None:
            events.append(
                event(ticket_id, now, "system", "merged", "pending", f"与工单 {same.id} 为同一问题")
            )
        if names:
            events.append(event(ticket_id, now, "router", "dispatched", status, "、".join(names)))
        conn.execute(_INSERT_EVENT, events)
        return _Row(row)

    try:
        created = await database.write(insert)
    except IntegrityError:  # the key was seen before (a retry), perhaps by a concurrent request
        existing = await database.read(lambda conn: conn.execute(_BY_KEY, {"key": key}).first())
        if existing is None:
            raise
        return as_dict(existing), False
    return as_dict(created), True


class _Row:
    """A freshly inserted row as a dict, shaped like a result row for ``as_dict``."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._mapping = values


_INSERT_TICKET = tickets.insert()
_INSERT_EVENT = ticket_events.insert()
_INSERT_LINK = ticket_units.insert()


def owns(row: Any, sender_id: str | None, phone_last4: str | None) -> bool:
    """A citizen owns a ticket by the same channel identity, or by the phone's last four digits."""
    by_sender = bool(sender_id) and row.sender_id == sender_id
    by_phone = bool(phone_last4) and bool(row.phone) and row.phone[-4:] == phone_last4
    return by_sender or by_phone


async def load_ticket(database: Database, ticket_id: str) -> tuple[Any, list[Any]]:
    def load(conn: Connection) -> tuple[Any, list[Any]]:
        row = conn.execute(_BY_ID, {"id": ticket_id}).first()
        events = list(conn.execute(_EVENTS, {"id": ticket_id})) if row is not None else []
        return row, events

    return await database.read(load)


async def get_ticket(
    database: Database,
    ticket_id: str,
    *,
    sender_id: str | None,
    phone_last4: str | None,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """The ticket if the asker owns it (same channel identity, or the phone's last four digits)."""
    row, events = await load_ticket(database, ticket_id)
    if row is None or not owns(row, sender_id, phone_last4):
        return None
    return as_dict(row, events, now)
