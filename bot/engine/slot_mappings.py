"""Slot mappings in Rasa 3's format: from_entity, from_text, from_intent (custom is left to actions)."""

from __future__ import annotations

from typing import Any

from bot.engine.domain import Domain
from bot.engine.tracker import DialogueStateTracker


def _conditions_hold(mapping: dict[str, Any], tracker: DialogueStateTracker) -> bool:
    conditions = mapping.get("conditions")
    if not conditions:
        return True
    for cond in conditions:
        if cond.get("active_loop") != tracker.active_loop:
            continue
        if "requested_slot" in cond and cond["requested_slot"] != tracker.requested_slot:
            continue
        return True
    return False


def _intent_allows(mapping: dict[str, Any], intent: str | None) -> bool:
    wanted = mapping.get("intent")
    if wanted is not None and mapping.get("type") != "from_intent":
        wanted_list = wanted if isinstance(wanted, list) else [wanted]
        if intent not in wanted_list:
            return False
    excluded = mapping.get("not_intent") or []
    excluded_list = excluded if isinstance(excluded, list) else [excluded]
    return intent not in excluded_list


def extract(
    tracker: DialogueStateTracker,
    domain: Domain,
    slot_names: list[str] | tuple[str, ...],
    *,
    only_entities: bool = False,
) -> dict[str, Any]:
    """Candidate values for ``slot_names`` from the latest user message.

    ``only_entities`` restricts extraction to unconditioned entity mappings, as used when a
    form starts: whatever the first message already says is taken, nothing else is guessed.
    """
    message = tracker.latest_message
    intent = tracker.latest_intent
    entities: list[dict[str, Any]] = list(message.get("entities") or [])
    text = message.get("text")
    found: dict[str, Any] = {}
    for name in slot_names:
        slot = domain.slots.get(name)
        if slot is None:
            continue
        for mapping in slot.mappings:
            kind = mapping.get("type")
            if only_entities and (kind != "from_entity" or mapping.get("conditions")):
                continue
            if not _conditions_hold(mapping, tracker) or not _intent_allows(mapping, intent):
                continue
            value: Any = None
            if kind == "from_entity":
                matches = [e for e in entities if e.get("entity") == mapping.get("entity")]
                if matches:
                    value = matches[0].get("value")
            elif kind == "from_text":
                if isinstance(text, str) and text.strip() and not text.startswith("/"):
                    value = text.strip()
            elif kind == "from_intent":
                wanted = mapping.get("intent")
                wanted_list = wanted if isinstance(wanted, list) else [wanted]
                if intent in wanted_list:
                    value = mapping.get("value")
            if value is not None:
                found[name] = value
                break
    return found
