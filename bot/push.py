"""Messages the bot sends on its own (a ticket number delivered later): to the citizen's open page
wherever it is connected. In one process that is a local call; with Redis, every bot process
subscribes to one channel and forwards to the sockets it holds."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from redis.asyncio import Redis

from bot.channels.web import WebConnections

log = logging.getLogger(__name__)

CHANNEL = "jiesu:push"


class LocalPush:
    def __init__(self, connections: WebConnections) -> None:
        self.connections = connections

    async def send(self, sender: str, frame: dict[str, Any]) -> None:
        await self.connections.send(sender, frame)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisPush:
    def __init__(self, url: str, connections: WebConnections) -> None:
        self.redis: Redis = Redis.from_url(url)
        self.connections = connections
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def send(self, sender: str, frame: dict[str, Any]) -> None:
        await self.redis.publish(CHANNEL, json.dumps({"sender": sender, "frame": frame}, ensure_ascii=False))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="push-listener")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _listen(self) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(CHANNEL)
        self._ready.set()
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    data = json.loads(message["data"])
                    await self.connections.send(str(data["sender"]), dict(data["frame"]))
                except Exception:
                    log.exception("bad push message")
        finally:
            await pubsub.aclose()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.redis.aclose()
