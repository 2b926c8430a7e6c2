"""Per-conversation locks: two messages of one citizen never race.

In-process by default (an ``asyncio.Lock`` per conversation, dropped when nobody waits);
Redis when configured, so that several bot processes serialise a conversation between them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import LockError


class LockTimeout(RuntimeError):
    """The conversation stayed locked longer than a turn may take."""


class InProcessLocks:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def close(self) -> None:
        return None


class RedisLocks:
    """A Redis lock per conversation (redis-py's token-checked lock with an expiry).

    ``timeout`` bounds how long a crashed holder can block a conversation; ``blocking_timeout``
    how long a turn waits for its turn before giving up with an error reply.
    """

    def __init__(self, url: str, *, timeout: float = 30.0, blocking_timeout: float = 20.0) -> None:
        self.redis: Redis = Redis.from_url(url)
        self.timeout = timeout
        self.blocking_timeout = blocking_timeout

    @asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        lock: Any = self.redis.lock(
            f"jiesu:conversation-lock:{key}",
            timeout=self.timeout,
            blocking_timeout=self.blocking_timeout,
            sleep=0.005,
        )
        if not await lock.acquire():
            raise LockTimeout(f"conversation {key} is busy")
        try:
            yield
        finally:
            # LockError: it expired while held, and the next holder already owns it.
            with contextlib.suppress(LockError):
                await lock.release()

    async def close(self) -> None:
        await self.redis.aclose()
