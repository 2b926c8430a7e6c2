"""The dialogue driven by the trained NLU model (built by `jiesu build`), not by a fake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.understanding import ModelUnderstanding
from jiesu.settings import Settings
from tests.harness import harness, sqlite_url


@pytest.fixture(scope="module")
def understanding() -> ModelUnderstanding:
    path = Settings().model_path
    if not path.exists():
        pytest.fail(f"{path} is missing: `make test` builds it first (jiesu build)")
    return ModelUnderstanding(path)


async def test_street_light_to_ticket(tmp_path: Path, understanding: ModelUnderstanding) -> None:
    async with harness(sqlite_url(tmp_path), understanding) as h:
        assert "12345" in "".join(await h.say("你好"))
        replies = await h.say("我家楼下的路灯坏了一个星期了，晚上特别黑")
        if "您反映的是" in replies[-1]:  # the model may ask to confirm the category
            replies = await h.say("是的")
        assert "地址" in replies[-1], replies
        assert "电话" in (await h.say("朝阳区望京街道花家地西里3号楼"))[-1]
        assert "请核对" in (await h.say("13812345678"))[-1]
        replies = await h.say("确认")
        assert any("工单号：" in r for r in replies), replies
        ticket_id = next(iter(h.backend.tickets))
        replies = await h.say(f"我的工单 {ticket_id} 到哪一步了")
        assert any("当前状态" in r for r in replies), replies
        assert await h.say("谢谢")


async def test_traditional_characters_and_up_front_details(
    tmp_path: Path, understanding: ModelUnderstanding
) -> None:
    async with harness(sqlite_url(tmp_path), understanding) as h:
        replies = await h.say("朝陽區花家地西里3號樓的路燈壞了好幾天，電話13812345678")
        if "您反映的是" in replies[-1]:
            replies = await h.say("是的")
        assert "请核对" in replies[-1], replies
        assert "138****5678" in replies[-1]


async def test_handoff_emergency_and_nonsense(tmp_path: Path, understanding: ModelUnderstanding) -> None:
    async with harness(sqlite_url(tmp_path), understanding) as h:
        assert any("人工" in r for r in await h.say("转人工"))
        assert any("119" in r for r in await h.say("楼道里着火了，全是烟"))
        replies = await h.say("今天股票涨不涨")
        assert replies and all(r for r in replies)
