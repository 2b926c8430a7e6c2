"""The conversation tracker: an append-only list of events and the state derived from them."""

from __future__ import annotations

from typing import Any

from bot.engine.domain import Domain
from bot.engine.events import ACTION_LISTEN, REQUESTED_SLOT, Event


class DialogueStateTracker:
    """Applies events in order; state (slots, active loop, latest message) is always derived."""

    def __init__(self, sender_id: str, domain: Domain, events: list[Event] | None = None) -> None:
        self.sender_id = sender_id
        self.domain = domain
        self.events: list[Event] = []
        self._reset()
        for event in events or []:
            self.update(event)

    def _reset(self) -> None:
        self.slots: dict[str, Any] = self.domain.initial_slots()
        self.active_loop: str | None = None
        self.latest_message: dict[str, Any] = {}
        self.latest_action_name: str | None = None
        self.followup_action: str | None = None
        self.paused = False
        self.session_start_index = 0

    def update(self, event: Event) -> None:
        self.events.append(event)
        kind = event.get("event")
        if kind == "user":
            self.latest_message = {
                "text": event.get("text"),
                "message_id": event.get("message_id"),
                "input_channel": event.get("input_channel"),
                **(event.get("parse_data") or {}),
            }
            self.followup_action = None
        elif kind == "slot":
            self.slots[event["name"]] = event.get("value")
        elif kind == "action":
            self.latest_action_name = event.get("name")
            if self.followup_action == event.get("name"):
                self.followup_action = None
        elif kind == "active_loop":
            self.active_loop = event.get("name")
        elif kind == "followup":
            self.followup_action = event.get("name")
        elif kind in ("session_started", "restart"):
            self._reset()
            self.session_start_index = len(self.events) - 1
        elif kind == "reset_slots":
            self.slots = self.domain.initial_slots()
        elif kind == "pause":
            self.paused = True
        elif kind == "resume":
            self.paused = False

    def extend(self, events: list[Event]) -> None:
        for event in events:
            self.update(event)

    def get_slot(self, name: str) -> Any:
        return self.slots.get(name)

    @property
    def requested_slot(self) -> str | None:
        value = self.slots.get(REQUESTED_SLOT)
        return str(value) if value else None

    @property
    def latest_intent(self) -> str | None:
        intent = self.latest_message.get("intent") or {}
        name = intent.get("name")
        return str(name) if name else None

    @property
    def latest_event_time(self) -> float | None:
        return float(self.events[-1]["timestamp"]) if self.events else None

    def session_events(self) -> list[Event]:
        return self.events[self.session_start_index :]

    def is_listening(self) -> bool:
        return self.latest_action_name == ACTION_LISTEN

    def current_state(self) -> dict[str, Any]:
        """The tracker in the JSON shape of Rasa's action-server protocol."""
        return {
            "sender_id": self.sender_id,
            "slots": dict(self.slots),
            "latest_message": dict(self.latest_message),
            "events": self.session_events(),
            "paused": self.paused,
            "followup_action": self.followup_action,
            "active_loop": {"name": self.active_loop} if self.active_loop else {},
            "latest_action_name": self.latest_action_name,
            "latest_event_time": self.latest_event_time,
        }

    def transcript(self) -> list[dict[str, Any]]:
        """User and bot messages of the current session, for the page to redraw after a reload."""
        out: list[dict[str, Any]] = []
        for event in self.session_events():
            if event.get("event") == "user":
                display = (event.get("metadata") or {}).get("display_text")
                if display == "":
                    continue  # a silent payload the page sent on its own (the first greeting)
                shown = display or event.get("text")
                out.append({"role": "user", "text": shown, "timestamp": event.get("timestamp")})
            elif event.get("event") == "bot":
                data = event.get("data") or {}
                out.append(
                    {
                        "role": "bot",
                        "text": event.get("text"),
                        "buttons": data.get("buttons") or [],
                        "timestamp": event.get("timestamp"),
                    }
                )
        return out
