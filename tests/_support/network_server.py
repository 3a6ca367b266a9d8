"""
A fake network server for bulk sharing (`NetworkServer`): it holds share requests and
answers sends, lookups and sweeps, with faults scripted per recipient, so a test places a
fault exactly where it needs one. Used by the bulk and journal tests.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import anyio
import httpx

__all__ = ["CARD", "SENDER", "NetworkServer", "ids", "profile"]

#: The card every test shares.
CARD = uuid.UUID("11111111-1111-4111-8111-111111111111")
#: The sharing profile.
SENDER = uuid.UUID("22222222-2222-4222-8222-222222222222")


def profile(pid: str) -> dict[str, Any]:
    """A profile's JSON, as the server shows it in a share request."""
    return {"id": pid, "onlyonceId": 1, "type": "PERSONAL", "publicCardId": pid}


def ids(n: int) -> list[uuid.UUID]:
    """``n`` fresh recipient ids."""
    return [uuid.uuid4() for _ in range(n)]


class NetworkServer:
    """A fake holding share requests; faults are scripted per recipient."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.posts: dict[str, int] = {}
        self.lookups = 0
        self.unknown: set[str] = set()
        # recipient -> list of scripted faults for successive POSTs:
        # "drop" (commit, then fail the connection), "502" (commit, then 502),
        # "503" (nothing committed), "429" (nothing committed; ``Retry-After: retry_after``),
        # "timeout" (commit, then read timeout), "garbled" (commit, then a 2xx that is not
        # JSON), "stray" (commit, then answer a share to someone else), "sloppy" (commit,
        # then answer with a sender that is not a profile)
        self.script: dict[str, list[str]] = {}
        self.retry_after = 120
        self.lookup_fails = False
        self.sweeps = 0
        self.sends = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def count_for(self, recipient: uuid.UUID) -> int:
        """How many share requests ``recipient`` holds."""
        return sum(1 for r in self.requests if r["recipient"]["id"] == str(recipient))

    async def handler(self, request: httpx.Request) -> httpx.Response:
        """The ``httpx.MockTransport`` handler: counts requests in flight, then answers."""
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await anyio.sleep(0.001)
            return self.answer(request)
        finally:
            self.in_flight -= 1

    def _sweep_page(self, params: httpx.QueryParams, statuses: list[str]) -> httpx.Response:
        # The sender's outgoing requests for the card, one page (the sweep).
        self.sweeps += 1
        found = [
            r for r in self.requests if r["cardId"] == params["cardId"] and r["status"] in statuses
        ]
        page, size = int(params.get("page", 0)), int(params.get("size", 20))
        content = found[page * size : (page + 1) * size]
        last = (page + 1) * size >= len(found)
        return httpx.Response(200, json={"last": last, "total": len(found), "content": content})

    def answer(self, request: httpx.Request) -> httpx.Response:
        """
        The answer to one request (a test may replace it, and call the original).

        Args:
            request: A sweep or lookup (``GET``) or a share (``POST``).

        Returns:
            The response; a scripted ``drop`` or ``timeout`` raises the httpx error instead.
        """
        if request.method == "GET":
            params = request.url.params
            statuses = params.get_list("statuses")
            if "targetId" not in params:
                return self._sweep_page(params, statuses)
            self.lookups += 1
            if self.lookup_fails:
                return httpx.Response(500, json={"message": "lookup down"})
            found = [
                r
                for r in self.requests
                if r["recipient"]["id"] == params["targetId"]
                and r["cardId"] == params["cardId"]
                and r["status"] in statuses
            ]
            return httpx.Response(200, json={"last": True, "total": len(found), "content": found})
        self.sends += 1
        body = json.loads(request.content)
        recipient = body["recipient"]["id"]
        self.posts[recipient] = self.posts.get(recipient, 0) + 1
        if recipient in self.unknown:
            return httpx.Response(404, json={"message": "Profile not found"})
        fault = self.script.get(recipient, []).pop(0) if self.script.get(recipient) else None
        if fault == "503":
            return httpx.Response(503, json={"message": "busy"})
        if fault == "429":
            headers = {"Retry-After": str(self.retry_after)}
            return httpx.Response(429, headers=headers, json={"message": "Too many requests"})
        created = {
            "id": str(uuid.uuid4()),
            "sender": profile(body["sender"]["id"]),
            "recipient": profile(recipient),
            "cardId": body["cardId"],
            "status": "PENDING",
        }
        self.requests.append(created)
        if fault == "drop":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if fault == "timeout":
            raise httpx.ReadTimeout("timed out")
        if fault == "502":
            return httpx.Response(502, text="<html>Bad Gateway</html>")
        if fault == "garbled":
            return httpx.Response(200, text="<html>OK</html>")
        if fault == "stray":  # the answer names another recipient
            return httpx.Response(200, json=dict(created, recipient=profile(str(uuid.uuid4()))))
        if fault == "sloppy":  # the answer's sender is not a profile object
            return httpx.Response(200, json=dict(created, sender="n/a"))
        return httpx.Response(200, json=created)
