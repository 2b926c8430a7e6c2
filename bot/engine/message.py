"""What a channel hands the engine, and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UserMessage:
    text: str
    sender_id: str
    channel: str
    message_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    # What the page shows as the user's bubble when a button sent a payload.
    display_text: str | None = None


def bot_messages(events: list[dict[str, Any]], recipient_id: str) -> list[dict[str, Any]]:
    """Bot events → replies in the shape of Rasa's REST channel."""
    out: list[dict[str, Any]] = []
    for event in events:
        if event.get("event") != "bot":
            continue
        message: dict[str, Any] = {"recipient_id": recipient_id}
        if event.get("text"):
            message["text"] = event["text"]
        data = event.get("data") or {}
        if data.get("buttons"):
            message["buttons"] = data["buttons"]
        if data.get("custom"):
            message["custom"] = data["custom"]
        out.append(message)
    return out
