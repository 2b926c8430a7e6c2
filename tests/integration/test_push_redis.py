"""A message pushed by one bot process reaches a page connected to another, through Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.channels.web import WebConnections
from bot.push import RedisPush

pytestmark = pytest.mark.redis


class FakeSocket:
    closed = False

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send_json(self, frame: dict[str, Any], dumps: Any = None) -> None:
        self.frames.append(frame)


async def test_push_crosses_processes(redis_url: str) -> None:
    here, there = WebConnections(), WebConnections()
    socket = FakeSocket()
    there.add("citizen-x", socket)  # type: ignore[arg-type]
    sender, receiver = RedisPush(redis_url, here), RedisPush(redis_url, there)
    await sender.start()
    await receiver.start()
    try:
        await sender.send("citizen-x", {"type": "bot", "text": "工单号：2026112300001"})
        for _ in range(100):
            if socket.frames:
                break
            await asyncio.sleep(0.02)
        assert socket.frames == [{"type": "bot", "text": "工单号：2026112300001"}]
    finally:
        await sender.close()
        await receiver.close()
