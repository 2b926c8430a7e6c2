"""One place that builds the address resolver and the router, once per process.

The bot (``actions.services``) and ``jiesu route`` both come through here, so the batch command
routes exactly as the bot does. The router needs only ``routing_rules/``; the resolver needs the
built gazetteer, and without it the router still works (every ticket then goes to a 12345 desk
unless the units are city-wide) and a warning says how to build it.
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path
from typing import Any, Protocol

from routing.router import Router

log = logging.getLogger(__name__)


class Resolving(Protocol):
    """What the rest of the system needs of ``routing.resolver.AddressResolver``."""

    def resolve(self, text: str) -> Any: ...


_lock = threading.Lock()
_routers: dict[Path, Router] = {}
_resolvers: dict[tuple[Path, Path], Resolving] = {}
_warned: set[tuple[Path, Path]] = set()


def load_router(rules_dir: Path) -> Router:
    """The router of ``rules_dir``, loaded once (raises CatalogueError on bad rules, OSError on none)."""
    key = rules_dir.resolve()
    with _lock:
        router = _routers.get(key)
        if router is None:
            router = _routers[key] = Router.load(key)
        return router


def load_resolver(gazetteer_dir: Path, rules_dir: Path) -> Resolving | None:
    """The address resolver, or None (with one logged warning) while the gazetteer is not built."""
    key = (gazetteer_dir.resolve(), rules_dir.resolve())
    with _lock:
        if key in _resolvers:
            return _resolvers[key]
        try:
            module = importlib.import_module("routing.resolver")
            resolver: Resolving = module.AddressResolver.load(*key)
        except (ImportError, AttributeError, OSError) as exc:
            if key not in _warned:
                _warned.add(key)
                log.warning(
                    "address resolver unavailable (%s): addresses are not resolved; "
                    "build the gazetteer with `jiesu gazetteer build`",
                    exc,
                )
            return None
        _resolvers[key] = resolver
        return resolver


def load_resolver_and_router(gazetteer_dir: Path, rules_dir: Path) -> tuple[Resolving | None, Router]:
    """(resolver or None, router), each built once per process and shared."""
    return load_resolver(gazetteer_dir, rules_dir), load_router(rules_dir)


def clear_cache() -> None:
    """Forget what was loaded (tests; an admin publishing new rules in a running process)."""
    with _lock:
        _routers.clear()
        _resolvers.clear()
        _warned.clear()
