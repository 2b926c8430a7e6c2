"""Runs one bot process for multi-process tests: real app, keyword NLU, in-memory ticket backend.

Usage: python -m tests.support.serve_bot PORT  (settings from the JIESU_* environment)
"""

from __future__ import annotations

import sys
from typing import Any

from aiohttp import web

from bot.app import create_app
from jiesu.settings import Settings
from tests.fakes import KeywordUnderstanding, MemoryBackend


def _backend(settings: Settings) -> Any:
    return MemoryBackend()


def main() -> None:
    port = int(sys.argv[1])
    settings = Settings.from_env(port=port)
    app = create_app(settings, understanding=lambda s: KeywordUnderstanding(), backend=_backend)
    import uvloop

    web.run_app(
        app,
        host="127.0.0.1",
        port=port,
        print=lambda *_: print("ready", flush=True),
        loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
