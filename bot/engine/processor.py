"""One citizen turn: lock, load the tracker, understand, pick and run actions, save, reply."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from bot.engine import events as ev
from bot.engine import nlg, slot_mappings
from bot.engine.domain import Domain
from bot.engine.executors import ActionFailed, ActionRejected, Executor
from bot.engine.interpreter import Interpreter
from bot.engine.message import UserMessage, bot_messages
from bot.engine.rules import RuleSet
from bot.engine.tracker import DialogueStateTracker
from jiesu.config_yml import PolicySettings

log = logging.getLogger(__name__)

RASA_SDK_VERSION = "3.21.1"


class TrackerStore(Protocol):
    async def retrieve(self, sender_id: str) -> DialogueStateTracker: ...

    async def append(self, sender_id: str, first_seq: int, events: list[ev.Event]) -> None: ...


class LockManager(Protocol):
    def lock(self, key: str) -> Any: ...


class MessageProcessor:
    """The dialogue engine's entry point; holds no per-conversation state between turns."""

    def __init__(
        self,
        *,
        domain: Domain,
        rules: RuleSet,
        interpreter: Interpreter,
        store: TrackerStore,
        locks: LockManager,
        executor: Executor,
        policy: PolicySettings,
        session_expiry_minutes: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.domain = domain
        self.rules = rules
        self.interpreter = interpreter
        self.store = store
        self.locks = locks
        self.executor = executor
        self.policy = policy
        self.session_expiry_seconds = 60.0 * (
            session_expiry_minutes
            if session_expiry_minutes is not None
            else domain.session_expiration_minutes
        )
        self.clock = clock

    # -- the turn -----------------------------------------------------------------------------

    async def handle_message(self, message: UserMessage) -> list[dict[str, Any]]:
        async with self.locks.lock(message.sender_id):
            tracker = await self.store.retrieve(message.sender_id)
            stored = len(tracker.events)
            if message.message_id:
                replayed = self._replies_to(tracker, message.message_id)
                if replayed is not None:
                    return bot_messages(replayed, message.sender_id)
            self._start_session_if_due(tracker)
            parse_data = self.interpreter.parse(message.text)
            metadata: dict[str, Any] = {"raw": message.raw}
            if message.display_text is not None:
                metadata["display_text"] = message.display_text
            self._add(
                tracker,
                ev.user_uttered(
                    message.text,
                    parse_data,
                    input_channel=message.channel,
                    message_id=message.message_id,
                    metadata=metadata,
                    timestamp=self.clock(),
                ),
            )
            await self._run_turn(tracker)
            new_events = tracker.events[stored:]
            await self.store.append(message.sender_id, stored, new_events)
        return bot_messages(new_events, message.sender_id)

    async def transcript(self, sender_id: str) -> list[dict[str, Any]]:
        tracker = await self.store.retrieve(sender_id)
        return tracker.transcript()

    async def push(self, sender_id: str, text: str, buttons: list[dict[str, Any]] | None = None) -> None:
        """Records a bot message that was not an answer to a user message (e.g. a delivered ticket)."""
        async with self.locks.lock(sender_id):
            tracker = await self.store.retrieve(sender_id)
            stored = len(tracker.events)
            self._add(tracker, ev.bot_uttered(text, {"buttons": buttons or []}, timestamp=self.clock()))
            await self.store.append(sender_id, stored, tracker.events[stored:])

    @staticmethod
    def _replies_to(tracker: DialogueStateTracker, message_id: str) -> list[ev.Event] | None:
        """The bot events that answered ``message_id`` if it was handled already (a retried delivery)."""
        for index, event in enumerate(tracker.events):
            if event.get("event") == "user" and event.get("message_id") == message_id:
                replies: list[ev.Event] = []
                for later in tracker.events[index + 1 :]:
                    if later.get("event") == "user":
                        break
                    replies.append(later)
                return replies
        return None

    def _start_session_if_due(self, tracker: DialogueStateTracker) -> None:
        last = tracker.latest_event_time
        first_ever = not tracker.events
        expired = (
            last is not None
            and self.session_expiry_seconds > 0
            and (self.clock() - last > self.session_expiry_seconds)
        )
        if first_ever or expired:
            carried = dict(tracker.slots) if self.domain.carry_over_slots else {}
            self._add(tracker, ev.action_executed(ev.ACTION_SESSION_START))
            self._add(tracker, ev.session_started())
            for name, value in carried.items():
                if value is not None and name != ev.REQUESTED_SLOT:
                    self._add(tracker, ev.slot_set(name, value))
            self._add(tracker, ev.action_executed(ev.ACTION_LISTEN))

    def _add(self, tracker: DialogueStateTracker, event: ev.Event) -> None:
        """Appends an event stamped by this processor's clock (injectable, so tests run the clock)."""
        event["timestamp"] = self.clock()
        tracker.update(event)

    # -- policies -----------------------------------------------------------------------------

    def _plan(self, tracker: DialogueStateTracker) -> list[str]:
        """Which actions follow the user's message (RulePolicy, then the active form, then fallback)."""
        intent = tracker.latest_intent
        confidence = float((tracker.latest_message.get("intent") or {}).get("confidence") or 0.0)
        sure = confidence >= self.policy.nlu_threshold
        if tracker.active_loop:
            rule = self.rules.for_intent(intent, tracker)
            if rule is not None and sure:
                return list(rule.actions)
            return [tracker.active_loop]
        if not sure:
            return [ev.ACTION_DEFAULT_FALLBACK]
        rule = self.rules.for_intent(intent, tracker)
        return list(rule.actions) if rule else [ev.ACTION_DEFAULT_FALLBACK]

    async def _run_turn(self, tracker: DialogueStateTracker) -> None:
        plan: deque[str] = deque(
            [tracker.followup_action] if tracker.followup_action else self._plan(tracker)
        )
        executed = 0
        while plan and executed < self.policy.max_actions_per_turn:
            name = plan.popleft()
            if name == ev.ACTION_LISTEN:
                break
            followup = await self._run_action(name, tracker)
            executed += 1
            if followup is not None:
                plan = deque([followup])
                continue
            if name in self.domain.forms and tracker.active_loop is None:
                rule = self.rules.after_action(name, True, tracker)
                if rule is not None:
                    plan = deque(rule.actions)
        self._add(tracker, ev.action_executed(ev.ACTION_LISTEN))

    # -- actions ------------------------------------------------------------------------------

    async def _run_action(self, name: str, tracker: DialogueStateTracker) -> str | None:
        """Runs one action and applies its events; returns a follow-up action it asked for."""
        if name in self.domain.forms:
            await self._run_form(name, tracker)
            return None
        self._add(tracker, ev.action_executed(name))
        if name.startswith("utter_"):
            self._utter(tracker, name)
        elif name == ev.ACTION_DEFAULT_FALLBACK:
            self._utter(tracker, "utter_default")
        elif name == ev.ACTION_DEACTIVATE_LOOP:
            self._add(tracker, ev.active_loop(None))
            self._add(tracker, ev.slot_set(ev.REQUESTED_SLOT, None))
        elif name == ev.ACTION_RESTART:
            self._add(tracker, ev.restarted())
        elif self.domain.is_custom_action(name):
            events, _ = await self._call_custom(name, tracker)
            for event in events:
                if event.get("event") == "followup":
                    return str(event.get("name"))
        else:
            log.error("unknown action %s", name)
            self._utter(tracker, "utter_default")
        return None

    def _utter(self, tracker: DialogueStateTracker, response: str, **params: Any) -> None:
        message = nlg.render(self.domain, response, tracker.slots, len(tracker.events), **params)
        if message is None:
            log.error("missing response %s", response)
            return
        self._add(tracker, ev.bot_uttered(message.get("text"), {"buttons": message.get("buttons") or []}))

    def _action_call(self, name: str, state: dict[str, Any]) -> dict[str, Any]:
        return {
            "next_action": name,
            "sender_id": state["sender_id"],
            "tracker": state,
            "domain": self.domain.as_dict(),
            "version": RASA_SDK_VERSION,
        }

    async def _call_custom(
        self, name: str, tracker: DialogueStateTracker, extra_events: list[ev.Event] | None = None
    ) -> tuple[list[ev.Event], int]:
        """Runs a custom action through the executor; returns its events and how many replies it sent."""
        state = tracker.current_state()
        if extra_events:
            state["events"] = [*state["events"], *extra_events]
            for event in extra_events:
                if event.get("event") == "slot":
                    state["slots"][event["name"]] = event.get("value")
        try:
            result = await self.executor.run(self._action_call(name, state))
        except ActionRejected:
            raise
        except ActionFailed as exc:
            log.error("%s", exc)
            self._utter(tracker, "utter_submit_failed")
            return [], 1
        for event in extra_events or []:
            self._add(tracker, event)
        applied: list[ev.Event] = []
        for event in result.events:
            if event.get("event") == "followup":
                applied.append(event)
                continue
            self._add(tracker, event)
            applied.append(event)
        for response in result.responses:
            self._apply_response(tracker, response)
        return applied, len(result.responses)

    def _apply_response(self, tracker: DialogueStateTracker, response: dict[str, Any]) -> None:
        template = response.get("response") or response.get("template")
        if template:
            params = {k: v for k, v in response.items() if k not in ("response", "template")}
            params.update(response.get("custom") or {})
            self._utter(tracker, str(template), **params)
            return
        data: dict[str, Any] = {"buttons": response.get("buttons") or []}
        if response.get("custom"):
            data["custom"] = response["custom"]
        self._add(tracker, ev.bot_uttered(response.get("text"), data))

    # -- forms --------------------------------------------------------------------------------

    async def _run_form(self, form: str, tracker: DialogueStateTracker) -> None:
        """Rasa's FormAction: extract the requested slot, validate through ``validate_<form>``, ask next."""
        required = self.domain.forms[form]
        activating = tracker.active_loop != form
        previous_request = tracker.requested_slot
        self._add(tracker, ev.action_executed(form))
        if activating:
            self._add(tracker, ev.active_loop(form))
            missing = [s for s in required if tracker.get_slot(s) is None]
            candidates = slot_mappings.extract(tracker, self.domain, missing, only_entities=True)
        else:
            candidates = slot_mappings.extract(tracker, self.domain, required)
        replies = 0
        if not activating and not candidates:
            replies += await self._interject(tracker)
        if candidates:
            replies += await self._validate(form, tracker, candidates)
        missing = [s for s in required if tracker.get_slot(s) is None]
        if not missing:
            self._add(tracker, ev.slot_set(ev.REQUESTED_SLOT, None))
            self._add(tracker, ev.active_loop(None))
            return
        slot = missing[0]
        self._add(tracker, ev.slot_set(ev.REQUESTED_SLOT, slot))
        if replies and slot == previous_request and candidates:
            return  # the validator already told the citizen what was wrong and what to send
        ask = f"action_ask_{slot}"
        if self.domain.is_custom_action(ask):
            self._add(tracker, ev.action_executed(ask))
            await self._call_custom(ask, tracker)
        else:
            self._utter(tracker, f"utter_ask_{slot}")

    async def _interject(self, tracker: DialogueStateTracker) -> int:
        """Answers a message that fills no slot (a greeting, thanks) before the form asks again."""
        intent = tracker.latest_intent
        for rule in self.rules.rules:
            if rule.trigger_intent == intent and all(a.startswith("utter_") for a in rule.actions):
                for action in rule.actions:
                    self._add(tracker, ev.action_executed(action))
                    self._utter(tracker, action)
                return len(rule.actions)
        return 0

    async def _validate(self, form: str, tracker: DialogueStateTracker, candidates: dict[str, Any]) -> int:
        candidate_events = [ev.slot_set(name, value) for name, value in candidates.items()]
        validator = f"validate_{form}"
        if not self.domain.is_custom_action(validator):
            for event in candidate_events:
                self._add(tracker, event)
            return 0
        self._add(tracker, ev.action_executed(validator))
        try:
            _, replies = await self._call_custom(validator, tracker, candidate_events)
        except ActionRejected as exc:
            log.info("validation rejected: %s", exc)
            return 0
        return replies
