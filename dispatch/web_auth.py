"""Who is asking: the bot (service token) or a signed-in person (session cookie), and what they may do."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from dispatch.accounts import User, session_user
from dispatch.handling import Actor
from dispatch.keys import clock_key, database_key, settings_key

COOKIE = "jiesu_dispatch_session"


@dataclass(frozen=True)
class _SignedIn:
    user: User | None


_USER_KEY = web.RequestKey("dispatch_user", _SignedIn)


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def is_bot(request: web.Request) -> bool:
    expected = f"Bearer {request.app[settings_key].service_token}"
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), expected.encode())


async def current_user(request: web.Request) -> User | None:
    if _USER_KEY in request:
        return request[_USER_KEY].user
    token = request.cookies.get(COOKIE)
    user = None
    if token:
        user = await session_user(request.app[database_key], token, request.app[clock_key]())
    request[_USER_KEY] = _SignedIn(user)
    return user


async def actor(request: web.Request) -> Actor | None:
    if is_bot(request):
        return Actor("bot", "bot")
    user = await current_user(request)
    if user is None:
        return None
    return Actor(
        user.role,
        f"{user.display_name}（{user.unit_name}）" if user.unit_name else user.display_name,
        user.unit_id,
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def require(*roles: str) -> Callable[[Handler], Handler]:
    """API routes: 401 without credentials, 403 for a role not in ``roles``."""

    def wrap(handler: Handler) -> Handler:
        async def checked(request: web.Request) -> web.StreamResponse:
            who = await actor(request)
            if who is None:
                return error(401, "unauthorised", "请先登录或提供有效的服务令牌")
            if who.role not in roles:
                return error(403, "forbidden", "无权访问")
            return await handler(request)

        return checked

    return wrap
