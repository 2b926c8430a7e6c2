"""The appeal: capture it from the first message, fill the form, confirm, submit through the outbox."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import checks
from actions.services import Services, get_services

log = logging.getLogger(__name__)

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

APPEAL_SLOTS = (
    "problem",
    "appeal_type",
    "category",
    "category_alternatives",
    "category_confirmed",
    "understanding",
    "address",
    "jurisdiction",
    "contact_phone",
    "anonymous",
    "confirmed",
)

LEGAL_GUIDES = {
    "诉讼": "如需起诉，请向有管辖权的人民法院提起诉讼，可先咨询当地法律援助中心（12348）。",
    "仲裁": (
        "劳动争议请向用人单位所在地的劳动人事争议仲裁委员会申请仲裁，一般应在知道权利被侵害之日起一年内提出。"
    ),
    "行政复议": "对行政机关的决定不服，可以在知道该决定之日起六十日内向复议机关申请行政复议。",
    "纪检监察": "反映公职人员违纪违法问题，请向纪检监察机关举报：拨打12388或登录中央纪委国家监委网站举报。",
    "信息公开": "申请政府信息公开，请向相关行政机关提交书面申请，可通过首都之窗“政府信息公开”栏目在线申请。",
}
# An "answer" (an address, a phone) with this many characters left over also describes a problem.
PROBLEM_RESIDUE_CHARS = 5
EMERGENCY_NAMES = {"110": "110（公安报警）", "119": "119（火警、燃气泄漏）", "120": "120（医疗急救）"}


def understanding_of(tracker: Tracker) -> dict[str, Any]:
    return dict((tracker.latest_message or {}).get("jiesu") or {})


def category_label(category: dict[str, Any] | None) -> str:
    if not category:
        return "其他问题"
    return str(category.get("l3") or category.get("l2") or category.get("l1"))


def _category_path(category: dict[str, Any] | None) -> str | None:
    if not category:
        return None
    return "/".join(str(category.get(k) or "") for k in ("l1", "l2", "l3"))


# What of the NLU's view travels with the appeal to the dispatch backend (and the router).
UNDERSTANDING_KEPT = (
    "appeal_type",
    "appeal_type_score",
    "category",
    "category_alternatives",
    "emergency",
    "legal_channel",
    "multi_problem",
)


def understanding_slots(understanding: dict[str, Any], threshold: float) -> dict[str, Any]:
    """Slots from the NLU's view of a problem description."""
    category = understanding.get("category")
    score = float((category or {}).get("score") or 0.0)
    slots: dict[str, Any] = {
        "appeal_type": understanding.get("appeal_type") or "投诉",
        "category": category,
        "category_alternatives": understanding.get("category_alternatives") or [],
        "understanding": {k: understanding.get(k) for k in UNDERSTANDING_KEPT},
    }
    # Sure enough → no question; unsure → the form asks "您反映的是……吗?".
    slots["category_confirmed"] = True if category and score >= threshold else None
    return slots


class ActionCaptureAppeal(Action):
    """Reads the first message of an appeal: problem, type, category, emergency and legal flags."""

    def name(self) -> str:
        return "action_capture_appeal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = await get_services()
        understanding = understanding_of(tracker)
        emergency = understanding.get("emergency")
        if emergency:
            dispatcher.utter_message(
                response="utter_emergency", emergency=EMERGENCY_NAMES.get(emergency, emergency)
            )
            return [FollowupAction("action_listen")]
        legal = understanding.get("legal_channel")
        if legal:
            dispatcher.utter_message(
                response="utter_legal_channel", legal_channel=legal, legal_guide=LEGAL_GUIDES.get(legal, "")
            )
            return [FollowupAction("action_listen")]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        if intent == "inform" and checks.find_ticket_id(text):
            return [FollowupAction("action_query_status")]  # a bare ticket number answers "工单号?"
        events: list[EventType] = [SlotSet(slot, None) for slot in APPEAL_SLOTS if slot != "anonymous"]
        events.append(SlotSet("anonymous", False))
        entities = list(tracker.latest_message.get("entities") or [])
        describes_problem = intent == "report_problem" or (
            intent == "inform" and len(checks.residual_text(text, entities)) >= PROBLEM_RESIDUE_CHARS
        )
        if describes_problem and not text.startswith("/"):
            events.append(SlotSet("problem", text.strip()))
            for name, value in understanding_slots(
                understanding, services.policy.category_confirm_threshold
            ).items():
                events.append(SlotSet(name, value))
            if understanding.get("multi_problem"):
                dispatcher.utter_message(
                    text="您反映了不止一个问题，我先为您登记主要的这一项，其他问题登记完后可以接着反映。"
                )
        return events


class ValidateAppealForm(FormValidationAction):
    def name(self) -> str:
        return "validate_appeal_form"

    async def validate_problem(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if len(text) < 4:
            dispatcher.utter_message(text="请再具体描述一下问题，比如发生了什么、影响到了什么。")
            return {"problem": None}
        services = await get_services()
        slots = understanding_slots(understanding_of(tracker), services.policy.category_confirm_threshold)
        return {"problem": text, **slots}

    async def validate_category_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        alternatives: list[dict[str, Any]] = list(tracker.get_slot("category_alternatives") or [])
        if isinstance(value, str):  # a button carried the chosen category "l1/l2/l3"
            parts = value.split("/")
            if value == "other" or len(parts) != 3:
                return {"category_confirmed": True, "category": None}
            chosen = {"l1": parts[0], "l2": parts[1], "l3": parts[2], "score": 1.0}
            return {"category_confirmed": True, "category": chosen}
        if value is True:
            return {"category_confirmed": True}
        # "不是": keep the description, let the catalogue and an agent decide.
        return {"category_confirmed": True, "category": None, "category_alternatives": alternatives}

    async def validate_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        spans = [str(v) for v in tracker.get_latest_entity_values("address")]
        services = await get_services()
        jurisdiction: dict[str, Any] | None = None
        if services.resolver is not None and text:
            # An entity span may be a piece of the place ("苑西三区5号楼"): the resolver reads the
            # whole message it came from, which is what it is built for (not a button's payload).
            said = str(tracker.latest_message.get("text") or "")
            place = said if text in said and not said.startswith("/") else text
            resolution = services.resolver.resolve(place)
            jurisdiction = resolution.to_dict() if hasattr(resolution, "to_dict") else dict(resolution)
            out_of_city = (jurisdiction or {}).get("out_of_city")
            if out_of_city:
                city = out_of_city.get("city") or out_of_city.get("province") or "当地"
                dispatcher.utter_message(
                    text=f"您反映的地点在{city}，不属于本市12345的受理范围，请拨打{city}的12345热线反映。"
                    "如果地点其实在本市，请告诉我具体的区和街道。"
                )
                return {"address": None, "jurisdiction": None}
            choices = _address_choices(jurisdiction, place)
            if choices:
                dispatcher.utter_message(
                    text="这个地点在本市有不止一处，请问是下面哪一个？都不是的话，请补充所在的区和街道。",
                    buttons=choices,
                )
                return {"address": None, "jurisdiction": None}
            if jurisdiction and jurisdiction.get("district"):
                return {
                    "address": spans[0] if spans and len(spans[0]) >= len(text) / 2 else text,
                    "jurisdiction": jurisdiction,
                }
        if spans:  # the NLU found an address-shaped span (a compound, a road and number …)
            return {"address": max(spans, key=len) if len(text) > 40 else text, "jurisdiction": jurisdiction}
        if len(text) <= 40 and checks.looks_like_place(text):
            return {"address": text, "jurisdiction": jurisdiction}
        dispatcher.utter_message(response="utter_invalid_address")
        return {"address": None}

    async def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if text == "匿名":
            appeal_type = tracker.get_slot("appeal_type") or "投诉"
            if appeal_type in checks.ANONYMOUS_ALLOWED:
                dispatcher.utter_message(response="utter_anonymous_ok")
                return {"contact_phone": "匿名", "anonymous": True}
            dispatcher.utter_message(response="utter_anonymous_not_allowed", appeal_type=appeal_type)
            return {"contact_phone": None}
        phone = checks.clean_phone(text)
        if phone is None:
            dispatcher.utter_message(response="utter_invalid_phone")
            return {"contact_phone": None}
        return {"contact_phone": phone, "anonymous": False}

    async def validate_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True:
            return {"confirmed": True}
        dispatcher.utter_message(response="utter_ask_what_to_correct")
        return {"confirmed": None}


def _address_choices(jurisdiction: dict[str, Any] | None, text: str) -> list[dict[str, Any]]:
    """Buttons for an ambiguous place (the same name under several streets): each names its chain
    and keeps what the citizen wrote, so the answer resolves surely and the detail is not lost."""
    if not jurisdiction or jurisdiction.get("sure"):
        return []
    choices: list[dict[str, Any]] = []
    alternatives = jurisdiction.get("alternatives") or []
    best = max((float(a.get("confidence") or 0) for a in alternatives), default=0.0)
    # Only the real contenders: a far weaker reading ("西三村" for "天通苑西三区") is no choice.
    for alternative in [a for a in alternatives if float(a.get("confidence") or 0) >= best / 2][:4]:
        chain = "".join(str(alternative.get(k) or "") for k in ("district", "street", "community"))
        if chain and chain not in (c["title"] for c in choices):
            address = f"{chain} {text}" if text not in chain else chain
            payload = json.dumps({"address": address}, ensure_ascii=False)
            choices.append({"title": chain, "payload": f"/inform{payload}"})
    return choices if len(choices) >= 2 else []


class ActionAskCategoryConfirmed(Action):
    """ "您反映的是……吗?" with the NLU's top choices as buttons."""

    def name(self) -> str:
        return "action_ask_category_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        options: list[dict[str, Any]] = []
        top = tracker.get_slot("category")
        for candidate in [top, *(tracker.get_slot("category_alternatives") or [])]:
            path = _category_path(candidate)
            if path and path not in [o.get("path") for o in options]:
                options.append({"path": path, "label": category_label(candidate)})
        buttons = [
            {"title": o["label"], "payload": f'/choose_category{{"category": "{o["path"]}"}}'}
            for o in options[:3]
        ]
        buttons.append({"title": "都不是", "payload": '/choose_category{"category": "other"}'})
        first = options[0]["label"] if options else "其他问题"
        dispatcher.utter_message(
            text=f"您反映的是“{first}”方面的问题吗？请选择最接近的一项。", buttons=buttons
        )
        return []


class ActionAskConfirmed(Action):
    """Shows what will be submitted and asks the citizen to confirm or correct it."""

    def name(self) -> str:
        return "action_ask_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        phone = tracker.get_slot("contact_phone") or ""
        phone_shown = "匿名" if tracker.get_slot("anonymous") else checks.mask_phone(phone)
        jurisdiction = tracker.get_slot("jurisdiction") or {}
        place = "".join(str(jurisdiction.get(k) or "") for k in ("district", "street", "community"))
        lines = [
            "请核对您的诉求信息：",
            f"【诉求类型】{tracker.get_slot('appeal_type') or '投诉'}",
            f"【问题分类】{category_label(tracker.get_slot('category'))}",
            f"【问题描述】{tracker.get_slot('problem')}",
            f"【发生地点】{tracker.get_slot('address')}" + (f"（{place}）" if place else ""),
            f"【联系电话】{phone_shown}",
            "信息无误请点“确认提交”，需要修改请点“修改”。",
        ]
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[
                {"title": "确认提交", "payload": "/affirm"},
                {"title": "修改", "payload": "/deny"},
                {"title": "不办了", "payload": "/stop"},
            ],
        )
        return []


def appeal_key(tracker: Tracker) -> str:
    """A key that is the same however often this submission is retried, and new for the next appeal."""
    started = None
    for event in tracker.events:
        if event.get("event") == "active_loop" and event.get("name") == "appeal_form":
            started = event.get("timestamp")
    digest = hashlib.sha256(f"{tracker.sender_id}|{started}".encode()).hexdigest()
    return f"appeal-{digest[:32]}"


def build_payload(tracker: Tracker, services: Services) -> dict[str, Any]:
    understanding = dict(tracker.get_slot("understanding") or {})
    category = tracker.get_slot("category")
    jurisdiction = tracker.get_slot("jurisdiction")
    decision: dict[str, Any] | None = None
    if services.router is not None:
        merged = {**understanding, "text": tracker.get_slot("problem"), "category": category}
        result = services.router.decide(merged, jurisdiction, datetime.now(UTC))
        decision = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    latest = tracker.latest_message or {}
    return {
        "channel": latest.get("input_channel") or "web",
        "sender_id": tracker.sender_id,
        "text": tracker.get_slot("problem"),
        "appeal_type": tracker.get_slot("appeal_type") or "投诉",
        "category": {k: category.get(k) for k in ("l1", "l2", "l3")} if category else None,
        "address": tracker.get_slot("address"),
        "jurisdiction": jurisdiction,
        "phone": None if tracker.get_slot("anonymous") else tracker.get_slot("contact_phone"),
        "anonymous": bool(tracker.get_slot("anonymous")),
        "decision": decision,
        "nlu": understanding,
    }


def format_deadline(deadline: Any) -> str:
    """An ISO time from the backend → "2026年11月26日 14:00" in Beijing time."""
    if not deadline:
        return ""
    try:
        moment = datetime.fromisoformat(str(deadline).replace("Z", "+00:00"))
    except ValueError:
        return str(deadline)
    if moment.tzinfo is not None:
        moment = moment.astimezone(BEIJING)
    return moment.strftime("%Y年%m月%d日 %H:%M")


def ticket_reply(ticket: dict[str, Any]) -> str:
    when = format_deadline(ticket.get("deadline"))
    units = "、".join(str(u) for u in ticket.get("units") or [])
    text = f"您的诉求已提交成功！工单号：{ticket.get('id')}。"
    if units:
        text += f"已派发给{units}办理，"
    if when:
        text += f"办理时限至 {when}。"
    text += "可随时发送“查询工单 " + str(ticket.get("id")) + "”了解进度。"
    return text


class ActionSubmitAppeal(Action):
    """Stores the appeal in the outbox, delivers it, and answers with the ticket number."""

    def name(self) -> str:
        return "action_submit_appeal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = await get_services()
        key = appeal_key(tracker)
        payload = build_payload(tracker, services)
        # Stored before anything else: from here on the appeal cannot be lost. A retried call finds
        # the stored entry (and its ticket, if it was delivered) under the same key.
        entry = await services.outbox.enqueue(key, tracker.sender_id, str(payload["channel"]), payload)
        ticket = entry.ticket
        if entry.status != "delivered":
            try:
                ticket = await asyncio.wait_for(
                    services.outbox.deliver(entry, services.backend, notified=True), services.submit_timeout
                )
            except TimeoutError:
                ticket = None
        reset = [SlotSet(slot, None) for slot in APPEAL_SLOTS if slot != "anonymous"]
        reset.append(SlotSet("anonymous", False))
        if ticket:
            dispatcher.utter_message(text=ticket_reply(ticket))
            return [*reset, SlotSet("ticket_id", str(ticket.get("id")))]
        dispatcher.utter_message(
            text=f"您的诉求已受理，受理编号 {entry.reference}。"
            "办理系统正在处理中，工单号生成后会第一时间发送给您，请留意消息。"
        )
        return reset


class ActionQueryStatus(Action):
    def name(self) -> str:
        return "action_query_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        ticket_id = checks.find_ticket_id(text) or next(tracker.get_latest_entity_values("ticket_id"), None)
        if not ticket_id:
            dispatcher.utter_message(response="utter_ask_ticket_id")
            return []
        services = await get_services()
        phone = checks.clean_phone(text.replace(ticket_id, ""))
        try:
            ticket = await services.backend.get_ticket(
                ticket_id, sender_id=tracker.sender_id, phone_last4=phone[-4:] if phone else None
            )
        except Exception as exc:
            log.warning("status query failed: %s", exc)
            dispatcher.utter_message(text="抱歉，暂时查询不到工单进度，请稍后再试。")
            return [SlotSet("ticket_id", ticket_id)]
        if ticket is None:
            dispatcher.utter_message(
                text=f"没有查到工单 {ticket_id}。请核对工单号；如果工单不是在这里提交的，"
                f"请连同登记电话一起发送，例如“查询 {ticket_id} 电话 13812345678”。"
            )
            return [SlotSet("ticket_id", ticket_id)]
        lines = [f"工单 {ticket_id} 当前状态：{ticket.get('status_label') or ticket.get('status')}。"]
        units = "、".join(str(u) for u in ticket.get("units") or [])
        if units:
            lines.append(f"承办单位：{units}。")
        if ticket.get("deadline"):
            lines.append(f"办理时限：{format_deadline(ticket['deadline'])}。")
        dispatcher.utter_message(text="".join(lines))
        return [SlotSet("ticket_id", ticket_id)]


_CORRECTABLE = {
    "address": ("地址", "地点", "位置", "门牌"),
    "contact_phone": ("电话", "手机", "号码"),
    "problem": ("问题", "描述", "内容"),
}


class ActionCorrectSlot(Action):
    """Clears an answer the citizen wants to change ("地址说错了"), so the form asks for it again."""

    def name(self) -> str:
        return "action_correct_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        slot = next(tracker.get_latest_entity_values("slot"), None)
        if slot is None:
            slot = next((s for s, words in _CORRECTABLE.items() if any(w in text for w in words)), None)
        if tracker.active_loop_name != "appeal_form":
            dispatcher.utter_message(text="目前没有正在登记的诉求。如需修改已提交的工单，请回复“转人工”。")
            return []
        if slot is None:
            dispatcher.utter_message(response="utter_ask_what_to_correct")
            return [SlotSet("confirmed", None)]
        events: list[EventType] = [SlotSet("confirmed", None), SlotSet(slot, None)]
        if slot == "address":
            events.append(SlotSet("jurisdiction", None))
        if slot == "contact_phone":
            events.append(SlotSet("anonymous", False))
        dispatcher.utter_message(text="好的，我们重新填写这一项。")
        return events


class ActionStopAppeal(Action):
    def name(self) -> str:
        return "action_stop_appeal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.active_loop_name != "appeal_form":
            dispatcher.utter_message(text="好的。还有其他需要随时告诉我。")
            return []
        dispatcher.utter_message(response="utter_form_stopped")
        events: list[EventType] = [SlotSet(slot, None) for slot in APPEAL_SLOTS if slot != "anonymous"]
        events += [SlotSet("anonymous", False), SlotSet("requested_slot", None)]
        events.append(ActiveLoop(None))
        return events


class ActionHandoff(Action):
    """Acknowledges 转人工; the handover itself (agent console) is its own part."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_handoff")
        return [SlotSet("handoff_requested", True)]
