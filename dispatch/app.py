"""The dispatch backend's app factory: JSON API, Open311 GeoReport v2, the unit workbench and dashboard."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from dispatch import api, open311, pages
from dispatch.config import DispatchConfig

# Re-exported: the app's state keys live in dispatch.keys.
from dispatch.keys import Clock, clock_key, config_key, database_key, settings_key
from dispatch.lifecycle import IllegalTransition
from dispatch.migrate import upgrade
from dispatch.openapi import openapi_document
from dispatch.sla import sweep
from dispatch.tickets import TicketInputError
from dispatch.web_auth import error
from jiesu.database import Database
from jiesu.settings import Settings

log = logging.getLogger(__name__)

_STATUS = {"not_found": 404, "forbidden": 403, "unknown_action": 404}


@web.middleware
async def _errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except TicketInputError as exc:
        return error(400, exc.code, exc.message)
    except IllegalTransition as exc:
        return error(
            _STATUS.get(exc.code, 409 if exc.code == "illegal_transition" else 400), exc.code, exc.message
        )
    except Exception:
        log.exception("dispatch request failed: %s %s", request.method, request.path)
        return error(500, "internal", "系统繁忙，请稍后再试")


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


def create_app(
    settings: Settings,
    *,
    clock: Clock = lambda: datetime.now(UTC),
    config: DispatchConfig | None = None,
) -> web.Application:
    app = web.Application(middlewares=[_errors], client_max_size=1024 * 1024)
    app[settings_key] = settings
    app[clock_key] = clock
    app[config_key] = config or DispatchConfig.from_env()

    async def database(app: web.Application) -> AsyncIterator[None]:
        db = Database(settings.dispatch_db_url)
        await upgrade(db)
        app[database_key] = db
        yield
        await db.dispose()

    async def sla_sweeper(app: web.Application) -> AsyncIterator[None]:
        interval = app[config_key].sweep_interval_seconds

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await sweep(app[database_key], app[clock_key](), app[config_key].tracked_reminder_days)
                except Exception:
                    log.exception("SLA sweep failed")

        task = asyncio.create_task(loop()) if interval > 0 else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.cleanup_ctx.append(database)
    app.cleanup_ctx.append(open311.load_services)
    app.cleanup_ctx.append(sla_sweeper)
    api.add_routes(app)
    open311.add_routes(app)
    pages.add_routes(app)
    app.router.add_get("/api/openapi.json", openapi)
    app.router.add_get("/healthz", health)
    return app


__all__ = ["clock_key", "config_key", "create_app", "database_key", "settings_key"]
