"""A ticket through its whole life over the HTTP API, with the clock run by the test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from dispatch.accounts import create_user
from dispatch.app import create_app, database_key
from dispatch.config import DispatchConfig
from dispatch.scratch import scratch_database
from dispatch.sla import sweep
from jiesu.settings import Settings

TOKEN = "test-token"
BOT = {"Authorization": f"Bearer {TOKEN}"}
PASSWORD = "password-123"
STREET = {"district": "朝阳区", "street": "望京街道"}


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # Mon 09:00 BJT

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Env:
    client: TestClient[Any, Any]
    clock: Clock

    async def login(self, username: str) -> None:
        resp = await self.client.post(
            "/login", data={"username": username, "password": PASSWORD}, allow_redirects=False
        )
        assert resp.status == 303 and "jiesu_dispatch_session" in resp.cookies

    async def new_ticket(self, **changes: Any) -> dict[str, Any]:
        payload = {
            "channel": "web",
            "sender_id": "citizen-1",
            "text": "我家楼下的路灯坏了一个星期了",
            "appeal_type": "投诉",
            "category": {"l1": "城乡建设", "l2": "城市建设和市政管理", "l3": "城市公共设施"},
            "address": "望京街道花家地西里3号楼",
            "jurisdiction": STREET,
            "phone": "13812345678",
            "anonymous": False,
            "decision": {"units": ["望京街道办事处"], "tier": "24h"},
            **changes,
        }
        key = f"appeal-{uuid.uuid4().hex}"
        resp = await self.client.post("/api/tickets", json=payload, headers={**BOT, "Idempotency-Key": key})
        assert resp.status == 201, await resp.text()
        result: dict[str, Any] = await resp.json()
        return result

    async def do(self, ticket_id: str, action: str, status: int = 200, **body: Any) -> dict[str, Any]:
        resp = await self.client.post(f"/api/tickets/{ticket_id}/actions/{action}", json=body)
        data: dict[str, Any] = await resp.json()
        assert resp.status == status, data
        return data

    async def get(self, ticket_id: str, status: int = 200, **params: str) -> dict[str, Any]:
        headers = BOT if params else {}
        resp = await self.client.get(f"/api/tickets/{ticket_id}", params=params, headers=headers)
        data: dict[str, Any] = await resp.json()
        assert resp.status == status, data
        return data


USERS = (
    ("wangjing", "handler", "望京街道办事处"),
    ("chengguan", "handler", "朝阳区城市管理委员会"),
    ("water", "handler", "北京市自来水集团有限责任公司"),
    ("agent", "agent", None),
    ("supervisor", "supervisor", None),
)


@pytest.fixture
async def env(aiohttp_client: Any, db_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    clock = Clock()
    async with scratch_database(db_url, tmp_path) as url:
        settings = Settings.from_env(dispatch_db_url=url, service_token=TOKEN)
        app = create_app(settings, clock=clock, config=DispatchConfig(sweep_interval_seconds=0))
        client: TestClient[Any, Any] = await aiohttp_client(app)
        for username, role, unit in USERS:
            await create_user(app[database_key], username, PASSWORD, role, unit)
        yield Env(client, clock)
        await client.close()


async def test_whole_life_with_return_extension_and_reopening(env: Env) -> None:
    ticket = await env.new_ticket(
        decision={"units": ["望京街道办事处", "北京市自来水集团有限责任公司"], "tier": "7d"}
    )
    tid = ticket["id"]
    assert ticket["status_label"] == "已派" and ticket["units"][1] == "北京市自来水集团有限责任公司"

    await env.login("water")  # the assisting unit sees it but may not accept it
    assert (await env.client.get("/api/units/1/tickets")).status == 403
    await env.do(tid, "accept", 404)
    await env.login("chengguan")  # an unrelated unit does not learn it exists
    await env.get(tid, 404)

    await env.login("wangjing")
    refused = await env.do(tid, "resolve", 409, note="好了")
    assert refused["error"] == "illegal_transition" and "已派" in refused["message"]
    assert (await env.do(tid, "return", 400))["error"] == "missing_note"
    returned = await env.do(tid, "return", note="该路段路灯归城管委管理")
    assert returned["status_label"] == "已退单"

    await env.login("agent")
    again = await env.do(tid, "dispatch", units=["朝阳区城市管理委员会"], note="退单审核通过")
    assert again["status_label"] == "已派" and again["units"] == ["朝阳区城市管理委员会"]

    await env.login("chengguan")
    await env.do(tid, "accept")
    before = (await env.get(tid))["deadline"]
    await env.do(tid, "request_extension", days=3, note="需更换灯杆")
    await env.do(tid, "request_extension", 400, days=2)  # one pending request at a time
    await env.login("supervisor")
    extended = await env.do(tid, "approve_extension")
    assert extended["deadline"] > before

    await env.login("chengguan")
    await env.do(tid, "resolve", note="已更换灯杆，恢复照明")
    rating = {"rating": "不满意", "comment": "还是不亮", "sender_id": "someone-else"}
    assert (await env.client.post(f"/api/tickets/{tid}/rating", json=rating, headers=BOT)).status == 404
    rating["sender_id"] = "citizen-1"
    reopened = await (await env.client.post(f"/api/tickets/{tid}/rating", json=rating, headers=BOT)).json()
    assert reopened["status_label"] == "办理中"
    await env.do(tid, "resolve", note="更换了控制器")
    visited = await env.client.post(
        f"/api/tickets/{tid}/rating", json={"rating": "满意", "phone_last4": "5678"}, headers=BOT
    )
    assert (await visited.json())["status_label"] == "已回访"
    await env.login("agent")
    assert (await env.do(tid, "close"))["status_label"] == "已关闭"

    events = (await env.get(tid, sender_id="citizen-1"))["events"]
    assert [e["kind"] for e in events] == [
        "created", "dispatched", "return", "dispatch", "accept", "request_extension",
        "approve_extension", "resolve", "reopened", "resolve", "rate", "close",
    ]  # fmt: skip
    assert events[2]["note"] == "该路段路灯归城管委管理" and events[2]["actor"].startswith("wangjing")


async def test_the_clock_reminds_escalates_and_chases_tracked_tickets(env: Env) -> None:
    app_db = env.client.app[database_key]  # type: ignore[index]
    ticket = await env.new_ticket()
    start = env.clock.now
    env.clock.now = start + timedelta(hours=11)
    assert (await sweep(app_db, env.clock.now)).warned == 0
    assert (await env.get(ticket["id"], sender_id="citizen-1"))["light"] == "green"
    env.clock.now = start + timedelta(hours=12)
    assert (await sweep(app_db, env.clock.now)).warned == 1
    assert (await env.get(ticket["id"], sender_id="citizen-1"))["light"] == "yellow"
    env.clock.now = start + timedelta(hours=25)
    result = await sweep(app_db, env.clock.now)
    assert (result.warned, result.escalated) == (0, 1)
    assert (await sweep(app_db, env.clock.now)).escalated == 0  # recorded once
    seen = await env.get(ticket["id"], sender_id="citizen-1")
    assert seen["light"] == "red"
    notes = {e["kind"]: e["note"] for e in seen["events"]}
    assert "望京街道办事处主要负责人" in notes["reminder"] and "督查室" in notes["escalated"]

    await env.login("wangjing")
    await env.do(ticket["id"], "accept")
    await env.login("supervisor")
    assert (await env.do(ticket["id"], "track"))["tracked"] is True
    env.clock.now += timedelta(days=6)
    assert (await sweep(app_db, env.clock.now)).tracked_reminders == 0
    env.clock.now += timedelta(days=1)
    assert (await sweep(app_db, env.clock.now)).tracked_reminders == 1


async def test_duplicates_are_one_problem_with_many_reporters(env: Env) -> None:
    first = await env.new_ticket()
    second = await env.new_ticket(sender_id="citizen-2", decision=None, address="望京街道 花家地西里3号楼")
    elsewhere = await env.new_ticket(sender_id="citizen-3", address="望京街道南湖西园2区")
    assert second["problem_id"] == first["id"] and second["units"] == ["望京街道办事处"]
    assert elsewhere["problem_id"] == elsewhere["id"]
    env.clock.now += timedelta(hours=73)  # outside the window: a new problem
    later = await env.new_ticket(sender_id="citizen-4")
    assert later["problem_id"] == later["id"]


async def test_a_unit_lists_only_its_open_tickets(env: Env) -> None:
    mine = await env.new_ticket()
    await env.new_ticket(decision={"units": ["朝阳区城市管理委员会"], "tier": "7d"}, address="别处")
    pending = await env.new_ticket(decision=None, address="又一处")
    await env.login("wangjing")
    me = (await (await env.client.get("/api/units")).json())["units"]
    unit_id = next(u["id"] for u in me if u["name"] == "望京街道办事处")
    listed = (await (await env.client.get(f"/api/units/{unit_id}/tickets")).json())["tickets"]
    assert [t["id"] for t in listed] == [mine["id"]] and listed[0]["light"] == "green"
    await env.login("agent")
    queue = (await (await env.client.get("/api/queue")).json())["tickets"]
    assert [t["id"] for t in queue] == [pending["id"]] and queue[0]["status_label"] == "待派"
