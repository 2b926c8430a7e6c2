"""The domain in Rasa's ``domain.yml`` format: intents, entities, slots, forms, responses, actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.engine.events import REQUESTED_SLOT


class DomainError(ValueError):
    """The domain file is malformed; the message names the offending part."""


@dataclass(frozen=True)
class SlotDefinition:
    name: str
    type: str
    initial_value: Any = None
    mappings: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Domain:
    intents: tuple[str, ...]
    entities: tuple[str, ...]
    slots: dict[str, SlotDefinition]
    forms: dict[str, tuple[str, ...]]
    responses: dict[str, list[dict[str, Any]]]
    actions: tuple[str, ...]
    session_expiration_minutes: float = 60.0
    carry_over_slots: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Domain:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise DomainError(f"cannot read domain {path}: {exc}") from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Domain:
        slots: dict[str, SlotDefinition] = {}
        for name, spec in (data.get("slots") or {}).items():
            if not isinstance(spec, dict) or "type" not in spec:
                raise DomainError(f"slot {name!r} needs a type")
            slots[name] = SlotDefinition(
                name=name,
                type=str(spec["type"]),
                initial_value=spec.get("initial_value"),
                mappings=tuple(spec.get("mappings") or ()),
            )
        slots.setdefault(REQUESTED_SLOT, SlotDefinition(REQUESTED_SLOT, "any"))
        forms: dict[str, tuple[str, ...]] = {}
        for name, spec in (data.get("forms") or {}).items():
            required = tuple((spec or {}).get("required_slots") or ())
            for slot in required:
                if slot not in slots:
                    raise DomainError(f"form {name!r} requires unknown slot {slot!r}")
            forms[name] = required
        responses: dict[str, list[dict[str, Any]]] = {}
        for name, variations in (data.get("responses") or {}).items():
            if not isinstance(variations, list) or not variations:
                raise DomainError(f"response {name!r} needs at least one variation")
            responses[name] = [dict(v) for v in variations]
        session = data.get("session_config") or {}
        return cls(
            intents=tuple(data.get("intents") or ()),
            entities=tuple(data.get("entities") or ()),
            slots=slots,
            forms=forms,
            responses=responses,
            actions=tuple(data.get("actions") or ()),
            session_expiration_minutes=float(session.get("session_expiration_time", 60)),
            carry_over_slots=bool(session.get("carry_over_slots_to_new_session", False)),
            raw=data,
        )

    def initial_slots(self) -> dict[str, Any]:
        return {name: slot.initial_value for name, slot in self.slots.items()}

    def is_custom_action(self, name: str) -> bool:
        return name in self.actions

    def as_dict(self) -> dict[str, Any]:
        """The domain as rasa-sdk receives it in an action call (built once; treat as read-only)."""
        cached: dict[str, Any] | None = self.__dict__.get("_as_dict")
        if cached is not None:
            return cached
        out = dict(self.raw)
        out["forms"] = {name: {"required_slots": list(req)} for name, req in self.forms.items()}
        out["slots"] = {
            name: {"type": s.type, "initial_value": s.initial_value, "mappings": list(s.mappings)}
            for name, s in self.slots.items()
        }
        object.__setattr__(self, "_as_dict", out)
        return out
