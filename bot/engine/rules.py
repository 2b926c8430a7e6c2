"""Dialogue rules in Rasa's rules YAML format, and the matching the engine needs of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.engine.tracker import DialogueStateTracker

_UNSET = object()


class RulesError(ValueError):
    """A rule is malformed; the message names the rule."""


@dataclass(frozen=True)
class Rule:
    name: str
    loop_condition: Any  # _UNSET (no condition), None (no loop active) or a loop name
    slot_conditions: tuple[tuple[str, Any], ...]
    trigger_intent: str | None  # the user intent that starts the rule, if any
    trigger_action: str | None  # or the action after which it continues (e.g. a form finishing)
    requires_loop_ended: bool  # trigger_action must have deactivated its loop
    actions: tuple[str, ...]

    def conditions_hold(self, tracker: DialogueStateTracker) -> bool:
        if self.loop_condition is not _UNSET and tracker.active_loop != self.loop_condition:
            return False
        if self.loop_condition is _UNSET and tracker.active_loop is not None and self.trigger_intent:
            # Without an explicit loop condition a rule does not interrupt an active form.
            return False
        return all(tracker.get_slot(slot) == value for slot, value in self.slot_conditions)


def _parse_rule(spec: dict[str, Any]) -> Rule:
    name = str(spec.get("rule") or "unnamed rule")
    loop_condition: Any = _UNSET
    slot_conditions: list[tuple[str, Any]] = []
    for cond in spec.get("condition") or []:
        if "active_loop" in cond:
            loop_condition = cond["active_loop"]
        elif "slot_was_set" in cond:
            for item in cond["slot_was_set"]:
                slot_conditions.extend(item.items())
        else:
            raise RulesError(f"rule {name!r}: unsupported condition {cond!r}")
    steps = spec.get("steps") or []
    if not steps:
        raise RulesError(f"rule {name!r} has no steps")
    trigger_intent: str | None = None
    trigger_action: str | None = None
    requires_loop_ended = False
    actions: list[str] = []
    first = steps[0]
    rest = steps[1:]
    if "intent" in first:
        trigger_intent = str(first["intent"])
    elif "action" in first:
        trigger_action = str(first["action"])
        if rest and "active_loop" in rest[0] and rest[0]["active_loop"] is None:
            requires_loop_ended = True
    else:
        raise RulesError(f"rule {name!r} must start with an intent or an action")
    for step in rest:
        if "action" in step:
            actions.append(str(step["action"]))
        elif not ({"active_loop", "slot_was_set", "wait_for_user_input"} & set(step)):
            raise RulesError(f"rule {name!r}: unsupported step {step!r}")
    if not actions:
        raise RulesError(f"rule {name!r} predicts no action")
    return Rule(
        name=name,
        loop_condition=loop_condition,
        slot_conditions=tuple(slot_conditions),
        trigger_intent=trigger_intent,
        trigger_action=trigger_action,
        requires_loop_ended=requires_loop_ended,
        actions=tuple(actions),
    )


class RuleSet:
    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules

    @classmethod
    def load(cls, path: Path) -> RuleSet:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise RulesError(f"cannot read rules {path}: {exc}") from exc
        return cls([_parse_rule(spec) for spec in data.get("rules") or []])

    def for_intent(self, intent: str | None, tracker: DialogueStateTracker) -> Rule | None:
        """The most specific rule the user's intent triggers (loop-conditioned rules first)."""
        if intent is None:
            return None
        candidates = [r for r in self.rules if r.trigger_intent == intent and r.conditions_hold(tracker)]
        candidates.sort(key=lambda r: (r.loop_condition is _UNSET, -len(r.slot_conditions)))
        return candidates[0] if candidates else None

    def after_action(self, action: str, loop_ended: bool, tracker: DialogueStateTracker) -> Rule | None:
        """A rule that continues after ``action`` (e.g. submitting once the form has finished)."""
        for rule in self.rules:
            if rule.trigger_action != action or rule.requires_loop_ended != loop_ended:
                continue
            # The loop condition refers to the state before the form finished.
            if rule.slot_conditions and not all(tracker.get_slot(s) == v for s, v in rule.slot_conditions):
                continue
            return rule
        return None
