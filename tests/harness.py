"""Builds a real processor (SQLite tracker store, rasa-sdk in-process executor, real actions) around fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actions import services as action_services
from bot.engine.domain import Domain
from bot.engine.executors import InProcessExecutor
from bot.engine.interpreter import Interpreter, Understanding
from bot.engine.message import UserMessage
from bot.engine.processor import MessageProcessor
from bot.engine.rules import RuleSet
from bot.lock import InProcessLocks
from bot.store.db import open_database
from bot.store.outbox import Outbox
from bot.store.tracker_store import SQLTrackerStore
from jiesu.config_yml import policy_settings
from jiesu.settings import Settings
from tests.fakes import KeywordUnderstanding, MemoryBackend


@dataclass
class Harness:
    processor: MessageProcessor
    backend: MemoryBackend
    outbox: Outbox
    store: SQLTrackerStore

    async def say(self, text: str, sender: str = "citizen-1", message_id: str | None = None) -> list[str]:
        replies = await self.processor.handle_message(
            UserMessage(text=text, sender_id=sender, channel="test", message_id=message_id)
        )
        return [str(r.get("text")) for r in replies]

    async def replies(self, text: str, sender: str = "citizen-1") -> list[dict[str, Any]]:
        """The bot's whole messages (text and buttons)."""
        return await self.processor.handle_message(UserMessage(text=text, sender_id=sender, channel="test"))

    async def slots(self, sender: str = "citizen-1") -> dict[str, Any]:
        return (await self.store.retrieve(sender)).slots


@asynccontextmanager
async def harness(
    db_url: str, understanding: Understanding | None = None, *, routing: bool = False, **processor_kwargs: Any
) -> AsyncIterator[Harness]:
    """``routing``: the real address resolver and router (the gazetteer must be built)."""
    settings = Settings.from_env(db_url=db_url)
    database = await open_database(db_url)
    domain = Domain.load(settings.domain_path)
    backend = MemoryBackend()
    outbox = Outbox(database)
    policy = policy_settings(settings.config_path)
    resolver, router = action_services.load_routing(settings) if routing else (None, None)
    action_services.configure(
        action_services.Services(
            settings=settings, outbox=outbox, backend=backend, policy=policy, resolver=resolver, router=router
        )
    )
    store = SQLTrackerStore(database, domain)
    processor = MessageProcessor(
        domain=domain,
        rules=RuleSet.load(settings.rules_path),
        interpreter=Interpreter(understanding or KeywordUnderstanding()),
        store=store,
        locks=InProcessLocks(),
        executor=InProcessExecutor("actions"),
        policy=policy,
        **processor_kwargs,
    )
    try:
        yield Harness(processor, backend, outbox, store)
    finally:
        action_services.configure(None)
        await database.dispose()


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
