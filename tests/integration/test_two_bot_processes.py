"""Two bot processes, one Redis lock and one PostgreSQL tracker store: a citizen's interleaved
messages, sent to both processes at once, are handled one turn at a time and nothing is lost."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.support.procs import free_port, start, stop

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def two_bots(postgres_url: str, redis_url: str) -> Iterator[list[str]]:
    ports = [free_port(), free_port()]
    env = {"JIESU_DB_URL": postgres_url, "JIESU_REDIS_URL": redis_url, "JIESU_SESSION_EXPIRY_MINUTES": "600"}
    procs = []
    try:
        for port in ports:
            procs.append(
                start(
                    ["-m", "tests.support.serve_bot", str(port)],
                    env,
                    f"http://127.0.0.1:{port}/webhooks/rest/",
                )
            )
        yield [f"http://127.0.0.1:{p}" for p in ports]
    finally:
        for proc in procs:
            stop(proc)


MESSAGES = ["你好", "谢谢", "转人工", "你好", "谢谢", "再见"]


async def test_interleaved_messages_across_two_processes(two_bots: list[str], postgres_url: str) -> None:
    senders = [f"two-proc-{uuid.uuid4().hex[:10]}" for _ in range(12)]

    async with aiohttp.ClientSession() as session:

        async def send(base: str, sender: str, text_: str, n: int) -> int:
            body = {"sender": sender, "message": text_, "message_id": f"{sender}-{n}"}
            async with session.post(f"{base}/webhooks/rest/webhook", json=body) as resp:
                assert resp.status == 200, await resp.text()
                return len(await resp.json())

        # Every message of every citizen goes out at the same moment, alternating between processes.
        tasks = [
            send(two_bots[n % 2], sender, message, n)
            for sender in senders
            for n, message in enumerate(MESSAGES)
        ]
        replies = await asyncio.gather(*tasks)
    assert all(count >= 1 for count in replies)

    conn = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        for sender in senders:
            rows = await conn.fetch(
                "select seq, count, data from conversation_events where sender_id=$1 order by seq", sender
            )
            _check_conversation([(r["seq"], r["count"], json.loads(r["data"])) for r in rows])
    finally:
        await conn.close()


def _check_conversation(turns: list[tuple[int, int, list[dict[str, Any]]]]) -> None:
    events: list[dict[str, Any]] = []
    for seq, count, batch in turns:
        assert seq == len(events) and count == len(batch), "event sequence has gaps or overlaps"
        events.extend(batch)
    users = [e for e in events if e["event"] == "user"]
    assert len(users) == len(MESSAGES), "a message was lost or handled twice"
    # Each turn is whole: between two user messages the previous turn ended with action_listen.
    for before, event in itertools.pairwise(events):
        if event["event"] == "user" and before["event"] != "session_started":
            assert before["event"] == "action" and before["name"] == "action_listen", before
