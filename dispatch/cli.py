"""``jiesu dispatch …``: serve, migrate the database, create accounts, seed a demo, sweep the clock."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from jiesu.settings import Settings


def register(sub: Any) -> None:
    dispatch = sub.add_parser("dispatch", help="the dispatch backend")
    commands = dispatch.add_subparsers(dest="dispatch_command", metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the dispatch backend's API and pages")
    serve.add_argument("--host", help="address to listen on (default JIESU_HOST)")
    serve.add_argument("--port", type=int, help="port (default JIESU_DISPATCH_PORT or 8090)")
    serve.set_defaults(handler=cmd_serve)

    db = commands.add_parser("db", help="the database schema (Alembic)")
    db_commands = db.add_subparsers(dest="db_command", metavar="COMMAND")
    up = db_commands.add_parser("upgrade", help="migrate the database to the newest schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=cmd_db_upgrade)
    cur = db_commands.add_parser("current", help="print the database's schema revision")
    cur.set_defaults(handler=cmd_db_current)

    user = commands.add_parser(
        "create-user", help="create an account (password from JIESU_PASSWORD or a prompt)"
    )
    user.add_argument("username")
    user.add_argument("--role", required=True, choices=["handler", "supervisor", "agent", "admin"])
    user.add_argument("--unit", help="the unit's name (required for handler)")
    user.add_argument("--name", help="display name")
    user.set_defaults(handler=cmd_create_user)

    seed = commands.add_parser("seed-demo", help="demo units, accounts and tickets (idempotent)")
    seed.set_defaults(handler=cmd_seed_demo)

    sweep = commands.add_parser("sweep", help="run the SLA clock once: reminders, escalation, 挂账 reminders")
    sweep.set_defaults(handler=cmd_sweep)


def cmd_serve(args: argparse.Namespace) -> int:
    from dispatch.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    web.run_app(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.dispatch_port,
        access_log=None,
    )
    return 0


async def _with_database(settings: Settings, work: Any) -> Any:
    from dispatch.migrate import upgrade
    from jiesu.database import Database

    database = Database(settings.dispatch_db_url)
    try:
        await upgrade(database)
        return await work(database)
    finally:
        await database.dispose()


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from dispatch.migrate import current, upgrade
    from jiesu.database import Database

    async def run() -> str | None:
        database = Database(Settings.from_env().dispatch_db_url)
        try:
            await upgrade(database, args.revision)
            return await current(database)
        finally:
            await database.dispose()

    print(f"数据库已迁移到版本 {asyncio.run(run())}")
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    from dispatch.migrate import current, head
    from jiesu.database import Database

    async def run() -> str | None:
        database = Database(Settings.from_env().dispatch_db_url)
        try:
            return await current(database)
        finally:
            await database.dispose()

    print(f"当前版本 {asyncio.run(run())}，最新版本 {head()}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from dispatch.accounts import AccountError, create_user

    password = os.environ.get("JIESU_PASSWORD") or getpass.getpass("密码：")

    async def work(database: Any) -> bool:
        return await create_user(database, args.username, password, args.role, args.unit, args.name)

    try:
        asyncio.run(_with_database(Settings.from_env(), work))
    except AccountError as exc:
        print(f"未能创建账号：{exc}")
        return 1
    print(f"已创建账号 {args.username}（{args.role}）")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from dispatch.demo import DEMO_PASSWORD, seed_demo

    created = asyncio.run(_with_database(Settings.from_env(), lambda db: seed_demo(db, datetime.now(UTC))))
    print(f"演示数据已就绪（本次新建工单 {created} 张）。演示账号（密码均为 {DEMO_PASSWORD}）：")
    from dispatch.demo import DEMO_USERS

    for username, role, unit, _ in DEMO_USERS:
        print(f"  {username:<12} {role:<10} {unit or ''}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from dispatch.config import DispatchConfig
    from dispatch.sla import sweep

    days = DispatchConfig.from_env().tracked_reminder_days
    result = asyncio.run(_with_database(Settings.from_env(), lambda db: sweep(db, datetime.now(UTC), days)))
    print(
        f"黄灯提醒 {result.warned} 件，超期督办 {result.escalated} 件，挂账提醒 {result.tracked_reminders} 件"
    )
    return 0
