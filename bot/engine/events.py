"""Rasa-compatible events as plain dicts (the shape rasa-sdk and a Rasa tracker store use)."""

from __future__ import annotations

import time
from typing import Any

Event = dict[str, Any]

ACTION_LISTEN = "action_listen"
ACTION_SESSION_START = "action_session_start"
ACTION_RESTART = "action_restart"
ACTION_DEFAULT_FALLBACK = "action_default_fallback"
ACTION_DEACTIVATE_LOOP = "action_deactivate_loop"
REQUESTED_SLOT = "requested_slot"


def _now() -> float:
    return time.time()


def user_uttered(
    text: str,
    parse_data: dict[str, Any],
    *,
    input_channel: str,
    message_id: str | None,
    metadata: dict[str, Any] | None = None,
    timestamp: float | None = None,
) -> Event:
    return {
        "event": "user",
        "timestamp": timestamp or _now(),
        "text": text,
        "parse_data": parse_data,
        "input_channel": input_channel,
        "message_id": message_id,
        "metadata": metadata or {},
    }


def bot_uttered(
    text: str | None, data: dict[str, Any] | None = None, timestamp: float | None = None
) -> Event:
    return {
        "event": "bot",
        "timestamp": timestamp or _now(),
        "text": text,
        "data": data or {},
        "metadata": {},
    }


def action_executed(name: str, policy: str | None = None, confidence: float = 1.0) -> Event:
    return {"event": "action", "timestamp": _now(), "name": name, "policy": policy, "confidence": confidence}


def slot_set(name: str, value: Any) -> Event:
    return {"event": "slot", "timestamp": _now(), "name": name, "value": value}


def active_loop(name: str | None) -> Event:
    return {"event": "active_loop", "timestamp": _now(), "name": name}


def followup(name: str) -> Event:
    return {"event": "followup", "timestamp": _now(), "name": name}


def session_started() -> Event:
    return {"event": "session_started", "timestamp": _now()}


def restarted() -> Event:
    return {"event": "restart", "timestamp": _now()}


def reset_slots() -> Event:
    return {"event": "reset_slots", "timestamp": _now()}
