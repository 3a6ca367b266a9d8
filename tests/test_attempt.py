"""
The per-attempt timeout (onlyonce_async/_attempt.py): ``timeout`` is a total per attempt
(a dripping server cannot keep a call going), time in the rate limiter does not count, and
every call has a default deadline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
import trio.testing
from starlette.types import Receive, Scope, Send

import onlyonce_async as oo
from tests._support.backends import asyncio_only
from tests._support.helpers import fast_client
from tests._support.tcp import serve_app

pytestmark = pytest.mark.anyio

#: A dripping body lasts this long at most (one byte per DRIP seconds).
DRIP, DRIP_BYTES = 0.05, 1200


class Drip(httpx.AsyncByteStream):
    """A JSON body sent one byte at a time, each byte well within any read timeout."""

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._drip()

    async def _drip(self) -> AsyncIterator[bytes]:
        yield b"["
        for _ in range(DRIP_BYTES):
            await anyio.sleep(DRIP)
            yield b" "
        yield b"]"


async def test_a_dripping_response_times_out_per_attempt_in_process() -> None:
    """A server dripping one byte every 50 ms cannot stretch an attempt past timeout=0.5:
    each attempt ends, and the call raises RequestTimeout after 1 + max_retries of them."""
    attempts = 0

    async def handle(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        return httpx.Response(200, stream=Drip())

    async with fast_client(
        transport=httpx.MockTransport(handle), timeout=0.5, max_retries=1, deadline=None
    ) as client:
        with anyio.fail_after(30), pytest.raises(oo.RequestTimeout):  # a hang guard only
            await client.get("heartbeat")
    assert attempts == 2


async def test_waiting_in_the_rate_limiter_is_not_part_of_the_timeout() -> None:
    """A call that waits for quota longer than its timeout, then gets a quick answer,
    succeeds: the per-attempt timer starts when the request leaves the limiter."""

    async def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True})

    limiter = oo.SlidingWindowRateLimiter(1, 0.6)
    async with fast_client(
        transport=httpx.MockTransport(handle), rate_limiter=limiter, timeout=0.2
    ) as client:
        with anyio.fail_after(30):
            assert await client.get("a") == {"ok": True}
            assert await client.get("b") == {"ok": True}  # waited ~0.6 s for quota


@asyncio_only
class TestOverTCP:
    """The dripping server on a real socket (uvicorn; asyncio only)."""

    async def test_a_dripping_server_times_out_per_attempt(self) -> None:
        """Over TCP, httpx's read timeout never fires on a dripping body; the per-attempt
        total does, on every attempt."""
        attempts = 0

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            nonlocal attempts
            if scope["type"] != "http":
                return
            attempts += 1
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            async with anyio.create_task_group() as tg:

                async def stop_on_disconnect() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    tg.cancel_scope.cancel()  # the client hung up: what we expect

                tg.start_soon(stop_on_disconnect)
                for _ in range(DRIP_BYTES):
                    await send({"type": "http.response.body", "body": b" ", "more_body": True})
                    await anyio.sleep(DRIP)
                await send({"type": "http.response.body", "body": b"{}"})
                tg.cancel_scope.cancel()

        async with (
            serve_app(app) as base_url,
            oo.Client(
                base_url=base_url, rate_limiter=None, timeout=0.5, max_retries=1, deadline=None
            ) as client,
        ):
            with anyio.fail_after(30), pytest.raises(oo.RequestTimeout):  # hang guard
                await client.heartbeat()
        assert attempts == 2


class TestDefaultDeadline:
    """The default deadline, on trio's virtual clock (time jumps, nothing waits)."""

    @pytest.fixture
    def anyio_backend(self) -> tuple[str, dict[str, Any]]:
        """trio with an autojumping mock clock."""
        return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})

    async def test_a_call_retrying_forever_ends_at_the_default_deadline(self) -> None:
        """Without an explicit deadline, a call that a server keeps answering 503 (wait
        50 s) ends with RequestTimeout at five minutes, not after 1,000 retries."""
        requests = 0

        async def handle(request: httpx.Request) -> httpx.Response:
            nonlocal requests
            requests += 1
            return httpx.Response(503, headers={"Retry-After": "50"})

        async with oo.Client(
            transport=httpx.MockTransport(handle), rate_limiter=None, max_retries=1000
        ) as client:
            started = anyio.current_time()
            with pytest.raises(oo.RequestTimeout):
                await client.heartbeat()
            elapsed = anyio.current_time() - started
        assert 300.0 <= elapsed < 301.0  # virtual seconds
        assert requests == 6  # at 0, 50, ..., 250 s; the deadline comes before the 7th
