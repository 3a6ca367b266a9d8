"""
After ``aclose()``: calls waiting in the limiter and new calls fail with ClientClosedError
and send nothing; calls in flight get the same typed error; nothing leaks.
"""

from __future__ import annotations

import anyio
import anyio.lowlevel
import httpx
import pytest
from starlette.types import Receive, Scope, Send

import onlyonce_async as oo
from tests._support.backends import asyncio_only
from tests._support.helpers import fast_client
from tests._support.tcp import serve_app

pytestmark = pytest.mark.anyio

QUEUED = 5


class QueueLimiter:
    """A limiter whose quota is spent: every acquire waits; signals once all wait."""

    def __init__(self, expected: int) -> None:
        self.waiting = 0
        self.all_waiting = anyio.Event()
        self._expected = expected

    async def acquire(self) -> None:
        """Wait for quota that never comes."""
        self.waiting += 1
        if self.waiting == self._expected:
            self.all_waiting.set()
        await anyio.sleep_forever()

    async def penalize(self, seconds: float) -> None:
        """Nothing to do."""


async def _expect_closed(client: oo.Client, errors: list[BaseException]) -> None:
    try:
        await client.get("x")
    except BaseException as exc:
        errors.append(exc)


async def test_queued_and_new_calls_fail_typed_and_send_nothing() -> None:
    """Calls waiting in the limiter when aclose() runs, and calls made afterwards, raise
    ClientClosedError; none of them is sent."""
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    limiter = QueueLimiter(QUEUED)
    client = fast_client(transport=httpx.MockTransport(handle), rate_limiter=limiter)
    errors: list[BaseException] = []
    with anyio.fail_after(30):  # a hang guard only
        async with anyio.create_task_group() as tg:
            for _ in range(QUEUED):
                tg.start_soon(_expect_closed, client, errors)
            await limiter.all_waiting.wait()
            await client.aclose()
    assert len(errors) == QUEUED
    assert all(type(e) is oo.ClientClosedError for e in errors)
    # Nothing left: their outcome is known (bulk sharing files them failed, not unknown).
    assert not any(e.maybe_sent for e in errors if isinstance(e, oo.ClientClosedError))
    with pytest.raises(oo.ClientClosedError) as caught:
        await client.get("x")
    assert caught.value.maybe_sent is False
    assert sent == []
    assert client.is_closed


async def test_a_call_in_flight_gets_a_typed_error() -> None:
    """A call whose request is at the server when aclose() runs raises ClientClosedError,
    not RuntimeError."""
    arrived = anyio.Event()

    async def handle(request: httpx.Request) -> httpx.Response:
        arrived.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    client = fast_client(transport=httpx.MockTransport(handle))
    errors: list[BaseException] = []
    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(_expect_closed, client, errors)
            await arrived.wait()
            await client.aclose()
    assert [type(e) for e in errors] == [oo.ClientClosedError]
    (error,) = errors
    assert isinstance(error, oo.ClientClosedError)
    assert error.maybe_sent  # the server may have acted on it


async def test_closing_a_with_options_client_spares_its_parent() -> None:
    """Closing a with_options client ends its own calls only; closing the pool's owner
    ends the calls of every client sharing the pool."""
    limiter = QueueLimiter(2)

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    parent = fast_client(transport=httpx.MockTransport(handle), rate_limiter=limiter)
    child = parent.with_options(max_retries=0)
    errors: list[BaseException] = []
    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(_expect_closed, parent, errors)
            tg.start_soon(_expect_closed, child, errors)
            await limiter.all_waiting.wait()
            await child.aclose()
            await anyio.lowlevel.checkpoint()
            assert not parent.is_closed
            await parent.aclose()
    assert [type(e) for e in errors] == [oo.ClientClosedError, oo.ClientClosedError]
    assert child.is_closed  # its pool is closed too


@asyncio_only
class TestOverTCP:
    """Real sockets: nothing leaks (a ResourceWarning fails the suite); asyncio only."""

    async def test_close_with_calls_in_flight_and_queued_leaks_nothing(self) -> None:
        """With one call held at the server and others queued in the limiter, aclose()
        ends them all with ClientClosedError and leaves no socket open."""
        arrived = anyio.Event()
        received = 0

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            nonlocal received
            if scope["type"] != "http":
                return
            received += 1
            arrived.set()
            while (await receive())["type"] != "http.disconnect":
                pass

        async with serve_app(app) as base_url:
            limiter = oo.SlidingWindowRateLimiter(1, 60.0)
            client = oo.Client(base_url=base_url, rate_limiter=limiter, max_retries=0)
            errors: list[BaseException] = []
            with anyio.fail_after(30):
                async with anyio.create_task_group() as tg:
                    for _ in range(1 + QUEUED):
                        tg.start_soon(_expect_closed, client, errors)
                    await arrived.wait()
                    await client.aclose()
        assert received == 1
        assert [type(e) for e in errors] == [oo.ClientClosedError] * (1 + QUEUED)
