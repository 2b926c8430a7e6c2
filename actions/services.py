"""What the actions need from the rest of the system, built once per process from the settings.

The bot configures this explicitly when it runs the actions in-process; an action server
(``python -m rasa_sdk --actions actions``) builds it lazily from the environment.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

from bot.store.db import open_database
from bot.store.outbox import Outbox
from jiesu.config_yml import PolicySettings, policy_settings
from jiesu.settings import Settings


class TicketBackend(Protocol):
    async def create_ticket(self, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]: ...

    async def get_ticket(
        self, ticket_id: str, *, sender_id: str | None = None, phone_last4: str | None = None
    ) -> dict[str, Any] | None: ...

    async def rate_ticket(
        self,
        ticket_id: str,
        rating: str,
        *,
        comment: str | None = None,
        sender_id: str | None = None,
        phone_last4: str | None = None,
    ) -> dict[str, Any] | None: ...

    async def comment_ticket(
        self, ticket_id: str, comment: str, *, sender_id: str | None = None, phone_last4: str | None = None
    ) -> bool: ...


class AddressResolving(Protocol):
    def resolve(self, text: str) -> Any: ...


class Routing(Protocol):
    def decide(self, understanding: Any, jurisdiction: Any, now: Any) -> Any: ...


@dataclass
class Services:
    settings: Settings
    outbox: Outbox
    backend: TicketBackend
    policy: PolicySettings
    resolver: AddressResolving | None = None
    router: Routing | None = None
    # How long the submit action waits for the backend before acknowledging from the outbox.
    submit_timeout: float = 3.0


_services: Services | None = None
_lock = asyncio.Lock()


def configure(services: Services | None) -> None:
    """Installs the services the actions use in this process (None forgets them)."""
    global _services
    _services = services


def load_routing(settings: Settings) -> tuple[AddressResolving | None, Routing | None]:
    """The address resolver and router, when the gazetteer and the catalogue are built."""
    try:
        from routing.loader import load_resolver_and_router
    except ImportError:
        return None, None
    return load_resolver_and_router(settings.gazetteer_dir, settings.routing_rules_dir)


async def get_services() -> Services:
    global _services
    if _services is not None:
        return _services
    async with _lock:
        if _services is None:
            from dispatch.client import DispatchClient

            settings = Settings.from_env()
            database = await open_database(settings.db_url)
            resolver, router = load_routing(settings)
            _services = Services(
                settings=settings,
                outbox=Outbox(database),
                backend=DispatchClient(settings.dispatch_url, settings.service_token),
                policy=policy_settings(settings.config_path),
                resolver=resolver,
                router=router,
            )
    return _services
