"""Open311 GeoReport v2 over the duty catalogue, so existing civic-tech clients work unchanged.

Services are the duty catalogue's items (``routing_rules/catalogue/*.yml``): service_code is the
item id, group its first-level category. A request posted here becomes a ticket like the bot's
(channel ``open311``); a request's status is ``open`` until the unit has resolved it, then ``closed``.
Responses are JSON or XML, chosen by the ``.json`` / ``.xml`` suffix as the spec says.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import yaml
from aiohttp import web
from sqlalchemy import select

from dispatch.keys import clock_key, config_key, database_key, services_key, settings_key
from dispatch.lifecycle import STATUS_LABELS
from dispatch.schema import tickets
from dispatch.tickets import APPEAL_TYPES, NewTicket, TicketInputError, create_ticket, iso
from dispatch.web_auth import is_bot

PREFIX = "/open311/v2"
_DONE = ("resolved", "visited", "closed")


async def load_services(app: web.Application) -> AsyncIterator[None]:
    folder = app[settings_key].routing_rules_dir / "catalogue"
    services: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        services.extend(item for item in data.get("items") or [] if item.get("id") and item.get("name"))
    app[services_key] = services
    yield


def _reply(request: web.Request, data: Any, root: str, item: str, status: int = 200) -> web.Response:
    if request.match_info.get("format") == "xml":
        element = ElementTree.Element(root)
        for entry in data:
            child = ElementTree.SubElement(element, item)
            for key, value in entry.items():
                if isinstance(value, list | dict):
                    continue
                ElementTree.SubElement(child, key).text = (
                    "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
                )
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(element, encoding="utf-8")
        return web.Response(body=body, status=status, content_type="text/xml", charset="utf-8")
    return web.json_response(data, status=status)


def _fail(request: web.Request, status: int, description: str) -> web.Response:
    return _reply(request, [{"code": status, "description": description}], "errors", "error", status)


def _service(request: web.Request, code: str) -> dict[str, Any] | None:
    return next((s for s in request.app[services_key] if s["id"] == code), None)


async def discovery(request: web.Request) -> web.Response:
    base = str(request.url.origin()) + PREFIX + "/"
    return web.json_response(
        {
            "changeset": "2026-11-25T00:00:00+08:00",
            "contact": "12345 热线",
            "key_service": "向热线管理部门申请 api_key",
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base,
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        }
    )


async def services(request: web.Request) -> web.Response:
    data = [
        {
            "service_code": s["id"],
            "service_name": s["name"],
            "description": f"{s['name']}（{s.get('category', '')}）",
            "metadata": True,
            "type": "realtime",
            "keywords": ",".join(s.get("keywords") or []),
            "group": str(s.get("category", "")).split("/")[0],
        }
        for s in request.app[services_key]
    ]
    return _reply(request, data, "services", "service")


async def service_definition(request: web.Request) -> web.Response:
    service = _service(request, request.match_info["code"])
    if service is None:
        return _fail(request, 404, "未找到该服务")
    types = [t for t in service.get("appeal_types") or APPEAL_TYPES if t in APPEAL_TYPES]
    definition = {
        "service_code": service["id"],
        "attributes": [
            {
                "variable": True,
                "code": "appeal_type",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "诉求类型",
                "order": 1,
                "description": "诉求类型（默认为第一项）",
                "values": [{"key": t, "name": t} for t in types],
            }
        ],
    }
    if request.match_info.get("format") == "xml":
        return _reply(request, [definition["attributes"][0]], "service_definition", "attribute")
    return web.json_response(definition)


def _as_request(row: Any, services_by_id: dict[str, dict[str, Any]]) -> dict[str, Any]:
    code = (row.decision or {}).get("rule_id")
    service = services_by_id.get(code or "")
    latest = row.resolved_at or row.accepted_at or row.dispatched_at or row.created_at
    return {
        "service_request_id": row.id,
        "status": "closed" if row.status in _DONE else "open",
        "status_notes": STATUS_LABELS.get(row.status, row.status),
        "service_name": service["name"] if service else (row.category_path or ""),
        "service_code": code or "",
        "description": row.text,
        "agency_responsible": "、".join(row.units or []),
        "service_notice": f"办理时限至 {iso(row.deadline)}",
        "requested_datetime": iso(row.created_at),
        "updated_datetime": iso(latest),
        "expected_datetime": iso(row.deadline),
        "address": row.address or "",
        "address_id": "",
        "zipcode": "",
        "lat": None,
        "long": None,
        "media_url": "",
    }


_COLUMNS = (
    tickets.c.id,
    tickets.c.status,
    tickets.c.decision,
    tickets.c.text,
    tickets.c.units,
    tickets.c.created_at,
    tickets.c.dispatched_at,
    tickets.c.accepted_at,
    tickets.c.resolved_at,
    tickets.c.deadline,
    tickets.c.address,
    tickets.c.category_path,
)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise TicketInputError("bad_date", f"日期格式不正确：{value}") from exc


async def list_requests(request: web.Request) -> web.Response:
    query = select(*_COLUMNS)
    ids = [i for i in request.query.get("service_request_id", "").split(",") if i]
    if ids:
        query = query.where(tickets.c.id.in_(ids[:100]))
    else:
        try:
            end = _date(request.query.get("end_date")) or request.app[clock_key]()
            start = _date(request.query.get("start_date")) or end - timedelta(days=90)
        except TicketInputError as exc:
            return _fail(request, 400, exc.message)
        query = query.where(tickets.c.created_at >= start, tickets.c.created_at <= end)
        status = request.query.get("status")
        if status == "open":
            query = query.where(tickets.c.status.not_in(_DONE))
        elif status == "closed":
            query = query.where(tickets.c.status.in_(_DONE))
        query = query.order_by(tickets.c.created_at.desc()).limit(1000)
    codes = [c for c in request.query.get("service_code", "").split(",") if c]
    rows = await request.app[database_key].read(lambda conn: list(conn.execute(query)))
    by_id = {s["id"]: s for s in request.app[services_key]}
    data = [_as_request(r, by_id) for r in rows]
    if codes:
        data = [d for d in data if d["service_code"] in codes]
    return _reply(request, data, "service_requests", "request")


async def get_request(request: web.Request) -> web.Response:
    query = select(*_COLUMNS).where(tickets.c.id == request.match_info["id"])
    row = await request.app[database_key].read(lambda conn: conn.execute(query).first())
    if row is None:
        return _fail(request, 404, "未找到该工单")
    by_id = {s["id"]: s for s in request.app[services_key]}
    return _reply(request, [_as_request(row, by_id)], "service_requests", "request")


async def post_request(request: web.Request) -> web.Response:
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    settings = request.app[settings_key]
    if form.get("api_key") != settings.service_token and not is_bot(request):
        return _fail(request, 403, "api_key 无效")
    service = _service(request, str(form.get("service_code") or ""))
    if service is None:
        return _fail(request, 400, "service_code 无效")
    address = str(form.get("address_string") or "")
    if not address and not (form.get("lat") and form.get("long")):
        return _fail(request, 400, "需要 address_string 或 lat/long")
    if not address:
        address = f"{form.get('lat')!s},{form.get('long')!s}"
    appeal_type = str(form.get("attribute[appeal_type]") or (service.get("appeal_types") or ["投诉"])[0])
    phone = str(form.get("phone") or "") or None
    units = [u for u in service.get("units") or [] if "{" not in u]
    l1, l2, l3 = ([*str(service.get("category", "")).split("/"), "", "", ""])[:3]
    payload = {
        "channel": "open311",
        "sender_id": str(form.get("account_id") or form.get("device_id") or form.get("email") or "open311"),
        "text": str(form.get("description") or service["name"]),
        "appeal_type": appeal_type,
        "category": {"l1": l1, "l2": l2, "l3": l3},
        "address": address,
        "phone": phone,
        "anonymous": phone is None,
        "decision": {"rule_id": service["id"], "tier": service.get("tier"), "units": units or None},
    }
    try:
        ticket, _ = await create_ticket(
            request.app[database_key],
            NewTicket.from_payload(payload),
            request.headers.get("Idempotency-Key") or f"open311-{uuid.uuid4().hex}",
            request.app[clock_key](),
            duplicate_window=timedelta(hours=request.app[config_key].duplicate_window_hours),
        )
    except TicketInputError as exc:
        return _fail(request, 400, exc.message)
    notice = f"已受理，办理时限至 {ticket['deadline_label']}"
    return _reply(
        request,
        [{"service_request_id": ticket["id"], "service_notice": notice, "account_id": None}],
        "service_requests",
        "request",
    )


def add_routes(app: web.Application) -> None:
    fmt = r"{format:json|xml}"
    app.router.add_get(f"{PREFIX}/discovery.json", discovery)
    app.router.add_get(f"{PREFIX}/services.{fmt}", services)
    app.router.add_get(PREFIX + r"/services/{code:[^/.]+}." + fmt, service_definition)
    app.router.add_get(f"{PREFIX}/requests.{fmt}", list_requests)
    app.router.add_post(f"{PREFIX}/requests.{fmt}", post_request)
    app.router.add_get(PREFIX + r"/requests/{id:\d{13}}." + fmt, get_request)
