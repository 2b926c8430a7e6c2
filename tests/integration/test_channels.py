"""The channels through aiohttp's test client: Rasa's REST shape, the web chat's WebSocket, bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app, outbox_key, processor_key
from jiesu.settings import Settings
from tests.fakes import KeywordUnderstanding, MemoryBackend

AnyClient = TestClient[Any, Any]


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
async def client(aiohttp_client: Any, tmp_path: Path, backend: MemoryBackend) -> AnyClient:
    settings = Settings.from_env(
        db_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", redis_url=None, action_endpoint=None
    )
    app = create_app(settings, understanding=lambda s: KeywordUnderstanding(), backend=lambda s: backend)
    result: AnyClient = await aiohttp_client(app)
    return result


async def _say(client: AnyClient, text: str, sender: str = "rest-1", **extra: Any) -> list[dict[str, Any]]:
    resp = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text, **extra})
    assert resp.status == 200, await resp.text()
    body: list[dict[str, Any]] = await resp.json()
    return body


async def test_rest_conversation_to_ticket(client: AnyClient, backend: MemoryBackend) -> None:
    replies = await _say(client, "我家楼下的路灯坏了一个星期了，晚上特别黑")
    assert replies[0]["recipient_id"] == "rest-1" and "地址" in replies[-1]["text"]
    await _say(client, "朝阳区望京街道花家地西里3号楼")
    replies = await _say(client, "13812345678")
    assert [b["title"] for b in replies[-1]["buttons"]] == ["确认提交", "修改", "不办了"]
    replies = await _say(client, "/affirm")
    assert "工单号" in replies[-1]["text"]
    (ticket,) = backend.tickets.values()
    assert ticket["payload"]["channel"] == "rest"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"sender": "a", "message": ""}, "empty_message"),
        ({"sender": "a b", "message": "你好"}, "bad_sender"),
        ({"message": "你好"}, "bad_sender"),
        ({"sender": "a", "message": "好" * 2001}, "message_too_long"),
        (["not", "an", "object"], "bad_json"),
    ],
)
async def test_rest_refuses_bad_input_clearly(client: AnyClient, body: Any, code: str) -> None:
    resp = await client.post("/webhooks/rest/webhook", json=body)
    assert resp.status == 400
    payload = await resp.json()
    assert payload["error"] == code and payload["message"]


async def test_rest_refuses_non_json(client: AnyClient) -> None:
    resp = await client.post("/webhooks/rest/webhook", data=b"\xff\xfe not json")
    assert resp.status == 400 and (await resp.json())["error"] == "bad_json"


async def test_raw_payload_is_kept(client: AnyClient) -> None:
    await _say(client, "你好", sender="raw-1", metadata={"openid": "o-123"})
    tracker = await client.app[processor_key].store.retrieve("raw-1")  # type: ignore[attr-defined]
    user = next(e for e in tracker.events if e["event"] == "user")
    assert user["metadata"]["raw"]["metadata"] == {"openid": "o-123"}


async def test_websocket_history_typing_and_replies(client: AnyClient) -> None:
    ws = await client.ws_connect("/webhooks/web/ws?sender=ws-1")
    assert (await ws.receive_json())["type"] == "history"
    await ws.send_json({"type": "message", "text": "/greet", "message_id": "g1", "display": ""})
    assert (await ws.receive_json())["type"] == "typing"
    assert (await ws.receive_json()) == {"type": "ack", "message_id": "g1"}
    greeting = await ws.receive_json()
    assert greeting["type"] == "bot" and "12345" in greeting["text"] and greeting["buttons"]
    await ws.send_json({"type": "message", "text": "路灯坏了", "message_id": "m1"})
    frames = [await ws.receive_json() for _ in range(3)]
    assert frames[-1]["type"] == "bot" and "地址" in frames[-1]["text"]
    await ws.close()
    # A reload: the same citizen reconnects and sees the conversation, without the silent greeting.
    ws2 = await client.ws_connect("/webhooks/web/ws?sender=ws-1")
    history = await ws2.receive_json()
    roles = [m["role"] for m in history["messages"]]
    assert roles == ["bot", "user", "bot"] and history["messages"][1]["text"] == "路灯坏了"
    await ws2.send_json({"type": "nonsense"})
    assert (await ws2.receive_json())["type"] == "error"
    await ws2.close()


async def test_websocket_refuses_a_bad_sender(client: AnyClient) -> None:
    resp = await client.get("/webhooks/web/ws?sender=bad%20sender")
    assert resp.status == 400


async def test_chat_page_is_served(client: AnyClient) -> None:
    resp = await client.get("/")
    assert resp.status == 200 and "12345" in await resp.text()
    assert (await client.get("/static/chat.js")).status == 200


async def test_appeal_accepted_while_backend_is_down_reaches_the_page_later(
    client: AnyClient, backend: MemoryBackend
) -> None:
    backend.down = True
    ws = await client.ws_connect("/webhooks/web/ws?sender=down-1")
    await ws.receive_json()  # history

    async def turn(text: str) -> dict[str, Any]:
        await ws.send_json({"type": "message", "text": text})
        frames = []
        while not frames or frames[-1]["type"] != "bot":
            frames.append(await ws.receive_json())
        return frames[-1]

    await turn("朝阳区花家地西里3号楼路灯坏了，电话13812345678")
    ack = await turn("确认")
    assert "已受理，受理编号" in ack["text"]
    outbox = client.app[outbox_key]
    outbox.clock = lambda: datetime(2099, 1, 1, tzinfo=UTC)  # past every back-off
    backend.down = False
    reference = ack["text"].split("受理编号 ")[1][:8]
    pushed = await ws.receive_json(timeout=10)
    assert pushed["type"] == "bot" and "工单号：" in pushed["text"] and reference in pushed["text"]
    assert len(backend.tickets) == 1
    await ws.close()
    # The pushed message is part of the conversation: a reload shows it.
    history = await (await client.ws_connect("/webhooks/web/ws?sender=down-1")).receive_json()
    assert "工单号：" in history["messages"][-1]["text"]
