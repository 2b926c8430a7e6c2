"""The callback (回访): the citizen rates a resolved ticket and may add a comment.

The rating is recorded at once (不满意 reopens the ticket in the backend); the comment that
基本满意 and 不满意 invite comes after it, so nothing waits on an answer the citizen may never give.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import checks
from actions.services import get_services
from dispatch.client import DispatchRejected

log = logging.getLogger(__name__)

RATINGS = ("满意", "基本满意", "不满意")
NO_COMMENT = "-"

_THANKS = {
    "满意": "感谢您的评价！工单 {id} 已完成回访。如还有其他问题，随时告诉我。",
    "基本满意": "感谢您的评价，我们会请办理单位继续改进。",
    "不满意": "很抱歉没能让您满意。工单 {id} 已退回办理单位重新办理，办理单位会尽快与您联系。",
}


def _entity(tracker: Tracker, name: str) -> Any:
    return next(tracker.get_latest_entity_values(name), None)


class ActionRateTicket(Action):
    def name(self) -> str:
        return "action_rate_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ticket_id = str(_entity(tracker, "ticket_id") or "")
        rating = str(_entity(tracker, "rating") or "")
        if not checks.find_ticket_id(ticket_id) or rating not in RATINGS:
            dispatcher.utter_message(text="请点击回访消息下方的“满意”“基本满意”或“不满意”按钮进行评价。")
            return []
        services = await get_services()
        try:
            ticket = await services.backend.rate_ticket(ticket_id, rating, sender_id=tracker.sender_id)
        except DispatchRejected as exc:
            if exc.status == 409:  # rated before, or reopened meanwhile
                dispatcher.utter_message(text=f"工单 {ticket_id} 已经评价过了，感谢您的反馈！")
                return []
            log.warning("rating refused: %s", exc)
            dispatcher.utter_message(text="抱歉，评价没有提交成功，请稍后再点一次评价按钮。")
            return []
        except Exception as exc:  # the backend is unreachable: the buttons stay, the citizen can retry
            log.warning("rating failed: %s", exc)
            dispatcher.utter_message(text="抱歉，系统繁忙，评价暂未提交成功，请稍后再点一次评价按钮。")
            return []
        if ticket is None:
            dispatcher.utter_message(text=f"没有找到您的工单 {ticket_id}，请核对后再试。")
            return []
        dispatcher.utter_message(text=_THANKS[rating].format(id=ticket_id))
        events: list[EventType] = [SlotSet("rating_ticket", ticket_id), SlotSet("rating_comment", None)]
        if rating != "满意" and tracker.active_loop_name is None:
            events.append(FollowupAction("rating_form"))
        return events


class ActionSendRatingComment(Action):
    def name(self) -> str:
        return "action_send_rating_comment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ticket_id = tracker.get_slot("rating_ticket")
        comment = str(tracker.get_slot("rating_comment") or "").strip()
        done: list[EventType] = [SlotSet("rating_ticket", None), SlotSet("rating_comment", None)]
        if not ticket_id or not comment or comment == NO_COMMENT:
            dispatcher.utter_message(text="好的，感谢您对12345工作的支持！")
            return done
        services = await get_services()
        try:
            recorded = await services.backend.comment_ticket(
                ticket_id, comment[:2000], sender_id=tracker.sender_id
            )
        except Exception as exc:
            log.warning("comment failed: %s", exc)
            dispatcher.utter_message(text="抱歉，系统繁忙，您的意见暂未转交成功，请稍后再发一次。")
            return [SlotSet("rating_comment", None)]
        if recorded:
            dispatcher.utter_message(text=f"您的意见已转给办理单位（工单 {ticket_id}），感谢您的反馈！")
        else:
            dispatcher.utter_message(text=f"没有找到您的工单 {ticket_id}，意见未能转交。")
        return done
