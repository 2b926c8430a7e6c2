"""The callback (回访): when a unit has resolved a ticket, the bot asks its citizen to rate it.

The relay polls the dispatch backend for resolved tickets nobody has asked about, records the
question first (so that of several bot processes exactly one asks) and then puts it into the
citizen's conversation, where the web page shows it at once or on the next visit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

RATINGS = ("满意", "基本满意", "不满意")


class CallbackSource(Protocol):
    async def due_callbacks(self, limit: int = 50) -> list[dict[str, Any]]: ...

    async def mark_callback(self, ticket_id: str) -> bool: ...


Ask = Callable[[str, str, list[dict[str, Any]]], Awaitable[None]]


def _excerpt(text: str, limit: int = 30) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit] + "……"


def question(ticket: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The callback message and its rating buttons (基本满意 and 不满意 then ask for a comment)."""
    units = "、".join(ticket.get("units") or []) or "办理单位"
    resolution = str(ticket.get("resolution") or "").strip()
    text = f"您反映的“{_excerpt(ticket.get('text') or '')}”（工单号：{ticket['id']}）已由{units}办结。"
    if resolution:
        text += f"办理结果：{resolution}。"
    text += "请您对办理结果进行评价："
    buttons = []
    for rating in RATINGS:
        entities = json.dumps({"ticket_id": ticket["id"], "rating": rating}, ensure_ascii=False)
        buttons.append({"title": rating, "payload": f"/rate{entities}"})
    return text, buttons


class CallbackRelay:
    def __init__(self, source: CallbackSource, ask: Ask, *, interval: float = 30.0) -> None:
        self.source = source
        self.ask = ask
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """Asks every citizen whose ticket is due; how many were asked."""
        asked = 0
        for ticket in await self.source.due_callbacks():
            if not ticket.get("sender_id") or not await self.source.mark_callback(ticket["id"]):
                continue
            text, buttons = question(ticket)
            await self.ask(str(ticket["sender_id"]), text, buttons)
            asked += 1
        return asked

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # the backend is down or failing: try again next round
                log.warning("callback relay: %s: %s", type(exc).__name__, exc)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
