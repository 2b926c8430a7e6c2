"""The routing part's subcommands; each module below registers its own when it exists."""

from __future__ import annotations

import importlib
from typing import Any

# gazetteer_cli: `jiesu gazetteer build`, `jiesu resolve`; route_cli: `jiesu route`.
_MODULES = ("routing.gazetteer_cli", "routing.route_cli")


def register(sub: Any) -> None:
    for name in _MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
