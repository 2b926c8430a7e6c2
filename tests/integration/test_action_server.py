"""A whole conversation through rasa-sdk's real action server (`python -m rasa_sdk --actions actions`),
in its own process on a free loopback port, against the real dispatch backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from jiesu.settings import Settings
from tests.fakes import KeywordUnderstanding
from tests.support.procs import free_port, start, stop


@pytest.fixture
async def dispatch_server(tmp_path: Path) -> AsyncIterator[str]:
    from dispatch.app import create_app as create_dispatch_app

    settings = Settings.from_env(dispatch_db_url=f"sqlite+aiosqlite:///{tmp_path / 'dispatch.db'}")
    server = TestServer(create_dispatch_app(settings), host="127.0.0.1", port=free_port())
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.close()


@pytest.fixture
def action_server(tmp_path: Path, dispatch_server: str) -> Iterator[str]:
    port = free_port()
    env = {
        "SANIC_HOST": "127.0.0.1",
        "JIESU_DB_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "JIESU_DISPATCH_URL": dispatch_server,
    }
    proc = start(
        ["-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/health",
    )
    try:
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        stop(proc)


async def test_conversation_through_the_action_server(
    aiohttp_client: Any, tmp_path: Path, action_server: str, dispatch_server: str
) -> None:
    settings = Settings.from_env(
        db_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        action_endpoint=action_server,
        dispatch_url=dispatch_server,
        redis_url=None,
    )
    client: TestClient[Any, Any] = await aiohttp_client(
        create_app(settings, understanding=lambda s: KeywordUnderstanding())
    )

    async def say(text: str) -> list[str]:
        resp = await client.post("/webhooks/rest/webhook", json={"sender": "as-1", "message": text})
        assert resp.status == 200, await resp.text()
        return [r.get("text", "") for r in await resp.json()]

    assert any("地址" in r for r in await say("我家楼下的路灯坏了一个星期了，晚上特别黑"))
    assert any("电话" in r for r in await say("朝阳区望京街道花家地西里3号楼"))
    assert any("请核对" in r for r in await say("13812345678"))
    replies = await say("确认")
    assert any("工单号：" in r for r in replies), replies
    ticket_id = next(r for r in replies if "工单号：" in r).split("工单号：")[1][:13]
    status = await say(f"我的工单 {ticket_id} 到哪一步了")
    assert any(ticket_id in r and "当前状态" in r for r in status), status
