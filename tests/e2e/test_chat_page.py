"""A citizen files an appeal on the web chat, in Debian's Chromium driven by Playwright, against
`jiesu run` itself (real NLU model, real dispatch backend, SQLite)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from jiesu.settings import Settings
from tests.support.procs import free_port, start, stop

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Settings().model_path.exists():
        pytest.fail("the NLU model is missing: `make test` builds it (jiesu build)")
    tmp: Path = tmp_path_factory.mktemp("e2e")
    port, dispatch_port = free_port(), free_port()
    env = {
        "JIESU_PORT": str(port),
        "JIESU_DISPATCH_PORT": str(dispatch_port),
        "JIESU_DISPATCH_URL": f"http://127.0.0.1:{dispatch_port}",
        "JIESU_DB_URL": f"sqlite+aiosqlite:///{tmp / 'bot.db'}",
        "JIESU_DISPATCH_DB_URL": f"sqlite+aiosqlite:///{tmp / 'dispatch.db'}",
        "JIESU_REDIS_URL": "",
        "JIESU_ACTION_ENDPOINT": "",
    }
    proc = start(["-m", "jiesu.cli", "run"], env, f"http://127.0.0.1:{port}/healthz", timeout=60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def test_citizen_files_an_appeal_and_gets_a_ticket_number(server: str, chromium: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            page.goto(server)
            bot = page.get_by_test_id("bot-message")
            expect(bot.first).to_contain_text("12345", timeout=15_000)
            expect(page.locator("#status")).to_have_text("在线")

            def say(text: str) -> None:
                before = bot.count()
                page.fill("#input", text)
                page.press("#input", "Enter")
                expect(bot).not_to_have_count(before, timeout=15_000)

            say("我家楼下的路灯坏了一个星期了，晚上特别黑")
            expect(bot.last).to_contain_text("地址")
            say("朝阳区望京街道花家地西里3号楼")
            expect(bot.last).to_contain_text("电话")
            say("13812345678")
            expect(bot.last).to_contain_text("请核对")
            page.get_by_role("button", name="确认提交").click()
            expect(bot.last).to_contain_text("工单号", timeout=15_000)
            ticket = re.search(r"工单号：(\d{13})", bot.last.inner_text())
            assert ticket, bot.last.inner_text()
            page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)

            # The conversation survives a reload.
            page.reload()
            expect(page.locator(".row.user").first).to_contain_text("路灯坏了", timeout=15_000)
            expect(page.get_by_test_id("bot-message").last).to_contain_text(ticket.group(1))

            # Asking for the status gets it from the dispatch backend.
            say(f"我的工单 {ticket.group(1)} 到哪一步了")
            expect(bot.last).to_contain_text("当前状态")
        finally:
            browser.close()
