"""
What ends a call, and how it is reported: the call's deadline, an attempt's own timeout and
`Client.aclose` share one cancel scope per attempt (and one per wait between attempts);
each still gets its own error and its own retry decision.
"""

from __future__ import annotations

import anyio
import httpx
import pytest

import onlyonce_async as oo
from tests._support.helpers import fast_client

pytestmark = pytest.mark.anyio

#: Waits between attempts far longer than any test runs: a call in one is stuck there.
LONG_WAITS = oo.RetryPolicy(initial=1000.0, maximum=1000.0, jitter=False)


class Unavailable:
    """Answers 503 (always retried) and counts the requests; signals the first one."""

    def __init__(self) -> None:
        self.requests = 0
        self.first = anyio.Event()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        self.first.set()
        return httpx.Response(503, json={"status": "error"})


class Silent:
    """Never answers; counts the requests."""

    def __init__(self) -> None:
        self.requests = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        await anyio.sleep_forever()
        raise AssertionError("unreachable")


async def test_aclose_ends_a_call_waiting_between_attempts() -> None:
    """A call in its backoff wait when aclose() runs raises ClientClosedError at once and
    sends nothing more."""
    server = Unavailable()
    client = fast_client(transport=httpx.MockTransport(server), retry_policy=LONG_WAITS)
    errors: list[BaseException] = []

    async def call() -> None:
        try:
            await client.get("x")
        except BaseException as exc:
            errors.append(exc)

    with anyio.fail_after(30):  # a hang guard only: the wait is 1000 s
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await server.first.wait()
            await client.aclose()
    assert [type(e) for e in errors] == [oo.ClientClosedError]
    assert server.requests == 1


async def test_the_deadline_ends_a_wait_between_attempts() -> None:
    """A deadline passing during a backoff wait raises RequestTimeout naming the deadline;
    no further attempt is sent."""
    server = Unavailable()
    async with fast_client(
        transport=httpx.MockTransport(server), retry_policy=LONG_WAITS, max_retries=5
    ) as client:
        with anyio.fail_after(30), pytest.raises(oo.RequestTimeout, match=r"deadline of 0\.2 s"):
            await client.get("x", deadline=0.2)
    assert server.requests == 1


async def test_the_deadline_ending_an_attempt_is_not_retried() -> None:
    """An attempt cut short by the call's deadline ends the call: the retries left are not
    spent on a call that has no time left."""
    server = Silent()
    async with fast_client(
        transport=httpx.MockTransport(server), timeout=1000.0, max_retries=5
    ) as client:
        with anyio.fail_after(30), pytest.raises(oo.RequestTimeout, match=r"deadline of 0\.2 s"):
            await client.get("x", deadline=0.2)
    assert server.requests == 1


async def test_an_attempt_timeout_is_retried_within_the_deadline() -> None:
    """An attempt outliving its own timeout (not the deadline) is retried like a read
    timeout; the last attempt's error names the timeout."""
    server = Silent()
    async with fast_client(
        transport=httpx.MockTransport(server), timeout=0.05, max_retries=2, deadline=None
    ) as client:
        with anyio.fail_after(30), pytest.raises(oo.RequestTimeout, match=r"timeout of 0\.05 s"):
            await client.get("x")
    assert server.requests == 3
