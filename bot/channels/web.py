"""The web chat's WebSocket: history on connect, typing indicator, replies, and pushed messages.

Protocol (JSON text frames):
- client → server: ``{"type": "message", "text": "...", "message_id": "...", "display": "button title"?}``
- server → client: ``{"type": "history", "messages": [...]}`` once on connect,
  ``{"type": "typing"}``, ``{"type": "bot", "text": "...", "buttons": [...]}`` per reply,
  ``{"type": "ack", "message_id": "..."}``, ``{"type": "error", "message": "..."}``.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

from bot.channels.base import BadInput, OnMessage, check_sender, check_text
from bot.engine.message import UserMessage

log = logging.getLogger(__name__)

History = Callable[[str], Awaitable[list[dict[str, Any]]]]


class WebConnections:
    """Open sockets per citizen in this process, so that pushed messages reach an open page."""

    def __init__(self) -> None:
        self._sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)

    def add(self, sender: str, ws: web.WebSocketResponse) -> None:
        self._sockets[sender].add(ws)

    def discard(self, sender: str, ws: web.WebSocketResponse) -> None:
        self._sockets[sender].discard(ws)
        if not self._sockets[sender]:
            del self._sockets[sender]

    async def send(self, sender: str, frame: dict[str, Any]) -> int:
        sent = 0
        for ws in list(self._sockets.get(sender, ())):
            if not ws.closed:
                await ws.send_json(frame, dumps=_dumps)
                sent += 1
        return sent

    async def close_all(self) -> None:
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                await ws.close()


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


class WebChannel:
    name = "web"

    def __init__(self, on_message: OnMessage, history: History, connections: WebConnections) -> None:
        self.on_message = on_message
        self.history = history
        self.connections = connections

    def register(self, app: web.Application) -> None:
        app.router.add_get("/webhooks/web/ws", self.socket)

    async def socket(self, request: web.Request) -> web.StreamResponse:
        try:
            sender = check_sender(request.query.get("sender"))
        except BadInput as exc:
            return web.json_response({"error": exc.code, "message": exc.message}, status=400)
        ws = web.WebSocketResponse(heartbeat=25.0, max_msg_size=64 * 1024)
        await ws.prepare(request)
        self.connections.add(sender, ws)
        try:
            await ws.send_json({"type": "history", "messages": await self.history(sender)}, dumps=_dumps)
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    await self._on_frame(sender, ws, frame.data)
                elif frame.type == WSMsgType.ERROR:
                    log.warning("websocket of %s closed with %s", sender, ws.exception())
        finally:
            self.connections.discard(sender, ws)
        return ws

    async def _on_frame(self, sender: str, ws: web.WebSocketResponse, data: str) -> None:
        try:
            raw = json.loads(data)
            if not isinstance(raw, dict) or raw.get("type") != "message":
                raise BadInput("bad_frame", "无法识别的消息格式")
            text = check_text(raw.get("text"))
            message_id = raw.get("message_id")
            if message_id is not None and (not isinstance(message_id, str) or len(message_id) > 128):
                raise BadInput("bad_message_id", "message_id 格式不正确")
            display = raw.get("display")
            display_text = str(display)[:200] if isinstance(display, str) else None
        except (json.JSONDecodeError, BadInput) as exc:
            message = exc.message if isinstance(exc, BadInput) else "消息格式不正确"
            await ws.send_json({"type": "error", "message": message}, dumps=_dumps)
            return
        await ws.send_json({"type": "typing"})
        try:
            replies = await self.on_message(
                UserMessage(
                    text=text,
                    sender_id=sender,
                    channel=self.name,
                    message_id=message_id,
                    raw=raw,
                    display_text=display_text,
                )
            )
        except Exception:
            log.exception("turn failed for %s", sender)
            await ws.send_json({"type": "error", "message": "系统繁忙，请稍后再试"}, dumps=_dumps)
            return
        if message_id:
            await ws.send_json({"type": "ack", "message_id": message_id})
        for reply in replies:
            frame = {"type": "bot", "text": reply.get("text"), "buttons": reply.get("buttons") or []}
            await ws.send_json(frame, dumps=_dumps)
