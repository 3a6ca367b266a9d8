"""
Cancellation at random points and deadlines: nothing leaks, nothing waits past its bound.
"""

from __future__ import annotations

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

from ..helpers import FAST_RETRIES

pytestmark = pytest.mark.anyio

CANCELLED_CALLS = 1_000
LIMIT, PERIOD = 200, 0.5


async def _cancel_many(client: Client, limiter: SlidingWindowRateLimiter) -> dict[str, int]:
    """Start CANCELLED_CALLS calls in batches, each under a random short deadline."""
    rng = random.Random(5)
    counts = {"ok": 0, "error": 0, "cancelled": 0}

    async def one() -> None:
        with anyio.move_on_after(rng.uniform(0.0, 0.03)) as scope:
            try:
                await client.heartbeat()
                counts["ok"] += 1
            except OnlyOnceError:
                counts["error"] += 1
        counts["cancelled"] += scope.cancelled_caught

    for _ in range(CANCELLED_CALLS // 100):
        async with anyio.create_task_group() as tg:
            for _ in range(100):
                tg.start_soon(one)
    await anyio.sleep(PERIOD + limiter.margin)
    with anyio.fail_after(PERIOD):  # the whole quota is free: no phantom slots
        for _ in range(LIMIT):
            await limiter.acquire()
    return counts


async def test_cancelled_calls_leave_quota_and_pool_intact() -> None:
    """1,000 calls cancelled at random points (limiter wait, latency, response) leave the
    limiter's quota and the client usable."""
    sandbox = Sandbox(rate_limit=None, seed=5)
    sandbox.faults(latency=(0.0, 0.02))
    limiter = SlidingWindowRateLimiter(LIMIT, PERIOD)
    with anyio.fail_after(60):
        async with sandbox.client(rate_limiter=limiter) as client:
            counts = await _cancel_many(client, limiter)
            await anyio.sleep(PERIOD + limiter.margin)
            for _ in range(20):
                await client.heartbeat()
    assert counts["cancelled"] > 100 and counts["ok"] > 20
    assert sum(counts.values()) == CANCELLED_CALLS


async def test_deadline_bounds_a_slow_call_in_process() -> None:
    """With 5 s latency and timeout=0.5 the call fails with RequestTimeout, and a 1.2 s
    deadline bounds five retries."""
    sandbox = Sandbox(rate_limit=None)
    sandbox.faults(latency=(5.0, 5.0))
    async with sandbox.client(timeout=0.5, max_retries=0) as client:
        with anyio.fail_after(3), pytest.raises(RequestTimeout):
            await client.heartbeat()
    async with sandbox.client(timeout=0.5, max_retries=5, retry_policy=FAST_RETRIES) as client:
        started = anyio.current_time()
        with anyio.fail_after(5), pytest.raises(RequestTimeout):
            await client.get("heartbeat", deadline=1.2)
        assert anyio.current_time() - started < 3.0


class TestOverTcp:
    """The same bounds with a real socket (uvicorn: asyncio only)."""

    @pytest.fixture
    def anyio_backend(self) -> str:
        """uvicorn needs asyncio."""
        return "asyncio"

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
                with anyio.fail_after(3), pytest.raises(RequestTimeout):
                    await client.heartbeat()
            async with Client(
                base_url=base_url,
                auth=auth,
                rate_limiter=None,
                timeout=0.5,
                max_retries=5,
                retry_policy=FAST_RETRIES,
            ) as client:
                started = anyio.current_time()
                with anyio.fail_after(5), pytest.raises(RequestTimeout):
                    await client.get("heartbeat", deadline=1.2)
                assert anyio.current_time() - started < 3.0
            sandbox.faults()

    async def test_cancelled_calls_over_tcp_leave_the_pool_usable(self) -> None:
        """Calls cancelled mid-request over TCP leave the pool able to serve new calls."""
        sandbox = Sandbox(rate_limit=None, seed=6)
        async with sandbox.serve_tcp() as base_url:
            sandbox.faults(latency=(0.0, 0.02))
            limiter = SlidingWindowRateLimiter(LIMIT, PERIOD)
            with anyio.fail_after(60):
                async with Client(base_url=base_url, rate_limiter=limiter) as client:
                    counts = await _cancel_many(client, limiter)
                    for _ in range(20):
                        await client.heartbeat()
            sandbox.faults()
        assert counts["cancelled"] > 100
