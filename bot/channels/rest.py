"""Rasa's REST channel shape: ``POST /webhooks/rest/webhook`` → a list of bot messages."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.channels.base import BadInput, OnMessage, check_sender, check_text, error_response
from bot.engine.message import UserMessage


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


class RestChannel:
    name = "rest"

    def __init__(self, on_message: OnMessage) -> None:
        self.on_message = on_message

    def register(self, app: web.Application) -> None:
        app.router.add_get("/webhooks/rest/", self.health)
        app.router.add_post("/webhooks/rest/webhook", self.receive)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def receive(self, request: web.Request) -> web.Response:
        try:
            raw: Any = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error_response(
                BadInput("bad_json", '请求体必须是 JSON，例如 {"sender": "u1", "message": "你好"}')
            )
        try:
            if not isinstance(raw, dict):
                raise BadInput("bad_json", "请求体必须是 JSON 对象")
            sender = check_sender(raw.get("sender"))
            text = check_text(raw.get("message"))
            message_id = raw.get("message_id")
            if message_id is not None and (not isinstance(message_id, str) or len(message_id) > 128):
                raise BadInput("bad_message_id", "message_id 必须是不超过128位的字符串")
        except BadInput as exc:
            return error_response(exc)
        metadata: dict[str, Any] = raw["metadata"] if isinstance(raw.get("metadata"), dict) else {}
        channel = str(metadata.get("channel") or self.name)[:32]
        replies = await self.on_message(
            UserMessage(text=text, sender_id=sender, channel=channel, message_id=message_id, raw=raw)
        )
        return web.json_response(replies, dumps=_dumps)
