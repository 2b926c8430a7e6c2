"""``jiesu run`` (everything in one process) and ``jiesu build`` (the model and the gazetteer)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.util
import logging
import os
import signal
import sys
from typing import Any

from aiohttp import web

from jiesu.settings import Settings


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="start the bot, the actions and the dispatch backend in one process")
    run.add_argument("--host", help="address to listen on (default JIESU_HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, help="port of the chat (default JIESU_PORT or 8080)")
    run.add_argument("--no-dispatch", action="store_true", help="do not start the dispatch backend here")
    run.set_defaults(handler=cmd_run)
    build = sub.add_parser("build", help="build what is missing or stale: the NLU model and the gazetteer")
    build.set_defaults(handler=cmd_build)


def build_all(settings: Settings, *, progress: bool = True) -> None:
    """Trains the NLU model and builds the gazetteer when they are missing or older than their sources."""
    if importlib.util.find_spec("routing.gazetteer") is not None:
        from routing.gazetteer import ensure_built

        ensure_built(settings.gazetteer_dir, settings.routing_rules_dir, progress=progress)
    from bot.nlu.train import model_is_stale, train_and_save

    if model_is_stale(settings.nlu_data_dir, settings.config_path, settings.model_path):
        train_and_save(settings.nlu_data_dir, settings.config_path, settings.model_path, progress=progress)
    else:
        print(f"NLU model is up to date: {settings.model_path}")


def cmd_build(args: argparse.Namespace) -> int:
    build_all(Settings.from_env())
    return 0


# Young-generation collections every 50,000 allocations instead of 700: a turn allocates thousands
# of short-lived objects, and each collection is a pause of every turn in flight.
_GC_THRESHOLDS = (50_000, 20, 20)


async def _serve(settings: Settings, with_dispatch: bool) -> None:
    from bot.app import create_app

    runners: list[web.AppRunner] = []
    # Per-request access lines only when asked for (JIESU_LOG_LEVEL=DEBUG): they cost a hot path.
    access_log = (
        logging.getLogger("aiohttp.access") if logging.getLogger().isEnabledFor(logging.DEBUG) else None
    )
    if with_dispatch:
        from dispatch.app import create_app as create_dispatch_app

        dispatch_runner = web.AppRunner(create_dispatch_app(settings), access_log=access_log)
        await dispatch_runner.setup()
        await web.TCPSite(dispatch_runner, settings.host, settings.dispatch_port).start()
        runners.append(dispatch_runner)
    bot_runner = web.AppRunner(create_app(settings), access_log=access_log)
    await bot_runner.setup()
    await web.TCPSite(bot_runner, settings.host, settings.port).start()
    runners.append(bot_runner)
    # The models, domain and gazetteer loaded above live as long as the process: freeze them out of
    # the cyclic collector's sight, so that its full collections stop pausing every turn in flight.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)
    print(f"聊天页面 / chat page:        http://{settings.host}:{settings.port}/", flush=True)
    if with_dispatch:
        print(f"派单后台 / dispatch backend: http://{settings.host}:{settings.dispatch_port}/", flush=True)
    print("按 Ctrl+C 停止 / press Ctrl+C to stop", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


def _event_loop_runner() -> Any:
    """uvloop where it is installed (it is, with rasa-sdk's Sanic): a faster event loop for the same code."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


def cmd_run(args: argparse.Namespace) -> int:
    level = getattr(logging, os.environ.get("JIESU_LOG_LEVEL", "INFO").upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    settings = Settings.from_env(**overrides)
    if not settings.model_path.exists():
        print(f"NLU model {settings.model_path} is missing: run `jiesu build` first.", file=sys.stderr)
        return 1
    (settings.root / "var").mkdir(exist_ok=True)
    try:
        _event_loop_runner()(_serve(settings, with_dispatch=not args.no_dispatch))
    except OSError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    return 0
