"""The JSON API: the bot's calls (service token) and the staff's (session cookie)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from dispatch import callbacks, queries, stats
from dispatch.handling import ACTIONS, act
from dispatch.keys import clock_key, config_key, database_key
from dispatch.schema import ticket_units
from dispatch.tickets import NewTicket, TicketInputError, as_dict, create_ticket, get_ticket, load_ticket
from dispatch.web_auth import actor, error, require

TICKET_ID = re.compile(r"^\d{13}$")
_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
STAFF = ("handler", "supervisor", "agent", "admin")


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TicketInputError("bad_json", "请求体必须是 JSON") from exc
    if not isinstance(body, dict):
        raise TicketInputError("bad_json", "请求体必须是 JSON 对象")
    return body


def _ticket_id(request: web.Request) -> str:
    ticket_id = request.match_info["ticket_id"]
    if not TICKET_ID.match(ticket_id):
        raise TicketInputError("bad_ticket_id", "工单号应为13位数字")
    return ticket_id


def _month(request: web.Request) -> str:
    month = request.query.get("month") or request.app[clock_key]().astimezone(stats.BEIJING).strftime("%Y-%m")
    if not _MONTH.match(month):
        raise TicketInputError("bad_month", "month 应为 YYYY-MM")
    return month


@require("bot")
async def post_ticket(request: web.Request) -> web.Response:
    body = await _json(request)
    key = request.headers.get("Idempotency-Key") or body.get("idempotency_key")
    if not isinstance(key, str) or not _KEY.match(key):
        return error(400, "missing_idempotency_key", "缺少 Idempotency-Key（8到128位字母、数字或 _.:-）")
    window = request.app[config_key].duplicate_window_hours
    created, new = await create_ticket(
        request.app[database_key],
        NewTicket.from_payload(body),
        key,
        request.app[clock_key](),
        duplicate_window=timedelta(hours=window),
    )
    return web.json_response(created, status=201 if new else 200)


@require("bot", *STAFF)
async def read_ticket(request: web.Request) -> web.Response:
    ticket_id = _ticket_id(request)
    who = await actor(request)
    assert who is not None
    database, now = request.app[database_key], request.app[clock_key]()
    if who.role == "bot":
        ticket = await get_ticket(
            database,
            ticket_id,
            sender_id=request.query.get("sender_id"),
            phone_last4=request.query.get("phone_last4"),
            now=now,
        )
    else:
        row, events = await load_ticket(database, ticket_id)
        ticket = None
        if row is not None:
            visible = who.role != "handler" or await database.read(
                lambda conn: (
                    conn.execute(
                        select(ticket_units.c.unit_id).where(
                            ticket_units.c.ticket_id == ticket_id, ticket_units.c.unit_id == who.unit_id
                        )
                    ).first()
                    is not None
                )
            )
            if visible:
                ticket = as_dict(row, events, now) | {"text": row.text, "phone": row.phone}
    if ticket is None:
        return error(404, "not_found", "未找到该工单")
    return web.json_response(ticket)


@require("bot")
async def rate_ticket(request: web.Request) -> web.Response:
    """The callback (回访): the bot relays the citizen's rating; 不满意 reopens the ticket."""
    body = await _json(request)
    ticket = await act(
        request.app[database_key],
        _ticket_id(request),
        "rate",
        (await actor(request)),  # type: ignore[arg-type]
        request.app[clock_key](),
        note=body.get("comment") if isinstance(body.get("comment"), str) else None,
        params={k: body.get(k) for k in ("rating", "sender_id", "phone_last4")},
    )
    return web.json_response(ticket)


@require("bot")
async def due_callbacks(request: web.Request) -> web.Response:
    """Resolved tickets whose citizens the bot should ask for a rating (回访)."""
    try:
        limit = max(1, min(200, int(request.query.get("limit", "50"))))
    except ValueError as exc:
        raise TicketInputError("bad_limit", "limit 应为1到200的整数") from exc
    return web.json_response({"tickets": await callbacks.due(request.app[database_key], limit)})


@require("bot")
async def mark_callback(request: web.Request) -> web.Response:
    first = await callbacks.mark_asked(
        request.app[database_key], _ticket_id(request), request.app[clock_key]()
    )
    return web.json_response({"recorded": first})


@require("bot")
async def comment_ticket(request: web.Request) -> web.Response:
    """A citizen's comment on their own ticket, relayed by the bot."""
    body = await _json(request)
    comment = body.get("comment")
    if not isinstance(comment, str):
        raise TicketInputError("missing_field", "缺少必填字段 comment")
    await callbacks.add_comment(
        request.app[database_key],
        _ticket_id(request),
        comment,
        request.app[clock_key](),
        sender_id=body.get("sender_id") if isinstance(body.get("sender_id"), str) else None,
        phone_last4=body.get("phone_last4") if isinstance(body.get("phone_last4"), str) else None,
    )
    return web.json_response({"recorded": True}, status=201)


@require(*STAFF)
async def ticket_action(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    if action not in ACTIONS or action == "rate":
        return error(404, "unknown_action", f"未知操作 {action}")
    body = await _json(request) if request.can_read_body else {}
    who = await actor(request)
    assert who is not None
    ticket = await act(
        request.app[database_key],
        _ticket_id(request),
        action,
        who,
        request.app[clock_key](),
        note=body.get("note") if isinstance(body.get("note"), str) else None,
        params={k: body.get(k) for k in ("units", "days")},
    )
    return web.json_response(ticket)


@require(*STAFF)
async def list_unit_tickets(request: web.Request) -> web.Response:
    try:
        unit_id = int(request.match_info["unit_id"])
    except ValueError:
        return error(404, "not_found", "未找到该单位")
    who = await actor(request)
    assert who is not None
    if who.role == "handler" and who.unit_id != unit_id:
        return error(403, "forbidden", "只能查看本单位的工单")
    items = await queries.unit_tickets(
        request.app[database_key],
        unit_id,
        request.app[clock_key](),
        open_only=request.query.get("all") != "1",
    )
    return web.json_response({"tickets": items})


@require("agent", "admin")
async def dispatch_queue(request: web.Request) -> web.Response:
    items = await queries.queue(request.app[database_key], request.app[clock_key]())
    return web.json_response({"tickets": items})


@require(*STAFF)
async def list_units(request: web.Request) -> web.Response:
    return web.json_response({"units": await queries.unit_tree(request.app[database_key])})


@require("supervisor", "admin")
async def rates(request: web.Request) -> web.Response:
    month = _month(request)
    result = await stats.unit_rates(request.app[database_key], month)
    return web.json_response({"month": month, "units": [r.to_dict() for r in result]})


@require("supervisor", "admin")
async def hotspots(request: web.Request) -> web.Response:
    month = _month(request)
    database = request.app[database_key]
    return web.json_response(
        {
            "month": month,
            "streets": [
                {"street": s, "top_categories": [{"category": c, "count": n} for c, n in cats]}
                for s, cats in (await stats.hot_categories(database, month)).items()
            ],
            "governance_streets": await stats.governance_streets(database, month),
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/tickets", post_ticket)
    app.router.add_get("/api/tickets/{ticket_id}", read_ticket)
    app.router.add_post("/api/tickets/{ticket_id}/rating", rate_ticket)
    app.router.add_post("/api/tickets/{ticket_id}/callback", mark_callback)
    app.router.add_post("/api/tickets/{ticket_id}/comments", comment_ticket)
    app.router.add_get("/api/callbacks", due_callbacks)
    app.router.add_post("/api/tickets/{ticket_id}/actions/{action}", ticket_action)
    app.router.add_get("/api/units", list_units)
    app.router.add_get("/api/units/{unit_id}/tickets", list_unit_tickets)
    app.router.add_get("/api/queue", dispatch_queue)
    app.router.add_get("/api/stats/rates", rates)
    app.router.add_get("/api/stats/hotspots", hotspots)
