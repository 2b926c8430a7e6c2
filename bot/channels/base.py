"""What every channel shares: the handler it calls and the validation of what citizens send."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.engine.message import UserMessage

OnMessage = Callable[[UserMessage], Awaitable[list[dict[str, Any]]]]

MAX_MESSAGE_CHARS = 2000
_SENDER = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


class BadInput(ValueError):
    """A request a channel refuses; ``message`` is shown to the caller as is."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_sender(sender: Any) -> str:
    if not isinstance(sender, str) or not _SENDER.match(sender):
        raise BadInput("bad_sender", "sender 必须是1到128位的字母、数字或 _.:@- 字符")
    return sender


def check_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise BadInput("empty_message", "消息内容不能为空")
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadInput("message_too_long", f"消息太长了，请控制在{MAX_MESSAGE_CHARS}字以内")
    return text


def error_response(exc: BadInput, status: int = 400) -> web.Response:
    return web.json_response({"error": exc.code, "message": exc.message}, status=status)
