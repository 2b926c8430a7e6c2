"""The dialogue engine end to end on fakes: forms, corrections, stops, idempotency, sessions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.engine.message import UserMessage
from bot.store.outbox import OutboxEntry, OutboxRelay
from tests.fakes import KeywordUnderstanding
from tests.harness import harness, sqlite_url

STREETLIGHT = "我家楼下的路灯坏了一个星期了，晚上特别黑"


async def test_street_light_appeal_to_ticket(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        replies = await h.say(STREETLIGHT)
        assert any("地址" in r for r in replies), replies
        replies = await h.say("朝阳区望京街道花家地西里3号楼")
        assert any("电话" in r for r in replies), replies
        replies = await h.say("13812345678")
        summary = replies[-1]
        assert "请核对" in summary and "138****5678" in summary and "花家地西里" in summary
        replies = await h.say("确认")
        assert any("工单号：20261123" in r for r in replies), replies
        assert len(h.backend.tickets) == 1
        ticket = next(iter(h.backend.tickets.values()))
        assert ticket["payload"]["phone"] == "13812345678"
        assert ticket["payload"]["text"] == STREETLIGHT
        assert (await h.slots())["problem"] is None  # ready for the next appeal


async def test_address_and_phone_given_up_front_are_not_asked_again(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        replies = await h.say("朝阳区花家地西里3号楼路灯坏了，电话13812345678")
        assert "请核对" in replies[-1], replies
        assert not any("请告诉我问题发生的具体地址" in r for r in replies)


async def test_correcting_the_address(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        await h.say(STREETLIGHT)
        await h.say("朝阳区望京街道花家地西里3号楼")
        replies = await h.say("地址说错了")
        assert any("地址" in r for r in replies), replies
        assert (await h.slots())["address"] is None
        await h.say("海淀区中关村街道科育社区")
        replies = await h.say("13812345678")
        assert "科育社区" in replies[-1]


async def test_invalid_phone_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        await h.say(STREETLIGHT)
        await h.say("朝阳区望京街道花家地西里3号楼")
        replies = await h.say("12345")
        assert any("号码好像不对" in r for r in replies), replies
        assert (await h.slots())["requested_slot"] == "contact_phone"


async def test_complaint_cannot_be_anonymous(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        await h.say(STREETLIGHT)
        await h.say("朝阳区望京街道花家地西里3号楼")
        replies = await h.say("我不想留电话")
        assert any("投诉类诉求" in r for r in replies), replies


async def test_stop_the_form(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        await h.say(STREETLIGHT)
        replies = await h.say("算了不办了")
        assert any("已取消" in r for r in replies)
        slots = await h.slots()
        assert slots["problem"] is None and slots["requested_slot"] is None


async def test_retried_delivery_does_not_act_twice(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        await h.say(STREETLIGHT, message_id="m1")
        await h.say("朝阳区望京街道花家地西里3号楼", message_id="m2")
        await h.say("13812345678", message_id="m3")
        first = await h.say("确认", message_id="m4")
        again = await h.say("确认", message_id="m4")
        assert first == again
        assert len(h.backend.tickets) == 1 and h.backend.calls == 1


async def test_backend_down_still_acknowledges_and_delivers_later(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        h.backend.down = True
        await h.say(STREETLIGHT)
        await h.say("朝阳区望京街道花家地西里3号楼")
        await h.say("13812345678")
        replies = await h.say("确认")
        assert any("已受理，受理编号" in r for r in replies), replies
        assert await h.outbox.count_pending() == 1
        h.backend.down = False
        assert await h.outbox.due() == []  # it waits for its back-off before the next attempt

        notified: list[str] = []

        async def notify(entry: OutboxEntry, ticket: dict[str, Any]) -> None:
            notified.append(ticket["id"])

        relay = OutboxRelay(h.outbox, h.backend, notify)
        h.outbox.clock = lambda: datetime(2099, 1, 1, tzinfo=UTC)
        assert await relay.run_once() == 1
        assert await relay.run_once() == 0
        assert len(h.backend.tickets) == 1 and notified == [next(iter(h.backend.tickets))]


async def test_emergency_is_transferred_not_dispatched(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        replies = await h.say("楼道里着火了，好多烟")
        assert any("119" in r for r in replies)
        assert (await h.slots())["requested_slot"] is None


async def test_legal_matter_is_guided_to_its_channel(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        replies = await h.say("我想起诉我的房东，拖欠押金不还")
        assert any("诉讼" in r and "法院" in r for r in replies), replies


async def test_greeting_thanks_and_unclear_input_get_replies(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        assert "12345" in "".join(await h.say("你好"))
        assert await h.say("谢谢")
        assert any("没有完全理解" in r for r in await h.say("嗯嗯啊啊"))
        assert any("人工" in r for r in await h.say("转人工"))


async def test_greeting_inside_the_form_answers_then_asks_again(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        await h.say(STREETLIGHT)
        replies = await h.say("你好")
        assert len(replies) == 2 and "地址" in replies[-1], replies


async def test_status_query(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path)) as h:
        await h.say("朝阳区花家地西里3号楼路灯坏了，电话13812345678")
        await h.say("确认")
        ticket_id = next(iter(h.backend.tickets))
        replies = await h.say(f"我的工单 {ticket_id} 到哪一步了")
        assert any("已派" in r and ticket_id in r for r in replies), replies
        replies = await h.say("我的工单 2026010100001 到哪一步了")
        assert any("没有查到" in r for r in replies)


async def test_unsure_category_is_asked_with_buttons(tmp_path: Path) -> None:
    async with harness(sqlite_url(tmp_path), KeywordUnderstanding(category_score=0.2)) as h:
        replies = await h.processor.handle_message(
            UserMessage(text=STREETLIGHT, sender_id="c", channel="test")
        )
        asked = replies[-1]
        assert "您反映的是" in asked["text"] and len(asked["buttons"]) >= 2
        payload = asked["buttons"][1]["payload"]
        replies2 = await h.say(payload, sender="c")
        assert any("地址" in r for r in replies2)
        assert (await h.slots("c"))["category"]["l3"] == "噪声污染"


async def test_session_expires_after_idle_time(tmp_path: Path) -> None:
    now = [1_000_000.0]
    async with harness(sqlite_url(tmp_path), session_expiry_minutes=1, clock=lambda: now[0]) as h:
        await h.say(STREETLIGHT)
        assert (await h.slots())["requested_slot"] == "address"
        now[0] += 120
        await h.say("你好")
        assert (await h.slots())["requested_slot"] is None
        tracker = await h.store.retrieve("citizen-1")
        assert sum(1 for e in tracker.events if e["event"] == "session_started") == 2


async def test_retried_action_call_does_not_act_twice(tmp_path: Path) -> None:
    """The same action call sent twice (an HTTP retry after a lost answer) makes one ticket."""
    async with harness(sqlite_url(tmp_path)) as h:
        await h.say(STREETLIGHT)
        await h.say("朝阳区望京街道花家地西里3号楼")
        await h.say("13812345678")
        tracker = await h.store.retrieve("citizen-1")
        call = h.processor._action_call("action_submit_appeal", tracker.current_state())
        first = await h.processor.executor.run(call)
        second = await h.processor.executor.run(call)
        assert len(h.backend.tickets) == 1
        assert first.responses[0]["text"] == second.responses[0]["text"]
