"""
End-to-end: client-side rate limiting against the sandbox's scaled quota (real time).
"""

from __future__ import annotations

import anyio
import pytest

from onlyonce_async import Client, SlidingWindowRateLimiter
from onlyonce_async.testing import Sandbox

pytestmark = pytest.mark.anyio

LIMIT, PERIOD = 20, 0.5
CALLS = 3 * LIMIT


@pytest.fixture
def limited() -> Sandbox:
    """A sandbox (wall clock) allowing LIMIT requests per PERIOD seconds per credential."""
    return Sandbox(rate_limit=(LIMIT, PERIOD))


async def _burst(client: Client, calls: int = CALLS) -> None:
    async with anyio.create_task_group() as tg:
        for _ in range(calls):
            tg.start_soon(client.dictionaries.list, "gender_field")


async def test_matching_limiter_never_meets_a_429(limited: Sandbox) -> None:
    """A client whose limiter matches the sandbox's quota gets no 429 over 3x the limit."""
    # The margin absorbs the time between a request leaving the client and reaching the
    # server, which a loaded machine stretches far beyond the default 1 % of the period.
    limiter = SlidingWindowRateLimiter(LIMIT, PERIOD, margin=0.25)
    async with limited.client(max_retries=0, rate_limiter=limiter) as client:
        started = anyio.current_time()
        await _burst(client)
        elapsed = anyio.current_time() - started
    assert limited.stats.rate_limited == 0
    assert limited.stats.requests == CALLS
    # 3 windows' worth of calls cannot finish before two full windows have passed.
    assert elapsed >= 2 * PERIOD


async def test_sandbox_client_gets_a_matching_limiter(limited: Sandbox) -> None:
    """A sandbox client's default limiter has the sandbox's quota."""
    async with limited.client() as client:
        limiter = client.rate_limiter
        assert isinstance(limiter, SlidingWindowRateLimiter)
        assert (limiter.limit, limiter.period) == (LIMIT, PERIOD)


async def test_without_limiter_429s_are_retried_after_retry_after(limited: Sandbox) -> None:
    """Without a limiter the client meets 429s, waits Retry-After (1 s) and still succeeds."""
    async with limited.client(rate_limiter=None, max_retries=5) as client:
        started = anyio.current_time()
        for _ in range(LIMIT + 2):
            await client.dictionaries.list("gender_field")
        elapsed = anyio.current_time() - started
    assert limited.stats.rate_limited >= 1
    assert limited.stats.requests == LIMIT + 2 + limited.stats.rate_limited
    # Each 429 said "Retry-After: 1": the client slept at least that long per 429.
    assert elapsed >= 1.0 * limited.stats.rate_limited - 0.05


async def test_too_generous_limiter_is_penalized_by_429s(limited: Sandbox) -> None:
    """A limiter looser than the server meets a 429, is paused for Retry-After, and recovers."""
    limiter = SlidingWindowRateLimiter(10 * LIMIT, PERIOD)
    async with limited.client(rate_limiter=limiter, max_retries=5) as client:
        started = anyio.current_time()
        await _burst(client, LIMIT + 5)
        elapsed = anyio.current_time() - started
    assert limited.stats.rate_limited >= 1
    assert limited.stats.requests == LIMIT + 5 + limited.stats.rate_limited
    # The penalty paused every task for the server's Retry-After of 1 s.
    assert elapsed >= 1.0 - 0.05
