"""The conversation service's app factory: every resource opened and closed in a cleanup context."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from actions import services as action_services
from bot.callbacks import CallbackRelay
from bot.channels.rest import RestChannel
from bot.channels.web import WebChannel, WebConnections
from bot.engine.domain import Domain
from bot.engine.executors import Executor, HttpExecutor, InProcessExecutor
from bot.engine.interpreter import Interpreter, Understanding
from bot.engine.message import UserMessage
from bot.engine.processor import MessageProcessor
from bot.engine.rules import RuleSet
from bot.lock import InProcessLocks, LockTimeout, RedisLocks
from bot.push import LocalPush, RedisPush
from bot.store.db import open_database
from bot.store.outbox import Outbox, OutboxEntry, OutboxRelay
from bot.store.tracker_store import SQLTrackerStore
from jiesu.config_yml import policy_settings
from jiesu.settings import Settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"

settings_key = web.AppKey("settings", Settings)
processor_key = web.AppKey("processor", MessageProcessor)
connections_key = web.AppKey("connections", WebConnections)
relay_key = web.AppKey("relay", OutboxRelay)
outbox_key = web.AppKey("outbox", Outbox)
callbacks_key = web.AppKey("callbacks", CallbackRelay)

UnderstandingFactory = Callable[[Settings], Understanding]
BackendFactory = Callable[[Settings], Any]


def _default_understanding(settings: Settings) -> Understanding:
    from bot.understanding import ModelUnderstanding

    return ModelUnderstanding(settings.model_path)


def _default_backend(settings: Settings) -> Any:
    from dispatch.client import DispatchClient

    return DispatchClient(settings.dispatch_url, settings.service_token)


@web.middleware
async def _errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except LockTimeout:
        return web.json_response({"error": "busy", "message": "上一条消息还在处理中，请稍后再发"}, status=503)
    except Exception:
        log.exception("request failed: %s %s", request.method, request.path)
        return web.json_response({"error": "internal", "message": "系统繁忙，请稍后再试"}, status=500)


def create_app(
    settings: Settings,
    *,
    understanding: UnderstandingFactory = _default_understanding,
    backend: BackendFactory = _default_backend,
    relay_interval: float = 1.0,
) -> web.Application:
    app = web.Application(middlewares=[_errors], client_max_size=256 * 1024)
    app[settings_key] = settings
    connections = WebConnections()
    app[connections_key] = connections

    async def resources(app: web.Application) -> AsyncIterator[None]:
        domain = Domain.load(settings.domain_path)
        rules = RuleSet.load(settings.rules_path)
        policy = policy_settings(settings.config_path)
        database = await open_database(settings.db_url)
        locks: InProcessLocks | RedisLocks = (
            RedisLocks(settings.redis_url) if settings.redis_url else InProcessLocks()
        )
        ticket_backend = backend(settings)
        outbox = Outbox(database)
        executor: Executor
        if settings.action_endpoint:
            executor = HttpExecutor(settings.action_endpoint)
        else:
            resolver, router = action_services.load_routing(settings)
            action_services.configure(
                action_services.Services(
                    settings=settings,
                    outbox=outbox,
                    backend=ticket_backend,
                    policy=policy,
                    resolver=resolver,
                    router=router,
                )
            )
            executor = InProcessExecutor("actions")
        processor = MessageProcessor(
            domain=domain,
            rules=rules,
            interpreter=Interpreter(understanding(settings)),
            store=SQLTrackerStore(database, domain, sole_writer=settings.redis_url is None),
            locks=locks,
            executor=executor,
            policy=policy,
            session_expiry_minutes=settings.session_expiry_minutes,
        )
        app[processor_key] = processor
        app[outbox_key] = outbox

        push: LocalPush | RedisPush = (
            RedisPush(settings.redis_url, connections) if settings.redis_url else LocalPush(connections)
        )
        await push.start()

        async def notify(entry: OutboxEntry, ticket: dict[str, Any]) -> None:
            from actions.appeal import ticket_reply

            text = f"（受理编号 {entry.reference}）" + ticket_reply(ticket)
            await processor.push(entry.sender_id, text)
            await push.send(entry.sender_id, {"type": "bot", "text": text, "buttons": []})

        relay = OutboxRelay(outbox, ticket_backend, notify, interval=relay_interval)
        app[relay_key] = relay
        relay.start()

        async def ask(sender_id: str, text: str, buttons: list[dict[str, Any]]) -> None:
            await processor.push(sender_id, text, buttons)
            await push.send(sender_id, {"type": "bot", "text": text, "buttons": buttons})

        callbacks = CallbackRelay(ticket_backend, ask, interval=settings.callback_interval_seconds)
        app[callbacks_key] = callbacks
        callbacks.start()
        yield
        await callbacks.stop()
        await relay.stop()
        await push.close()
        await connections.close_all()
        await executor.close()
        closer = getattr(ticket_backend, "close", None)
        if closer is not None:
            await closer()
        await locks.close()
        action_services.configure(None)
        await database.dispose()

    app.cleanup_ctx.append(resources)

    async def on_message(message: UserMessage) -> list[dict[str, Any]]:
        return await app[processor_key].handle_message(message)

    async def history(sender: str) -> list[dict[str, Any]]:
        return await app[processor_key].transcript(sender)

    RestChannel(on_message).register(app)
    WebChannel(on_message, history, connections).register(app)

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "index.html")

    async def health(request: web.Request) -> web.Response:
        pending = await app[outbox_key].count_pending()
        return web.json_response({"status": "ok", "outbox_pending": pending})

    app.router.add_get("/", index)
    app.router.add_get("/healthz", health)
    app.router.add_static("/static/", STATIC_DIR)
    return app
