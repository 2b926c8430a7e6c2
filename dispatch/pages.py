"""The pages: sign-in, the unit workbench (tickets with their lights; accept, return, reply, resolve),
the agents' dispatch queue and the supervisor dashboard (three rates, hot spots, a chart).

Rendered with Mako (already installed with Alembic), HTML-escaped by default.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from mako.lookup import TemplateLookup

from dispatch import queries, stats
from dispatch.accounts import ROLES, User, login, logout
from dispatch.handling import act
from dispatch.keys import clock_key, config_key, database_key
from dispatch.lifecycle import TRANSITIONS, IllegalTransition
from dispatch.units import KIND_LABELS
from dispatch.web_auth import COOKIE, actor, current_user

HERE = Path(__file__).resolve().parent
_MONTH_FORMAT = "%Y-%m"


@functools.cache
def _templates() -> TemplateLookup:
    return TemplateLookup(
        directories=[str(HERE / "templates")],
        default_filters=["h"],
        input_encoding="utf-8",
        strict_undefined=True,
    )


def _page(
    request: web.Request, name: str, user: User | None, status: int = 200, **values: Any
) -> web.Response:
    html = (
        _templates()
        .get_template(name)
        .render(
            user=user,
            roles=ROLES,
            message=request.query.get("msg"),
            error=request.query.get("error"),
            **values,
        )
    )
    return web.Response(text=html, content_type="text/html", status=status)


def _home(user: User) -> str:
    return "/dashboard" if user.role in ("supervisor", "admin") else "/workbench"


async def _signed_in(request: web.Request, *roles: str) -> User:
    user = await current_user(request)
    if user is None:
        raise web.HTTPSeeOther("/login")
    if user.role not in roles:
        raise web.HTTPForbidden(text="无权访问此页面", content_type="text/plain")
    return user


async def index(request: web.Request) -> web.Response:
    user = await current_user(request)
    raise web.HTTPSeeOther(_home(user) if user else "/login")


async def login_page(request: web.Request) -> web.Response:
    return _page(request, "login.mako", None, title="登录")


async def login_submit(request: web.Request) -> web.Response:
    form = await request.post()
    token = await login(
        request.app[database_key],
        str(form.get("username") or ""),
        str(form.get("password") or ""),
        request.app[clock_key](),
        request.app[config_key].session_hours,
    )
    if token is None:
        raise web.HTTPSeeOther("/login?" + urlencode({"error": "用户名或密码错误"}))
    response = web.HTTPSeeOther("/")
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=request.secure,
        max_age=3600 * request.app[config_key].session_hours,
        path="/",
    )
    raise response


async def logout_submit(request: web.Request) -> web.Response:
    token = request.cookies.get(COOKIE)
    if token:
        await logout(request.app[database_key], token)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


def _actions_for(user: User) -> Any:
    fields = {
        "return": "note",
        "reply": "note",
        "resolve": "note",
        "dispatch": "units",
        "request_extension": "days",
    }
    order = ("accept", "reply", "resolve", "return", "request_extension", "dispatch", "reject_return")

    def actions(ticket: dict[str, Any]) -> list[tuple[str, str, str | None]]:
        out = []
        for name in order:
            t = TRANSITIONS[name]
            if user.role in t.roles and ticket["status"] in t.sources:
                if ticket.get("role") == "assist" and name != "reply":
                    continue
                out.append((name, t.label, fields.get(name)))
        return out

    return actions


async def workbench(request: web.Request) -> web.Response:
    user = await _signed_in(request, "handler", "agent", "admin")
    database, now = request.app[database_key], request.app[clock_key]()
    if user.role == "handler":
        assert user.unit_id is not None
        items = await queries.unit_tickets(database, user.unit_id, now)
        heading = f"{user.unit_name} · 待办工单"
    else:
        items = await queries.queue(database, now)
        heading = "待派与退单工单"
    return _page(
        request,
        "workbench.mako",
        user,
        title="工作台",
        heading=heading,
        tickets=items,
        actions_for=_actions_for(user),
    )


async def workbench_action(request: web.Request) -> web.Response:
    user = await _signed_in(request, "handler", "agent", "admin")
    who = await actor(request)
    assert who is not None
    form = await request.post()
    action = request.match_info["action"]
    units = [
        u.strip() for u in str(form.get("units") or "").replace(",", "、").replace("，", "、").split("、")
    ]
    days_text = str(form.get("days") or "")
    try:
        if action not in TRANSITIONS or action == "rate":
            raise IllegalTransition("unknown_action", f"未知操作 {action}")
        ticket = await act(
            request.app[database_key],
            request.match_info["ticket_id"],
            action,
            who,
            request.app[clock_key](),
            note=str(form.get("note") or "") or None,
            params={
                "units": [u for u in units if u],
                "days": int(days_text) if days_text.isdigit() else None,
            },
        )
    except IllegalTransition as exc:
        raise web.HTTPSeeOther("/workbench?" + urlencode({"error": exc.message})) from exc
    done = f"工单 {ticket['id']} 已{TRANSITIONS[action].label}，当前状态：{ticket['status_label']}"
    del user
    raise web.HTTPSeeOther("/workbench?" + urlencode({"msg": done}))


def _month(request: web.Request) -> str:
    month = request.query.get("month") or request.app[clock_key]().astimezone(stats.BEIJING).strftime(
        _MONTH_FORMAT
    )
    try:
        stats.month_bounds(month)
    except ValueError as exc:
        raise web.HTTPBadRequest(text="月份格式应为 YYYY-MM", content_type="text/plain") from exc
    return month


async def dashboard(request: web.Request) -> web.Response:
    user = await _signed_in(request, "supervisor", "admin")
    database, month = request.app[database_key], _month(request)
    return _page(
        request,
        "dashboard.mako",
        user,
        title="督办看板",
        month=month,
        rates=await stats.unit_rates(database, month),
        hot=await stats.hot_categories(database, month),
        governance=await stats.governance_streets(database, month),
        kinds=KIND_LABELS,
        pct=lambda v: "—" if v is None else f"{v:.1f}%",
    )


async def rates_png(request: web.Request) -> web.Response:
    await _signed_in(request, "supervisor", "admin")
    rates = await stats.unit_rates(request.app[database_key], _month(request))
    return web.Response(body=stats.rates_chart(rates), content_type="image/png")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout_submit)
    app.router.add_get("/workbench", workbench)
    app.router.add_post(r"/workbench/tickets/{ticket_id:\d{13}}/{action}", workbench_action)
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/dashboard/rates.png", rates_png)
    app.router.add_static("/static", HERE / "static")
