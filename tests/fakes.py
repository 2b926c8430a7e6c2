"""Small fakes for unit tests of the engine (cosmicpython style): a keyword NLU and an in-memory backend."""

from __future__ import annotations

import itertools
import re
from typing import Any

from actions.checks import LANDLINE, MOBILE, TICKET_ID

_INTENT_WORDS = [
    ("handoff", ("转人工", "人工客服")),
    ("greet", ("你好", "您好")),
    ("thank", ("谢谢",)),
    ("goodbye", ("再见",)),
    ("affirm", ("确认", "是的", "对的")),
    ("deny", ("不对", "不是")),
    ("anonymous", ("不想留", "匿名")),
    ("correct", ("说错了", "改一下")),
    ("stop", ("不办了", "算了")),
    ("query_status", ("到哪一步", "进度", "查询工单")),
    ("report_problem", ("坏了", "噪音", "停水", "拖欠", "着火", "起诉")),
]


class KeywordUnderstanding:
    """Deterministic stand-in for the trained model, returning the NLU contract's dict shape."""

    def __init__(self, category_score: float = 0.9) -> None:
        self.category_score = category_score

    def parse_dict(self, text: str) -> dict[str, Any]:
        intent, score = "out_of_scope", 0.2
        for name, words in _INTENT_WORDS:
            if any(w in text for w in words):
                intent, score = name, 0.9
                break
        entities: list[dict[str, Any]] = []
        for kind, pattern in (("ticket_id", TICKET_ID), ("phone", MOBILE), ("landline", LANDLINE)):
            for m in pattern.finditer(text):
                if not any(e["start"] <= m.start(1) < e["end"] for e in entities):
                    entities.append({"type": kind, "value": m.group(1), "start": m.start(1), "end": m.end(1)})
        if m2 := re.search(r"[\u4e00-\u9fa5]{2,4}区[\u4e00-\u9fa5\d号楼]{2,20}", text):
            entities.append({"type": "address", "value": m2.group(0), "start": m2.start(), "end": m2.end()})
            if intent == "out_of_scope":
                intent, score = "inform", 0.8
        if intent == "out_of_scope" and entities and entities[0]["type"] in ("phone", "ticket_id"):
            intent, score = "inform", 0.8
        category = None
        if intent == "report_problem":
            category = {
                "l1": "城乡建设",
                "l2": "城市建设和市政管理",
                "l3": "城市公共设施",
                "score": self.category_score,
            }
        return {
            "text": text,
            "intent": {"name": intent, "score": score},
            "intent_ranking": [{"name": intent, "score": score}],
            "appeal_type": "投诉" if intent == "report_problem" else None,
            "appeal_type_score": 0.8,
            "category": category,
            "category_alternatives": [
                {"l1": "环境保护", "l2": "环境污染", "l3": "噪声污染", "score": 0.1},
            ],
            "entities": entities,
            "emergency": "119" if "着火" in text else None,
            "legal_channel": "诉讼" if "起诉" in text else None,
            "multi_problem": False,
        }


class MemoryBackend:
    """The dispatch backend's contract in memory: idempotent on the key, can be switched off."""

    def __init__(self) -> None:
        self.tickets: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.calls = 0
        self.down = False
        self._seq = itertools.count(1)

    async def create_ticket(self, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        self.calls += 1
        if self.down:
            raise ConnectionError("backend down")
        if idempotency_key in self.by_key:
            return self.tickets[self.by_key[idempotency_key]]
        ticket_id = f"20261123{next(self._seq):05d}"
        ticket = {
            "id": ticket_id,
            "status": "dispatched",
            "status_label": "已派",
            "deadline": "2026-11-24T10:00:00+08:00",
            "units": ["望京街道办事处"],
            "payload": payload,
        }
        self.tickets[ticket_id] = ticket
        self.by_key[idempotency_key] = ticket_id
        return ticket

    async def get_ticket(
        self, ticket_id: str, *, sender_id: str | None = None, phone_last4: str | None = None
    ) -> dict[str, Any] | None:
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket["payload"]["sender_id"] != sender_id:
            return None
        return ticket

    # The callback (回访): a test marks a ticket resolved with ``resolve``.
    def resolve(self, ticket_id: str, resolution: str = "已修复") -> None:
        self.tickets[ticket_id] |= {"status": "resolved", "resolution": resolution}

    async def due_callbacks(self, limit: int = 50) -> list[dict[str, Any]]:
        if self.down:
            raise ConnectionError("backend down")
        due = [t for t in self.tickets.values() if t["status"] == "resolved" and not t.get("asked")]
        return [
            {
                "id": t["id"],
                "sender_id": t["payload"]["sender_id"],
                "text": t["payload"]["text"],
                "units": t["units"],
                "resolution": t.get("resolution"),
            }
            for t in due[:limit]
        ]

    async def mark_callback(self, ticket_id: str) -> bool:
        first = not self.tickets[ticket_id].get("asked")
        self.tickets[ticket_id]["asked"] = True
        return first

    async def rate_ticket(
        self,
        ticket_id: str,
        rating: str,
        *,
        comment: str | None = None,
        sender_id: str | None = None,
        phone_last4: str | None = None,
    ) -> dict[str, Any] | None:
        if self.down:
            raise ConnectionError("backend down")
        ticket = await self.get_ticket(ticket_id, sender_id=sender_id)
        if ticket is None:
            return None
        ticket |= {"rating": rating, "status": "in_progress" if rating == "不满意" else "visited"}
        return ticket

    async def comment_ticket(
        self, ticket_id: str, comment: str, *, sender_id: str | None = None, phone_last4: str | None = None
    ) -> bool:
        ticket = await self.get_ticket(ticket_id, sender_id=sender_id)
        if ticket is None:
            return False
        ticket.setdefault("comments", []).append(comment)
        return True
