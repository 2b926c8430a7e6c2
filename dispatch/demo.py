"""Demo data for ``make run``: units, one account per role, tickets in several states. Idempotent:
accounts that exist are kept, tickets are created under fixed idempotency keys."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from dispatch import units as unit_tree
from dispatch.accounts import create_user
from dispatch.handling import Actor, act
from dispatch.tickets import NewTicket, create_ticket
from jiesu.database import Database

DEMO_PASSWORD = "jiesu-demo-2026"
DEMO_USERS = (
    ("wangjing", "handler", "望京街道办事处", "望京街道承办人"),
    ("chengguan", "handler", "朝阳区城市管理委员会", "朝阳城管承办人"),
    ("zilaishui", "handler", "北京市自来水集团有限责任公司", "自来水集团承办人"),
    ("agent", "agent", None, "话务员小李"),
    ("supervisor", "supervisor", None, "督查室老王"),
    ("admin", "admin", None, "管理员"),
)

_STREET = {"province": "北京市", "city": "北京市", "district": "朝阳区", "street": "望京街道"}
_DEMO_TICKETS: tuple[tuple[str, str, str, list[str], str, str | None], ...] = (
    (
        "我家楼下的路灯坏了一个星期了，晚上很黑",
        "城乡建设/城市建设和市政管理/城市公共设施",
        "望京街道花家地西里3号楼",
        ["望京街道办事处"],
        "24h",
        None,
    ),
    (
        "小区停水两天了也没有通知",
        "城乡建设/供水/供水管理",
        "望京街道南湖西园2区",
        ["北京市自来水集团有限责任公司", "望京街道办事处"],
        "24h",
        "accept",
    ),
    (
        "路边餐馆油烟太大，熏得没法开窗",
        "环境保护/大气污染/餐饮油烟",
        "望京街道阜通东大街6号",
        ["朝阳区城市管理委员会"],
        "7d",
        "resolve",
    ),
    (
        "井盖丢了，很危险",
        "城乡建设/城市建设和市政管理/城市公共设施",
        "望京街道望京西园三区",
        ["望京街道办事处"],
        "2h",
        "rate",
    ),
    ("建议在小区门口增设公交站", "交通运输/公共交通/公交线路", "望京街道利泽西街", [], "15d", None),
)


async def seed_demo(database: Database, now: datetime) -> int:
    """Creates what is missing; the number of tickets created this time."""
    for username, role, unit, name in DEMO_USERS:
        await create_user(database, username, DEMO_PASSWORD, role, unit, name, exist_ok=True)
    created = 0
    for i, (text, path, address, units, tier, progress) in enumerate(_DEMO_TICKETS):
        l1, l2, l3 = path.split("/")
        ticket = NewTicket(
            channel="web",
            sender_id=f"demo-citizen-{i}",
            text=text,
            appeal_type="建议" if "建议" in text else "投诉",
            category={"l1": l1, "l2": l2, "l3": l3},
            address=address,
            jurisdiction=_STREET,
            phone=f"1381234{i:04d}",
            anonymous=False,
            decision={"units": units, "tier": tier} if units else None,
            nlu=None,
        )
        at = now - timedelta(hours=3 * (len(_DEMO_TICKETS) - i))
        result, new = await create_ticket(database, ticket, f"demo-ticket-{i:04d}", at)
        if not new:
            continue
        created += 1
        if progress is None:
            continue
        unit_id = await database.read(functools.partial(unit_tree.find, name=units[0]))
        handler = Actor("handler", f"{units[0]}承办人", unit_id)
        steps = ["accept"] + (["resolve"] if progress in ("resolve", "rate") else [])
        for step in steps:
            note = "已安排维修，问题已解决" if step == "resolve" else None
            await act(database, result["id"], step, handler, at, note=note)
        if progress == "rate":
            params = {"rating": "满意", "sender_id": f"demo-citizen-{i}"}
            await act(database, result["id"], "rate", Actor("bot", "bot"), at, note="修得很快", params=params)
    return created
