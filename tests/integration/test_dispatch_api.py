"""The dispatch backend's API for the bot, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from dispatch.app import create_app
from dispatch.scratch import scratch_database
from jiesu.settings import Settings

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PAYLOAD = {
    "channel": "web",
    "sender_id": "citizen-1",
    "text": "我家楼下的路灯坏了一个星期了",
    "appeal_type": "投诉",
    "category": {"l1": "城乡建设", "l2": "城市建设和市政管理", "l3": "城市公共设施"},
    "address": "朝阳区望京街道花家地西里3号楼",
    "phone": "13812345678",
    "anonymous": False,
    "decision": {"units": ["望京街道办事处"], "tier": "24h"},
}


@pytest.fixture
async def client(aiohttp_client: Any, db_url: str, tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    async with scratch_database(db_url, tmp_path) as url:
        settings = Settings.from_env(dispatch_db_url=url, service_token=TOKEN)
        app = create_app(settings, clock=lambda: datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
        result: TestClient[Any, Any] = await aiohttp_client(app)
        yield result
        await result.close()


def _key() -> str:
    return f"appeal-{uuid.uuid4().hex}"


async def test_create_is_idempotent_and_numbered(client: TestClient[Any, Any]) -> None:
    key = _key()
    first = await client.post("/api/tickets", json=PAYLOAD, headers={**AUTH, "Idempotency-Key": key})
    assert first.status == 201
    ticket = await first.json()
    assert re.fullmatch(r"20261123\d{5}", ticket["id"])
    assert ticket["status_label"] == "已派" and ticket["units"] == ["望京街道办事处"]
    assert ticket["deadline"].startswith("2026-11-24T10:00")  # 24 h later, in Beijing time
    again = await client.post("/api/tickets", json=PAYLOAD, headers={**AUTH, "Idempotency-Key": key})
    assert again.status == 200 and (await again.json())["id"] == ticket["id"]


async def test_concurrent_retries_make_one_ticket(client: TestClient[Any, Any]) -> None:
    key = _key()
    responses = await asyncio.gather(
        *(
            client.post("/api/tickets", json=PAYLOAD, headers={**AUTH, "Idempotency-Key": key})
            for _ in range(8)
        )
    )
    ids = {(await r.json())["id"] for r in responses}
    assert len(ids) == 1
    assert sorted(r.status for r in responses).count(201) == 1


async def test_only_the_owner_reads_a_ticket(client: TestClient[Any, Any]) -> None:
    created = await (
        await client.post("/api/tickets", json=PAYLOAD, headers={**AUTH, "Idempotency-Key": _key()})
    ).json()
    path = f"/api/tickets/{created['id']}"
    mine = await client.get(path, params={"sender_id": "citizen-1"}, headers=AUTH)
    assert mine.status == 200 and [e["kind"] for e in (await mine.json())["events"]] == [
        "created",
        "dispatched",
    ]
    by_phone = await client.get(path, params={"phone_last4": "5678"}, headers=AUTH)
    assert by_phone.status == 200
    other = await client.get(path, params={"sender_id": "someone-else"}, headers=AUTH)
    assert other.status == 404 and (await other.json())["message"] == "未找到该工单"
    assert (await client.get(path, params={"sender_id": "citizen-1"})).status == 401


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"text": ""}, "missing_field"),
        ({"appeal_type": "闲聊"}, "bad_field"),
        ({"phone": None}, "missing_field"),
        ({"decision": {"tier": "3d"}}, "bad_field"),
        ({"category": "城乡建设"}, "bad_field"),
    ],
)
async def test_bad_requests_get_clear_errors(
    client: TestClient[Any, Any], change: dict[str, Any], code: str
) -> None:
    resp = await client.post(
        "/api/tickets", json={**PAYLOAD, **change}, headers={**AUTH, "Idempotency-Key": _key()}
    )
    assert resp.status == 400
    body = await resp.json()
    assert body["error"] == code and body["message"]


async def test_missing_key_and_bad_id(client: TestClient[Any, Any]) -> None:
    assert (await client.post("/api/tickets", json=PAYLOAD, headers=AUTH)).status == 400
    assert (await client.get("/api/tickets/abc", headers=AUTH)).status == 400
