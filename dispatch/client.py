"""The bot's client of the dispatch backend's API."""

from __future__ import annotations

from typing import Any

import aiohttp


class DispatchUnavailable(Exception):
    """The backend could not be reached or failed (connection error, timeout, 5xx): try again later."""


class DispatchRejected(Exception):
    """The backend refused the request (4xx); ``message`` is its explanation."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class DispatchClient:
    def __init__(self, base_url: str, token: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout, headers=self.headers)
        return self._session

    async def _request(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        try:
            async with self._client().request(method, f"{self.base_url}{path}", **kwargs) as resp:
                try:
                    body = await resp.json(content_type=None)
                except ValueError:  # not JSON: a proxy's error page
                    body = {"error": "bad_response", "message": (await resp.text())[:200]}
                if resp.status >= 500:
                    raise DispatchUnavailable(f"HTTP {resp.status}: {body}")
                return resp.status, body
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DispatchUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def create_ticket(self, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        status, body = await self._request(
            "POST", "/api/tickets", json=payload, headers={"Idempotency-Key": idempotency_key}
        )
        if status >= 400:
            raise DispatchRejected(status, str(body.get("error")), str(body.get("message")))
        result: dict[str, Any] = body
        return result

    async def get_ticket(
        self, ticket_id: str, *, sender_id: str | None = None, phone_last4: str | None = None
    ) -> dict[str, Any] | None:
        params = {k: v for k, v in (("sender_id", sender_id), ("phone_last4", phone_last4)) if v}
        status, body = await self._request("GET", f"/api/tickets/{ticket_id}", params=params)
        if status == 404:
            return None
        if status >= 400:
            raise DispatchRejected(status, str(body.get("error")), str(body.get("message")))
        result: dict[str, Any] = body
        return result

    async def rate_ticket(
        self,
        ticket_id: str,
        rating: str,
        *,
        comment: str | None = None,
        sender_id: str | None = None,
        phone_last4: str | None = None,
    ) -> dict[str, Any] | None:
        """The callback: 满意 / 基本满意 / 不满意 (reopens it). None if the citizen does not own it."""
        payload = {"rating": rating, "comment": comment, "sender_id": sender_id, "phone_last4": phone_last4}
        status, body = await self._request("POST", f"/api/tickets/{ticket_id}/rating", json=payload)
        if status == 404:
            return None
        if status >= 400:
            raise DispatchRejected(status, str(body.get("error")), str(body.get("message")))
        result: dict[str, Any] = body
        return result

    async def due_callbacks(self, limit: int = 50) -> list[dict[str, Any]]:
        """Resolved tickets whose citizens are to be asked for a rating (回访)."""
        status, body = await self._request("GET", "/api/callbacks", params={"limit": str(limit)})
        if status >= 400:
            raise DispatchRejected(status, str(body.get("error")), str(body.get("message")))
        return list(body.get("tickets") or [])

    async def mark_callback(self, ticket_id: str) -> bool:
        """Records that the citizen is being asked; False if someone recorded it first."""
        status, body = await self._request("POST", f"/api/tickets/{ticket_id}/callback")
        if status >= 400:
            raise DispatchRejected(status, str(body.get("error")), str(body.get("message")))
        return bool(body.get("recorded"))

    async def comment_ticket(
        self, ticket_id: str, comment: str, *, sender_id: str | None = None, phone_last4: str | None = None
    ) -> bool:
        """The citizen's comment on their ticket; False if they do not own it."""
        payload = {"comment": comment, "sender_id": sender_id, "phone_last4": phone_last4}
        status, body = await self._request("POST", f"/api/tickets/{ticket_id}/comments", json=payload)
        if status == 404:
            return False
        if status >= 400:
            raise DispatchRejected(status, str(body.get("error")), str(body.get("message")))
        return True

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
