"""The conversation with the real address resolver and router: an ambiguous place is asked about
with buttons, and the ticket carries the routing decision it was made with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jiesu.settings import Settings
from tests.harness import harness, sqlite_url


@pytest.fixture(autouse=True)
def gazetteer_built() -> None:
    if not (Settings.from_env().gazetteer_dir / "manifest.json").exists():
        pytest.fail("the gazetteer is not built: `make test` builds it first (jiesu build)")


async def test_an_ambiguous_place_is_asked_with_buttons_and_routed(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path), routing=True) as h:
        await h.say("小区门口的路灯坏了一个星期了")
        replies = await h.replies("天通苑西三区5号楼")
        question = replies[-1]
        assert "哪一个" in question["text"], replies
        titles = [b["title"] for b in question["buttons"]]
        assert titles == ["昌平区天通苑北街道", "昌平区天通苑南街道"]
        assert (await h.slots())["address"] is None

        payload = question["buttons"][1]["payload"]
        assert (
            json.loads(payload.removeprefix("/inform"))["address"] == "昌平区天通苑南街道 天通苑西三区5号楼"
        )
        assert any("电话" in r for r in await h.say(payload))
        slots = await h.slots()
        assert slots["jurisdiction"]["street"] == "天通苑南街道" and slots["jurisdiction"]["sure"]

        await h.say("13812345678")
        assert any("工单号" in r for r in await h.say("/affirm"))
        (ticket,) = h.backend.tickets.values()
        decision = ticket["payload"]["decision"]
        assert decision["handling"] == "dispatch" and decision["units"][0] == "昌平区天通苑南街道"
        assert decision["rules_version"] and decision["rule_id"] in decision["explanation"]


async def test_another_city_is_told_to_call_its_own_12345(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path), routing=True) as h:
        await h.say("小区门口的路灯坏了一个星期了")
        replies = await h.say("河北省石家庄市长安区建北街道")
        assert any("不属于本市12345" in r and "石家庄" in r for r in replies), replies
        assert (await h.slots())["address"] is None
