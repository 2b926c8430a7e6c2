"""Scores and hot spots, Open311 GeoReport v2, the pages, the client and the command line."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from aiohttp import web

from dispatch.app import create_app
from dispatch.client import DispatchClient, DispatchRejected, DispatchUnavailable
from dispatch.config import DispatchConfig
from jiesu.cli import main
from jiesu.settings import Settings
from tests.integration.test_dispatch_lifecycle import BOT, TOKEN, Env, env  # noqa: F401


async def test_three_rates_and_hot_spots(env: Env) -> None:  # noqa: F811
    async def handled(rating: str | None, *, accept_after: timedelta, **changes: Any) -> None:
        ticket = await env.new_ticket(**changes)
        await env.login("wangjing")
        start = env.clock.now
        env.clock.now = start + accept_after
        await env.do(ticket["id"], "accept")
        await env.do(ticket["id"], "resolve", note="已处理")
        if rating:
            body = {"rating": rating, "sender_id": "citizen-1"}
            await env.client.post(f"/api/tickets/{ticket['id']}/rating", json=body, headers=BOT)
        env.clock.now = start

    await handled("满意", accept_after=timedelta(hours=1))
    await handled("不满意", accept_after=timedelta(hours=3), address="别处1")
    await handled(None, accept_after=timedelta(hours=1), address="别处2")
    await env.new_ticket(address="别处3", category={"l1": "环境保护", "l2": "大气污染", "l3": "餐饮油烟"})
    await env.new_ticket(
        address="酒仙桥", jurisdiction={"street": "酒仙桥街道"}, decision={"units": ["酒仙桥街道办事处"]}
    )

    await env.login("wangjing")
    assert (await env.client.get("/api/stats/rates")).status == 403
    await env.login("supervisor")
    data = await (await env.client.get("/api/stats/rates", params={"month": "2026-11"})).json()
    wangjing = next(u for u in data["units"] if u["unit"] == "望京街道办事处")
    # 4 dispatched; 2 signed within 2 h; 2 resolved on time and never reopened (the 不满意 one is
    # back in progress, one is open); 1 of 2 ratings satisfied
    assert (wangjing["dispatched"], wangjing["responded"], wangjing["resolved"]) == (4, 2, 2)
    assert wangjing["response_rate"] == 50.0 and wangjing["resolution_rate"] == 50.0
    assert wangjing["satisfaction_rate"] == 50.0
    hot = await (await env.client.get("/api/stats/hotspots", params={"month": "2026-11"})).json()
    assert hot["streets"][0]["street"] == "望京街道"
    assert hot["streets"][0]["top_categories"][0] == {
        "category": "城乡建设/城市建设和市政管理/城市公共设施",
        "count": 3,
    }
    assert hot["governance_streets"] == []  # only one month of data
    other = await (await env.client.get("/api/stats/rates", params={"month": "2026-10"})).json()
    assert other["units"] == []
    assert (await env.client.get("/api/stats/rates", params={"month": "2026-13"})).status == 400

    page = await (await env.client.get("/dashboard", params={"month": "2026-11"})).text()
    assert "望京街道办事处" in page and "50.0%" in page and "城市公共设施（3）" in page
    chart = await env.client.get("/dashboard/rates.png", params={"month": "2026-11"})
    assert chart.content_type == "image/png" and (await chart.read()).startswith(b"\x89PNG")


async def test_open311_services_requests_and_status(env: Env) -> None:  # noqa: F811
    services = await (await env.client.get("/open311/v2/services.json")).json()
    lamp = next(s for s in services if s["service_name"] == "路灯不亮")
    assert lamp["metadata"] is True and lamp["group"] == "城乡建设"
    definition = await (await env.client.get(f"/open311/v2/services/{lamp['service_code']}.json")).json()
    assert definition["attributes"][0]["code"] == "appeal_type"
    assert (await env.client.get("/open311/v2/services/NOPE.json")).status == 404

    form = {
        "api_key": TOKEN,
        "service_code": lamp["service_code"],
        "address_string": "朝阳区望京街道花家地西里3号楼",
        "description": "路灯不亮了",
        "phone": "13900001111",
    }
    created = await env.client.post("/open311/v2/requests.json", data=form)
    assert created.status == 200
    request_id = (await created.json())[0]["service_request_id"]
    assert (await env.client.post("/open311/v2/requests.json", data={**form, "api_key": "x"})).status == 403

    one = (await (await env.client.get(f"/open311/v2/requests/{request_id}.json")).json())[0]
    assert one["status"] == "open" and one["service_code"] == lamp["service_code"]
    assert one["expected_datetime"] and "13900001111" not in str(one)
    listed = await (await env.client.get("/open311/v2/requests.json", params={"status": "open"})).json()
    assert request_id in [r["service_request_id"] for r in listed]
    xml = await (await env.client.get(f"/open311/v2/requests/{request_id}.xml")).text()
    root = ElementTree.fromstring(xml)
    assert root.tag == "service_requests" and root.findtext("request/service_request_id") == request_id
    spec = await (await env.client.get("/api/openapi.json")).json()
    assert spec["openapi"].startswith("3.") and "/api/tickets" in spec["paths"]


async def test_workbench_pages_need_a_session_and_act(env: Env) -> None:  # noqa: F811
    ticket = await env.new_ticket()
    assert (await env.client.get("/workbench", allow_redirects=False)).headers["Location"] == "/login"
    bad = await env.client.post("/login", data={"username": "wangjing", "password": "nope"})
    assert "用户名或密码错误" in await bad.text()
    await env.login("wangjing")
    page = await (await env.client.get("/workbench")).text()
    assert ticket["id"] in page and "绿灯" in page and "签收" in page
    done = await env.client.post(f"/workbench/tickets/{ticket['id']}/accept", data={})
    assert "已签收" in await done.text()
    refused = await env.client.post(f"/workbench/tickets/{ticket['id']}/return", data={"note": ""})
    assert "退单需要说明理由" in await refused.text()
    assert (await env.client.get("/dashboard")).status == 403
    await env.client.post("/logout")
    assert (await env.client.get("/workbench", allow_redirects=False)).status == 303


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_client_maps_failures(tmp_path: Path) -> None:
    port = _free_port()
    client = DispatchClient(f"http://127.0.0.1:{port}", TOKEN, timeout=2)
    with pytest.raises(DispatchUnavailable):  # nobody listening
        await client.create_ticket({"text": "x"}, "key-12345678")
    settings = Settings.from_env(
        dispatch_db_url=f"sqlite+aiosqlite:///{tmp_path / 'd.db'}", service_token=TOKEN
    )
    runner = web.AppRunner(create_app(settings, config=DispatchConfig(sweep_interval_seconds=0)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        with pytest.raises(DispatchRejected) as rejected:
            await client.create_ticket({"text": "x", "sender_id": "s", "appeal_type": "投诉"}, "key-12345678")
        assert rejected.value.status == 400 and "联系电话" in rejected.value.message
        payload = {"text": "咨询一下", "sender_id": "s", "appeal_type": "咨询"}
        ticket = await client.create_ticket(payload, "key-12345678")
        assert (await client.get_ticket(ticket["id"], sender_id="s"))["status_label"] == "待派"  # type: ignore[index]
        assert await client.get_ticket(ticket["id"], sender_id="t") is None
        assert await client.rate_ticket(ticket["id"], "满意", sender_id="t") is None
    finally:
        await client.close()
        await runner.cleanup()


def test_cli_seeds_the_demo_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("JIESU_DISPATCH_DB_URL", f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
    assert main(["dispatch", "seed-demo"]) == 0
    first = capsys.readouterr().out
    assert "本次新建工单 5 张" in first and "supervisor" in first
    assert main(["dispatch", "seed-demo"]) == 0
    assert "本次新建工单 0 张" in capsys.readouterr().out
    monkeypatch.setenv("JIESU_PASSWORD", "another-pass-1")
    assert main(["dispatch", "create-user", "li", "--role", "handler", "--unit", "酒仙桥街道办事处"]) == 0
    assert main(["dispatch", "create-user", "li", "--role", "handler", "--unit", "酒仙桥街道办事处"]) == 1
    assert main(["dispatch", "sweep"]) == 0
    assert "超期督办" in capsys.readouterr().out
