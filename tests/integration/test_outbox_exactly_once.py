"""Nothing lost, nothing twice: citizens file appeals while the dispatch backend (a real process) is
killed mid-run and started again; every appeal ends up as exactly one ticket."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.app import create_app, outbox_key
from dispatch.schema import tickets
from dispatch.scratch import scratch_database
from jiesu.database import Database
from jiesu.settings import Settings
from tests.fakes import KeywordUnderstanding
from tests.support.procs import free_port, start

AnyClient = TestClient[Any, Any]
TOKEN = "outbox-test-token"
CITIZENS = 24


@pytest.fixture(params=["sqlite", "postgresql"])
async def dispatch_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    server = (
        f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    async with scratch_database(server, tmp_path) as url:
        yield url


class Backend:
    """The dispatch backend as its own process, which the test can kill and start again."""

    def __init__(self, db_url: str) -> None:
        self.port = free_port()
        self.env = {"JIESU_DISPATCH_DB_URL": db_url, "JIESU_SERVICE_TOKEN": TOKEN}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = start(
            ["-m", "jiesu.cli", "dispatch", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            self.env,
            f"{self.url}/healthz",
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)  # no graceful shutdown: requests in flight are cut
        self.proc.wait()


async def _say(client: AnyClient, sender: str, text: str) -> list[str]:
    resp = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert resp.status == 200, await resp.text()
    return [str(r.get("text", "")) for r in await resp.json()]


async def _ready_to_confirm(client: AnyClient, n: int) -> None:
    sender = f"citizen-{n}"
    await _say(client, sender, f"朝阳区望京街道花家地西里{n}号楼门口的路灯坏了")
    replies = await _say(client, sender, f"138{n:08d}")
    assert any("请核对" in r for r in replies), replies


async def _confirm(client: AnyClient, n: int) -> list[str]:
    return await _say(client, f"citizen-{n}", "确认")


async def test_every_appeal_arrives_exactly_once_across_a_backend_crash(
    aiohttp_client: Any, tmp_path: Path, dispatch_db: str
) -> None:
    backend = Backend(dispatch_db)
    backend.start()
    settings = Settings.from_env(
        db_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        redis_url=None,
        action_endpoint=None,
        dispatch_url=backend.url,
        service_token=TOKEN,
    )
    client: AnyClient = await aiohttp_client(
        create_app(settings, understanding=lambda s: KeywordUnderstanding(), relay_interval=0.1)
    )
    try:
        await asyncio.gather(*(_ready_to_confirm(client, n) for n in range(CITIZENS)))
        before = await asyncio.gather(*(_confirm(client, n) for n in range(8)))
        assert all(any("工单号：" in r for r in replies) for replies in before), before

        # The crash lands in the middle of a burst of confirmations: some are in flight when it
        # happens (the ticket may be stored while the answer is lost); the rest come after it.
        burst = asyncio.gather(*(_confirm(client, n) for n in range(8, 16)))
        await asyncio.sleep(0.01)
        await asyncio.to_thread(backend.kill)
        during = await burst
        after = await asyncio.gather(*(_confirm(client, n) for n in range(16, CITIZENS)))
        # Every citizen got an answer: a ticket number, or the acknowledgement with a reference.
        answers = during + after
        assert all(any("工单号：" in r or "受理编号" in r for r in replies) for replies in answers), answers
        acknowledged = sum(any("受理编号" in r for r in replies) for replies in answers)
        assert acknowledged >= CITIZENS - 16

        outbox = client.app[outbox_key]
        assert await outbox.count_pending() == acknowledged
        await asyncio.to_thread(backend.start)
        outbox.clock = lambda: datetime(2099, 1, 1, tzinfo=UTC)  # past every back-off
        for _ in range(200):
            if await outbox.count_pending() == 0:
                break
            await asyncio.sleep(0.1)
        assert await outbox.count_pending() == 0
    finally:
        if backend.proc is not None and backend.proc.poll() is None:
            backend.kill()

    database = Database(dispatch_db)
    try:
        total, keys, senders = await database.read(
            lambda conn: conn.execute(
                select(
                    func.count(),
                    func.count(tickets.c.idempotency_key.distinct()),
                    func.count(tickets.c.sender_id.distinct()),
                )
            ).one()
        )
    finally:
        await database.dispose()
    assert (total, keys, senders) == (CITIZENS, CITIZENS, CITIZENS)
