"""Run custom actions through rasa-sdk: its ``ActionExecutor`` in-process, or its action server over HTTP."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

log = logging.getLogger(__name__)


class ActionFailed(RuntimeError):
    """A custom action could not be run (server unreachable, action raised, bad answer)."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"action {action!r} failed: {reason}")
        self.action = action
        self.reason = reason


class ActionRejected(RuntimeError):
    """The action declined to run (rasa-sdk's ActionExecutionRejection), e.g. a form cannot continue."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"action {action!r} rejected: {reason}")
        self.action = action


@dataclass
class ActionResult:
    events: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)


class Executor(Protocol):
    async def run(self, call: dict[str, Any]) -> ActionResult: ...

    async def close(self) -> None: ...


class InProcessExecutor:
    """rasa-sdk's own executor, with the ``actions`` package registered, in this process."""

    def __init__(self, package: str = "actions") -> None:
        self._executor = ActionExecutor()
        self._executor.register_package(package)

    async def run(self, call: dict[str, Any]) -> ActionResult:
        name = str(call.get("next_action"))
        try:
            result = await self._executor.run(call)
        except ActionExecutionRejection as exc:
            raise ActionRejected(name, str(exc)) from exc
        except ActionNotFoundException as exc:
            raise ActionFailed(name, "no such action") from exc
        if result is None:
            raise ActionFailed(name, "no result")
        return ActionResult(events=list(result.events), responses=list(result.responses))

    async def close(self) -> None:
        return None


class HttpExecutor:
    """Calls a rasa-sdk action server (``python -m rasa_sdk --actions actions``) at ``endpoint``.

    A failed connection is retried with the same payload: actions are idempotent by design
    (side effects carry keys derived from the tracker), so a retry never acts twice.
    """

    def __init__(self, endpoint: str, *, timeout: float = 10.0, retries: int = 2) -> None:
        self.endpoint = endpoint
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.retries = retries
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def run(self, call: dict[str, Any]) -> ActionResult:
        name = str(call.get("next_action"))
        last_error = ""
        for attempt in range(self.retries + 1):
            try:
                async with self._client().post(self.endpoint, json=call) as resp:
                    body = await resp.json(content_type=None)
                    if resp.status == 200:
                        return ActionResult(
                            events=list(body.get("events") or []), responses=list(body.get("responses") or [])
                        )
                    if resp.status == 400 and isinstance(body, dict) and body.get("action_name"):
                        raise ActionRejected(name, str(body.get("error")))
                    raise ActionFailed(name, f"HTTP {resp.status}: {body}")
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                log.warning("action server unreachable (attempt %d): %s", attempt + 1, last_error)
                await asyncio.sleep(0.2 * (attempt + 1))
        raise ActionFailed(name, last_error)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
