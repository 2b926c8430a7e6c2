"""Turns a user's text into Rasa-style parse data: the NLU model, or a button's ``/intent{...}`` payload."""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_][a-z0-9_]*)(?P<entities>\{.*\})?$", re.DOTALL)


class Understanding(Protocol):
    """Anything that parses text into the NLU contract's ``Parse.to_dict()`` shape."""

    def parse_dict(self, text: str) -> dict[str, Any]: ...


def parse_payload(text: str) -> dict[str, Any] | None:
    """``/correct{"slot": "address"}`` → intent ``correct`` with entity ``slot``, confidence 1."""
    match = _PAYLOAD.match(text.strip())
    if not match:
        return None
    entities: list[dict[str, Any]] = []
    if match.group("entities"):
        try:
            values = json.loads(match.group("entities"))
        except json.JSONDecodeError:
            return None
        if not isinstance(values, dict):
            return None
        entities = [{"entity": k, "value": v, "extractor": "payload"} for k, v in values.items()]
    intent = {"name": match.group("intent"), "confidence": 1.0}
    return {"text": text, "intent": intent, "intent_ranking": [intent], "entities": entities, "jiesu": {}}


_IN_RASA_KEYS = frozenset({"text", "intent", "intent_ranking", "entities"})


def to_parse_data(text: str, understanding: dict[str, Any]) -> dict[str, Any]:
    """The NLU's own result → Rasa's ``parse_data`` (intent, ranking, entities) plus ``jiesu`` extras."""
    intent = understanding.get("intent") or {}
    ranking = [
        {"name": i.get("name"), "confidence": float(i.get("score", 0.0))}
        for i in understanding.get("intent_ranking") or []
    ]
    entities = [
        {
            "entity": e.get("type"),
            "value": e.get("value"),
            "start": e.get("start"),
            "end": e.get("end"),
            "extractor": e.get("extractor"),
            "confidence": e.get("confidence"),
        }
        for e in understanding.get("entities") or []
    ]
    # Rasa's keys carry intent, ranking and entities; "jiesu" only what Rasa has no key for, so a
    # stored turn holds each piece once.
    extras = {k: v for k, v in understanding.items() if k not in _IN_RASA_KEYS}
    return {
        "text": text,
        "intent": {"name": intent.get("name"), "confidence": float(intent.get("score", 0.0))},
        "intent_ranking": ranking,
        "entities": entities,
        "jiesu": extras,
    }


class Interpreter:
    def __init__(self, understanding: Understanding) -> None:
        self.understanding = understanding

    def parse(self, text: str) -> dict[str, Any]:
        payload = parse_payload(text)
        if payload is not None:
            return payload
        return to_parse_data(text, self.understanding.parse_dict(text))
