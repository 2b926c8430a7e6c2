"""The unit workbench and the supervisor dashboard in Debian's Chromium (Playwright), against
`jiesu dispatch serve` on the demo data."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.procs import ROOT, free_port, start, stop

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]
PASSWORD = "jiesu-demo-2026"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("dispatch-e2e")
    port = free_port()
    env = {"JIESU_DISPATCH_PORT": str(port), "JIESU_DISPATCH_DB_URL": f"sqlite+aiosqlite:///{tmp / 'd.db'}"}
    seeded = subprocess.run(
        [sys.executable, "-m", "jiesu.cli", "dispatch", "seed-demo"],
        cwd=ROOT,
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wangjing" in seeded.stdout
    proc = start(["-m", "jiesu.cli", "dispatch", "serve"], env, f"http://127.0.0.1:{port}/healthz")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def test_a_unit_accepts_and_resolves_and_the_supervisor_sees_the_rates(
    server: str, chromium: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(server)
            expect(page).to_have_url(f"{server}/login")
            page.get_by_label("用户名").fill("wangjing")
            page.get_by_label("密码").fill("wrong-password")
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")
            page.get_by_label("用户名").fill("wangjing")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()

            expect(page.get_by_role("heading")).to_have_text("望京街道办事处 · 待办工单")
            lamp = page.locator("tr", has_text="路灯坏了")
            expect(lamp.locator(".status")).to_have_text("已派")
            expect(lamp.locator(".light")).to_have_text("黄灯")  # 15 h of its 24 h used
            lamp.get_by_role("button", name="签收").click()
            expect(page.get_by_role("status")).to_contain_text("已签收")
            expect(lamp.locator(".status")).to_have_text("已签收")
            lamp.get_by_label("办结说明").fill("已更换灯泡，恢复照明")
            lamp.get_by_role("button", name="办结").click()
            expect(page.get_by_role("status")).to_contain_text("当前状态：已办结")
            expect(page.locator("tr", has_text="路灯坏了")).to_have_count(0)  # no longer open
            # the assisting unit's ticket shows, marked, with only 回复进展 once accepted by the main unit
            expect(page.locator("tr", has_text="停水")).to_contain_text("（协办）")
            page.screenshot(path=str(tmp_path / "workbench.png"), full_page=True)
            page.get_by_role("button", name="退出").click()

            page.get_by_label("用户名").fill("supervisor")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("督办看板")
            rates = page.locator("table.rates")
            expect(rates).to_contain_text("望京街道办事处")
            expect(rates).to_contain_text("朝阳区城市管理委员会")
            expect(page.locator("table.hotspots")).to_contain_text("望京街道")
            chart = page.get_by_alt_text("各单位三率柱状图")
            expect(chart).to_be_visible()
            page.wait_for_function("document.querySelector('img.chart').naturalWidth > 0")
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            page.goto(f"{server}/workbench")
            assert "无权访问" in page.content()
        finally:
            browser.close()
