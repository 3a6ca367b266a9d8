"""
Cancellation at random points and deadlines: nothing leaks, nothing waits past its bound.
"""

from __future__ import annotations

import math
import random

import anyio
import pytest

from onlyonce_async import (
    BearerAuth,
    Client,
    OnlyOnceError,
    RequestTimeout,
    SlidingWindowRateLimiter,
)
from onlyonce_async.testing import Sandbox
from tests._support.backends import asyncio_only
from tests._support.clocks import SwitchableClock
from tests._support.helpers import FAST_RETRIES, assert_whole_quota_free

pytestmark = pytest.mark.anyio

CANCELLED_CALLS = 1_000
LIMIT, PERIOD = 200, 0.5


async def _cancel_many(client: Client, clock: SwitchableClock) -> dict[str, int]:
    """
    Start CANCELLED_CALLS calls in batches: every fifth without a deadline (it must succeed),
    every fifth with a zero deadline (it must be cancelled), the rest under a random short
    deadline (cancelled at whatever point it reached: limiter wait, latency or response).
    """
    rng = random.Random(5)
    counts = {"ok": 0, "error": 0, "cancelled": 0, "unbounded_ok": 0, "zero_cancelled": 0}

    async def one(kind: int) -> None:
        deadline = math.inf if kind == 0 else 0.0 if kind == 1 else rng.uniform(0.0, 0.03)
        with anyio.move_on_after(deadline) as scope:
            try:
                await client.heartbeat()
                counts["ok"] += 1
                counts["unbounded_ok"] += kind == 0
            except OnlyOnceError:
                counts["error"] += 1
        counts["cancelled"] += scope.cancelled_caught
        counts["zero_cancelled"] += kind == 1 and scope.cancelled_caught

    for batch in range(CANCELLED_CALLS // 100):
        async with anyio.create_task_group() as tg:
            for n in range(100):
                tg.start_soon(one, (batch * 100 + n) % 5)
    assert isinstance(client.rate_limiter, SlidingWindowRateLimiter)
    await assert_whole_quota_free(client.rate_limiter, clock)
    return counts


def _assert_every_call_accounted_for(counts: dict[str, int]) -> None:
    """Each call ended exactly one way; the unbounded ones all succeeded while the others
    were being cancelled, and the zero-deadline ones were all cancelled."""
    assert counts["ok"] + counts["error"] + counts["cancelled"] == CANCELLED_CALLS
    assert counts["unbounded_ok"] == CANCELLED_CALLS // 5
    assert counts["zero_cancelled"] == CANCELLED_CALLS // 5


async def test_cancelled_calls_leave_quota_and_pool_intact() -> None:
    """1,000 calls, most cancelled at random points (limiter wait, latency, response), leave
    the limiter's quota and the client usable."""
    sandbox = Sandbox(rate_limit=None, seed=5)
    sandbox.faults(latency=(0.0, 0.02))
    clock = SwitchableClock()
    limiter = SlidingWindowRateLimiter(LIMIT, PERIOD, clock=clock)
    with anyio.fail_after(120):  # hang guard
        async with sandbox.client(rate_limiter=limiter) as client:
            counts = await _cancel_many(client, clock)
            await anyio.sleep(PERIOD + limiter.margin)
            for _ in range(20):
                await client.heartbeat()
    _assert_every_call_accounted_for(counts)


async def test_deadline_bounds_a_slow_call_in_process() -> None:
    """With 5 s latency and timeout=0.5 the call fails with RequestTimeout, and a 1.2 s
    deadline bounds five retries."""
    sandbox = Sandbox(rate_limit=None)
    sandbox.faults(latency=(5.0, 5.0))
    async with sandbox.client(timeout=0.5, max_retries=0) as client:
        with anyio.fail_after(30), pytest.raises(RequestTimeout):  # hang guard
            await client.heartbeat()
    async with sandbox.client(timeout=0.5, max_retries=5, retry_policy=FAST_RETRIES) as client:
        before = sandbox.stats.requests
        with anyio.fail_after(30), pytest.raises(RequestTimeout):  # hang guard
            await client.get("heartbeat", deadline=1.2)
    # Each attempt lasts at least its 0.5 s timeout, so the deadline leaves room for at most
    # three of the six attempts, however slow the machine.
    assert 1 <= sandbox.stats.requests - before <= 3


@asyncio_only
class TestOverTcp:
    """The same bounds with a real socket (uvicorn: asyncio only)."""

    async def test_deadline_bounds_a_slow_call_over_tcp(self) -> None:
        """Over TCP a 5 s answer meets RequestTimeout after ~0.5 s, and the deadline bounds
        retries."""
        sandbox = Sandbox(rate_limit=None)
        user = sandbox.create_user(email="u@example.com", password="pw", pass_phrase="pp")
        async with sandbox.serve_tcp() as base_url:
            sandbox.faults(latency=(5.0, 5.0))
            auth = BearerAuth(sandbox.sign_in(user))
            async with Client(
                base_url=base_url, auth=auth, rate_limiter=None, timeout=0.5, max_retries=0
            ) as client:
                with anyio.fail_after(30), pytest.raises(RequestTimeout):  # hang guard
                    await client.heartbeat()
            async with Client(
                base_url=base_url,
                auth=auth,
                rate_limiter=None,
                timeout=0.5,
                max_retries=5,
                retry_policy=FAST_RETRIES,
            ) as client:
                before = sandbox.stats.requests
                with anyio.fail_after(30), pytest.raises(RequestTimeout):  # hang guard
                    await client.get("heartbeat", deadline=1.2)
            sandbox.faults()
        # At most three 0.5 s attempts fit in the 1.2 s deadline, however slow the machine.
        assert 1 <= sandbox.stats.requests - before <= 3

    async def test_cancelled_calls_over_tcp_leave_the_pool_usable(self) -> None:
        """Calls cancelled mid-request over TCP leave the pool able to serve new calls."""
        sandbox = Sandbox(rate_limit=None, seed=6)
        async with sandbox.serve_tcp() as base_url:
            sandbox.faults(latency=(0.0, 0.02))
            clock = SwitchableClock()
            limiter = SlidingWindowRateLimiter(LIMIT, PERIOD, clock=clock)
            with anyio.fail_after(120):  # hang guard
                async with Client(base_url=base_url, rate_limiter=limiter) as client:
                    counts = await _cancel_many(client, clock)
                    for _ in range(20):
                        await client.heartbeat()
            sandbox.faults()
        _assert_every_call_accounted_for(counts)
