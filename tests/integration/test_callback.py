"""The callback (回访) end to end: a unit resolves the ticket in the real dispatch backend, the bot
asks the citizen on the chat page, 不满意 reopens the ticket and the comment reaches the unit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import callbacks_key, create_app
from bot.callbacks import question
from dispatch.app import create_app as create_dispatch_app
from dispatch.app import database_key
from dispatch.handling import Actor, act
from dispatch.tickets import load_ticket
from jiesu.settings import Settings
from tests.fakes import KeywordUnderstanding
from tests.support.procs import free_port

AnyClient = TestClient[Any, Any]
TOKEN = "callback-test-token"


@pytest.fixture
async def dispatch_server(tmp_path: Path) -> AsyncIterator[TestServer]:
    settings = Settings.from_env(
        dispatch_db_url=f"sqlite+aiosqlite:///{tmp_path / 'dispatch.db'}", service_token=TOKEN
    )
    server = TestServer(create_dispatch_app(settings), host="127.0.0.1", port=free_port())
    await server.start_server()
    yield server
    await server.close()


def test_the_question_offers_three_ratings() -> None:
    text, buttons = question(
        {
            "id": "2026112500001",
            "text": "小区门口路灯坏了" * 10,
            "units": ["朝阳区望京街道"],
            "resolution": "已更换灯泡",
        }
    )
    assert "工单号：2026112500001" in text and "朝阳区望京街道" in text and "已更换灯泡" in text
    assert "……" in text  # a long appeal is shortened
    assert [b["title"] for b in buttons] == ["满意", "基本满意", "不满意"]
    assert buttons[2]["payload"] == '/rate{"ticket_id": "2026112500001", "rating": "不满意"}'


async def test_unsatisfied_rating_reopens_the_ticket_and_passes_the_comment_on(
    aiohttp_client: Any, tmp_path: Path, dispatch_server: TestServer
) -> None:
    settings = Settings.from_env(
        db_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        redis_url=None,
        action_endpoint=None,
        dispatch_url=f"http://127.0.0.1:{dispatch_server.port}",
        service_token=TOKEN,
        callback_interval_seconds=0,  # the test runs the relay itself
    )
    client: AnyClient = await aiohttp_client(
        create_app(settings, understanding=lambda s: KeywordUnderstanding())
    )
    ws = await client.ws_connect("/webhooks/web/ws?sender=cb-1")
    await ws.receive_json()  # history

    async def replies(wait: float = 10.0) -> list[dict[str, Any]]:
        """The bot's messages of one turn: until it has been quiet for a moment."""
        bots: list[dict[str, Any]] = []
        while True:
            try:
                frame = await ws.receive_json(timeout=0.5 if bots else wait)
            except TimeoutError:
                return bots
            if frame["type"] == "bot":
                bots.append(frame)

    async def turn(text: str) -> list[dict[str, Any]]:
        await ws.send_json({"type": "message", "text": text})
        return await replies()

    await turn("朝阳区望京街道花家地西里3号楼路灯坏了，电话13812345678")
    reply = (await turn("确认"))[-1]["text"]
    ticket_id = reply.split("工单号：")[1][:13]

    relay = client.app[callbacks_key]
    assert await relay.run_once() == 0  # nothing resolved yet

    database = dispatch_server.app[database_key]
    now = datetime.now(UTC)
    row, _ = await load_ticket(database, ticket_id)
    if row.status == "pending":
        await act(
            database, ticket_id, "dispatch", Actor("agent", "坐席"), now, params={"units": ["朝阳区望京街道"]}
        )
        row, _ = await load_ticket(database, ticket_id)
    handler = Actor("handler", "街道办理人", unit_id=row.unit_id)
    await act(database, ticket_id, "accept", handler, now)
    await act(database, ticket_id, "resolve", handler, now, note="已更换路灯灯泡")

    assert await relay.run_once() == 1
    (asked,) = await replies()
    assert asked["type"] == "bot" and ticket_id in asked["text"] and "已更换路灯灯泡" in asked["text"]
    assert [b["title"] for b in asked["buttons"]] == ["满意", "基本满意", "不满意"]
    assert await relay.run_once() == 0  # asked once only

    unsatisfied = next(b["payload"] for b in asked["buttons"] if b["title"] == "不满意")
    texts = [f["text"] for f in await turn(unsatisfied)]
    assert any("重新办理" in t for t in texts) and "意见" in texts[-1], texts
    texts = [f["text"] for f in await turn("路灯晚上还是经常灭，希望彻底修好")]
    assert any("已转给办理单位" in t for t in texts), texts
    await ws.close()

    row, events = await load_ticket(database, ticket_id)
    assert row.status == "in_progress" and row.rating == "不满意" and row.reopens == 1
    kinds = [e.kind for e in events]
    assert kinds[-3:] == ["callback", "reopened", "citizen_comment"], kinds
    assert events[-1].note == "路灯晚上还是经常灭，希望彻底修好"
