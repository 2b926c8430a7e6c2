"""Renders responses from the domain: a variation per turn, slots and parameters filled in."""

from __future__ import annotations

from typing import Any

from bot.engine.domain import Domain


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(
    domain: Domain, name: str, slots: dict[str, Any], turn: int, **params: Any
) -> dict[str, Any] | None:
    variations = domain.responses.get(name)
    if not variations:
        return None
    chosen = variations[turn % len(variations)]
    values = _Blank({k: v for k, v in slots.items() if v is not None})
    values.update({k: v for k, v in params.items() if v is not None})
    text = chosen.get("text")
    message: dict[str, Any] = {"text": text.format_map(values) if isinstance(text, str) else None}
    if chosen.get("buttons"):
        message["buttons"] = [dict(b) for b in chosen["buttons"]]
    return message
